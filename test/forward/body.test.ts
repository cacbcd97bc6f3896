import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import type { ALBEvent } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { png } from '../fixtures/png.js';
import {
  bodyBytes,
  call,
  type Framework,
  frameworks,
  type NodeFramework,
  nodeFrameworks,
  readBody,
  see,
} from './support.js';

interface Received {
  body: Buffer;
  headers: IncomingMessage['headers'];
  method: string | undefined;
}

/** Runs `event` through an app that reads the request body through its framework, and returns what it read. */
async function received(framework: Framework, event: ALBEvent): Promise<Received> {
  const view = await see(framework, event);
  return { body: view.body, headers: view.req.headers, method: view.req.method };
}

/** Counts the 'data' events of a Node request, and reads its body. */
async function streamed(
  framework: NodeFramework,
  event: ALBEvent,
): Promise<{ body: Buffer; dataEvents: number }> {
  const box: { got?: { body: Buffer; dataEvents: number } } = {};
  const app = framework.wrap((req, res) => {
    let dataEvents = 0;
    req.on('data', () => dataEvents++);
    readBody(req).then((body) => {
      box.got = { body, dataEvents };
      res.end('read');
    });
  });
  const result = await call(app, event);
  expect(result.statusCode).toBe(200);
  if (box.got === undefined) throw new Error('the app did not read the body');
  return box.got;
}

const pngPost: ALBEvent = {
  ...albEvent,
  httpMethod: 'POST',
  path: '/upload',
  headers: { ...albEvent.headers, 'content-type': 'image/png', 'content-length': String(png.length) },
  body: png.toString('base64'),
  isBase64Encoded: true,
};

describe.each(nodeFrameworks)('the request body as a Node stream, in $name', (framework) => {
  it('B1: base64 PNG bytes are read byte-exact through data and end', async () => {
    const got = await streamed(framework, pngPost);
    expect(got.body.equals(png)).toBe(true);
    expect(got.dataEvents).toBeGreaterThan(0);
  });

  it('B2: a request without a body emits no data event', async () => {
    const got = await streamed(framework, { ...albEvent, body: '' });
    expect(got.body.length).toBe(0);
    expect(got.dataEvents).toBe(0);
  });

  it('B1: base64 PNG bytes are read byte-exact through pipe()', async () => {
    const box: { body?: Buffer } = {};
    const app = framework.wrap((req, res) => {
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      });
      sink.on('finish', () => {
        box.body = Buffer.concat(chunks);
        res.end('piped');
      });
      req.pipe(sink);
    });
    const result = await call(app, pngPost);
    expect(bodyBytes(result).toString()).toBe('piped');
    expect(box.body?.equals(png)).toBe(true);
  });
});

describe.each(frameworks)('the request body, in $name', (framework) => {
  it('B1: base64 PNG bytes are read byte-exact', async () => {
    const got = await received(framework, pngPost);
    expect(got.body.equals(png)).toBe(true);
  });

  it('a text body (isBase64Encoded false) is read as its UTF-8 bytes', async () => {
    const got = await received(framework, {
      ...albEvent,
      httpMethod: 'POST',
      headers: { ...albEvent.headers, 'content-type': 'text/plain; charset=utf-8' },
      body: 'héllo, wörld',
    });
    expect(got.body.toString('utf8')).toBe('héllo, wörld');
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength('héllo, wörld')));
  });

  it.each(['PATCH', 'DELETE', 'PUT', 'OPTIONS'])('B3: a %s body is delivered', async (method) => {
    const got = await received(framework, {
      ...albEventMulti,
      httpMethod: method,
      multiValueHeaders: { ...albEventMulti.multiValueHeaders, 'content-type': ['application/json'] },
      body: '{"op":"replace"}',
    });
    expect(got.method).toBe(method);
    expect(got.body.toString()).toBe('{"op":"replace"}');
  });

  describe('B2: a request without a body', () => {
    it.each([
      ['body ""', { ...albEvent, body: '' }],
      ['body null', { ...albEvent, body: null }],
      ['body "" with isBase64Encoded true', { ...albEvent, body: '', isBase64Encoded: true }],
    ])('%s: no body, no content-length', async (_label, event) => {
      const got = await received(framework, event);
      expect(got.body.length).toBe(0);
      expect(got.headers['content-length']).toBeUndefined();
    });

    it('a missing body field: no body, no content-length', async () => {
      const event: ALBEvent = { ...albEvent };
      Reflect.deleteProperty(event, 'body');
      Reflect.deleteProperty(event, 'isBase64Encoded');
      const got = await received(framework, event);
      expect(got.body.length).toBe(0);
      expect(got.headers['content-length']).toBeUndefined();
    });
  });

  describe('H4: content-length states the decoded body, as a string', () => {
    it('a client content-length of "3" on a 13-byte body becomes "13"', async () => {
      const got = await received(framework, {
        ...albEvent,
        httpMethod: 'POST',
        headers: { ...albEvent.headers, 'content-type': 'text/plain', 'content-length': '3' },
        body: 'thirteen byte',
      });
      expect(got.headers['content-length']).toBe('13');
      expect(got.body.toString()).toBe('thirteen byte');
    });

    it('a base64 body gets the length of its decoded bytes, not of its base64 text', async () => {
      const got = await received(framework, pngPost);
      expect(got.headers['content-length']).toBe(String(png.length));
      expect(typeof got.headers['content-length']).toBe('string');
    });

    it('a body without a content-length header gets one', async () => {
      const got = await received(framework, {
        ...albEventMulti,
        httpMethod: 'POST',
        body: 'abc',
      });
      expect(got.headers['content-length']).toBe('3');
    });

    it('repeated content-length lines and transfer-encoding become one content-length', async () => {
      const got = await received(framework, {
        ...albEventMulti,
        httpMethod: 'POST',
        multiValueHeaders: {
          ...albEventMulti.multiValueHeaders,
          'content-length': ['1', '2'],
          'transfer-encoding': ['chunked'],
        },
        body: 'hello',
      });
      expect(got.headers['content-length']).toBe('5');
      expect(got.headers['transfer-encoding']).toBeUndefined();
      expect(got.body.toString()).toBe('hello');
    });
  });
});

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])('body parsers, in %s', (_name, make) => {
  it('B4: express.json() parses a JSON body into req.body', async () => {
    const app = make();
    app.use(make.json());
    app.post('/api', (req, res) => {
      res.json({ got: req.body });
    });
    const result = await call(app, {
      ...albEvent,
      httpMethod: 'POST',
      path: '/api',
      headers: { ...albEvent.headers, 'content-type': 'application/json', 'content-length': '999' },
      body: JSON.stringify({ name: 'Zoë', list: [1, 2] }),
    });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({ got: { name: 'Zoë', list: [1, 2] } });
  });

  it('express.json() parses a base64 JSON body', async () => {
    const app = make();
    app.use(make.json({ type: ['application/json', 'application/*+json'] }));
    app.post('/api', (req, res) => {
      res.json({ got: req.body });
    });
    const result = await call(app, {
      ...albEvent,
      httpMethod: 'POST',
      path: '/api',
      headers: { ...albEvent.headers, 'content-type': 'application/vnd.api+json' },
      body: Buffer.from(JSON.stringify({ ok: 'ünïcode' })).toString('base64'),
      isBase64Encoded: true,
    });
    expect(JSON.parse(result.body ?? '')).toEqual({ got: { ok: 'ünïcode' } });
  });

  it('express.urlencoded() parses a base64 form post', async () => {
    const app = make();
    app.use(make.urlencoded({ extended: false }));
    app.post('/form', (req, res) => {
      res.json(req.body);
    });
    const form = 'name=John+Doe&note=a%26b%3Dc&city=K%C3%B8benhavn';
    const result = await call(app, {
      ...albEventMulti,
      httpMethod: 'POST',
      path: '/form',
      multiValueHeaders: {
        ...albEventMulti.multiValueHeaders,
        'content-type': ['application/x-www-form-urlencoded'],
      },
      body: Buffer.from(form).toString('base64'),
      isBase64Encoded: true,
    });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({ name: 'John Doe', note: 'a&b=c', city: 'København' });
  });

  it('express.raw() reads base64 PNG bytes byte-exact', async () => {
    const app = make();
    app.post('/upload', make.raw({ type: 'image/png' }), (req, res) => {
      res.json({ same: Buffer.isBuffer(req.body) && png.equals(req.body) });
    });
    const result = await call(app, pngPost);
    expect(JSON.parse(result.body ?? '')).toEqual({ same: true });
  });
});
