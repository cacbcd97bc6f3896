import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ALBEvent } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ALB_REQUEST_LIMIT, toExpress, toKoa } from '../../index.js';
import { bytes, type Handler, loose, mountings, only, rawRequest, recorder, useServers } from './support.js';

const { serve, listen } = useServers();

const CONSUMED =
  /the request body was already read by a body parser mounted before the Lambda handler.*Mount the handler before express\.json\(\)/s;

/** Echoes the request body back with the request's content type, decoded as the ALB encoded it. */
const echo: Handler = async (event: ALBEvent) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/octet-stream' },
  body: event.body ?? '',
  isBase64Encoded: event.isBase64Encoded,
});

describe.each(mountings)('the request body, through $name', (mounting) => {
  describe('7: base64 unless the type is text/*, application/json, application/javascript or application/xml', () => {
    it('7: a form post arrives base64: a=1 is "YT0x"', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.post('/').set('Content-Type', 'application/x-www-form-urlencoded').send('a=1').expect(200);
      const event = only(events);
      expect(event.body).toBe('YT0x');
      expect(event.isBase64Encoded).toBe(true);
    });

    it.each([
      ['text/plain; charset=utf-8', 'héllo wörld'],
      ['text/html', '<p>hi</p>'],
      ['text/csv', 'a,b\n1,2'],
      ['application/json', '{"a":1}'],
      ['application/json; charset=utf-8', '{"é":"ü"}'],
      ['application/javascript', 'alert(1)'],
      ['application/xml', '<a>1</a>'],
      ['Application/JSON', '{"case":"insensitive"}'],
    ])('7: %s arrives as is', async (type, text) => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.post('/').set('Content-Type', type).send(text).expect(200);
      const event = only(events);
      expect(event.body).toBe(text);
      expect(event.isBase64Encoded).toBe(false);
    });

    it.each([
      'application/octet-stream',
      'multipart/form-data; boundary=xyz',
      'image/png',
      'application/vnd.api+json',
      'application/x-ndjson',
    ])('7: %s arrives base64', async (type) => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.post('/').set('Content-Type', type).send('some body').expect(200);
      const event = only(events);
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body ?? '', 'base64').toString()).toBe('some body');
    });

    it('7: a body without a content type arrives base64', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler);
      await rawRequest(port, 'POST', '/', [], Buffer.from('plain'));
      const event = only(events);
      expect(event.headers).not.toHaveProperty('content-type');
      expect(event.body).toBe(Buffer.from('plain').toString('base64'));
      expect(event.isBase64Encoded).toBe(true);
    });

    it('7: any content-encoding makes even a JSON body base64', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler);
      await rawRequest(
        port,
        'POST',
        '/',
        [
          ['Content-Type', 'application/json'],
          ['Content-Encoding', 'identity'],
        ],
        Buffer.from('{"a":1}'),
      );
      const event = only(events);
      expect(event.body).toBe(Buffer.from('{"a":1}').toString('base64'));
      expect(event.isBase64Encoded).toBe(true);
    });
  });

  it('9: an empty body is "" and not base64, whatever the content type', async () => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    await http.post('/').set('Content-Type', 'application/x-www-form-urlencoded').send('').expect(200);
    const event = only(events);
    expect(event.body).toBe('');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('8: 256 random bytes make the round trip byte for byte', async () => {
    const { http } = await serve(mounting, echo);
    const sent = randomBytes(256);
    const response = await http
      .post('/upload')
      .set('Content-Type', 'application/octet-stream')
      .send(sent)
      .buffer(true)
      .parse(bytes)
      .expect(200);
    expect(Buffer.isBuffer(response.body)).toBe(true);
    expect((response.body as Buffer).equals(sent)).toBe(true);
    expect(response.headers['content-length']).toBe('256');
  });

  it.each(['PUT', 'PATCH', 'DELETE'])('delivers the body of a %s request', async (method) => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    await http[method.toLowerCase() as 'put']('/r').set('Content-Type', 'application/json').send('{"x":1}');
    const event = only(events);
    expect(event.httpMethod).toBe(method);
    expect(event.body).toBe('{"x":1}');
  });

  it('delivers a chunked body', async () => {
    const { handler, events } = recorder();
    const { port } = await serve(mounting, handler);
    const response = await rawRequest(
      port,
      'POST',
      '/',
      [
        ['Content-Type', 'text/plain'],
        ['Transfer-Encoding', 'chunked'],
      ],
      Buffer.from('3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'),
    );
    expect(response.status).toBe(200);
    expect(only(events).body).toBe('abcde');
  });

  describe('13: the 1 MB request limit', () => {
    it('13: a body of exactly 1 MB reaches the handler', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      const body = Buffer.alloc(ALB_REQUEST_LIMIT, 0x61);
      await http.post('/').set('Content-Type', 'text/plain').send(body).expect(200);
      expect(only(events).body).toHaveLength(ALB_REQUEST_LIMIT);
    });

    it('13: a body over 1 MB gets 413 and the handler is not invoked', async () => {
      const { handler, events } = recorder();
      const { http, log } = await serve(mounting, handler);
      const response = await http
        .post('/')
        .set('Content-Type', 'text/plain')
        .send(Buffer.alloc(ALB_REQUEST_LIMIT + 1, 0x61));
      expect(response.status).toBe(413);
      expect(response.headers.server).toBe('awselb/2.0');
      expect(response.text).toContain('413 Payload Too Large');
      expect(response.headers['x-lambda-bridge-reason']).toMatch(/over the ALB's 1048576-byte limit/);
      expect(events).toHaveLength(0);
      expect(log.map((entry) => entry.code)).toEqual(['REQUEST_TOO_LARGE']);
    });

    it('13: a chunked body that grows over 1 MB gets 413 and the handler is not invoked', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const frames: Buffer[] = [];
      for (let i = 0; i < 17; i++)
        frames.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
      frames.push(Buffer.from('0\r\n\r\n'));
      const response = await rawRequest(
        port,
        'POST',
        '/',
        [
          ['Content-Type', 'text/plain'],
          ['Transfer-Encoding', 'chunked'],
        ],
        Buffer.concat(frames),
      );
      expect(response.status).toBe(413);
      expect(events).toHaveLength(0);
    });
  });
});

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])('a body parser mounted before the handler, %s', (_name, make) => {
  async function start(parser: ReturnType<typeof express.json>, handler: Handler) {
    const log: unknown[] = [];
    const app = make();
    app.use(parser);
    app.use(toExpress(loose(handler), { log: (entry) => log.push(entry) }));
    const { url } = await listen(app);
    return { http: request(url), log };
  }

  it('express.json() first: 500 with the message to mount the bridge before the body parser', async () => {
    const { handler, events } = recorder();
    const { http, log } = await start(express.json(), handler);
    const response = await http.post('/').set('Content-Type', 'application/json').send('{"a":1}');
    expect(response.status).toBe(500);
    expect(response.text).toMatch(CONSUMED);
    expect(events).toHaveLength(0);
    expect(log).toEqual([expect.objectContaining({ level: 'warn', code: 'BODY_CONSUMED' })]);
  });

  it('express.urlencoded() first: 500, the form is not silently lost', async () => {
    const { handler, events } = recorder();
    const { http } = await start(express.urlencoded({ extended: false }), handler);
    const response = await http.post('/').type('form').send('a=1');
    expect(response.status).toBe(500);
    expect(response.text).toMatch(CONSUMED);
    expect(events).toHaveLength(0);
  });

  it('express.raw() first: its raw bytes are used', async () => {
    const { handler, events } = recorder();
    const { http } = await start(express.raw({ type: '*/*' }), handler);
    const sent = randomBytes(64);
    await http.post('/').set('Content-Type', 'application/octet-stream').send(sent).expect(200);
    const event = only(events);
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64').equals(sent)).toBe(true);
  });

  it('express.json() with a verify hook that keeps req.rawBody: the raw bytes are used', async () => {
    const { handler, events } = recorder();
    const parser = express.json({
      verify: (req: IncomingMessage & { rawBody?: Buffer }, _res, buf) => {
        req.rawBody = buf;
      },
    });
    const { http } = await start(parser, handler);
    await http.post('/').set('Content-Type', 'application/json').send('{ "spaced" : true }').expect(200);
    expect(only(events).body).toBe('{ "spaced" : true }');
  });

  it('express.json() first does not disturb a request without a body', async () => {
    const { handler, events } = recorder();
    const { http } = await start(express.json(), handler);
    await http.get('/?a=1').expect(200);
    expect(only(events).body).toBe('');
  });
});

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('a body parser mounted before the handler, %s', (_name, Make) => {
  async function readAll(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function start(keepRaw: boolean, handler: Handler) {
    const app = new Make();
    app.silent = true;
    app.use(async (ctx, next) => {
      const raw = await readAll(ctx.req);
      (ctx.request as { body?: unknown }).body = JSON.parse(raw.toString() || 'null');
      if (keepRaw) (ctx.request as { rawBody?: string }).rawBody = raw.toString();
      await next();
    });
    app.use(toKoa(loose(handler), { log: () => {} }));
    const { url } = await listen(app.callback());
    return request(url);
  }

  it('a parser that keeps no raw body: 500 with the message to mount the bridge first', async () => {
    const { handler, events } = recorder();
    const http = await start(false, handler);
    const response = await http.post('/').set('Content-Type', 'application/json').send('{"a":1}');
    expect(response.status).toBe(500);
    expect(response.text).toMatch(CONSUMED);
    expect(events).toHaveLength(0);
  });

  it('a parser that keeps ctx.request.rawBody (koa-bodyparser): the raw text is used', async () => {
    const { handler, events } = recorder();
    const http = await start(true, handler);
    await http.post('/').set('Content-Type', 'application/json').send('{ "a" : 1 }').expect(200);
    expect(only(events).body).toBe('{ "a" : 1 }');
  });
});
