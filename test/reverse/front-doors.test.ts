import type { CloudFrontRequestEvent } from 'aws-lambda';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { toFetch } from '../../adapters/fetch.js';
import { toKoa } from '../../adapters/koa.js';
import { toLambda } from '../../adapters/lambda.js';
import { toExpress, toListener } from '../../adapters/node.js';
import { InvalidOptionError } from '../../lib/errors.js';
import { createEdgeEvent, createLatticeEvent } from '../../lib/events.js';
import type { LatticeEventV1, LatticeEventV2 } from '../../lib/formats/lattice.js';
import type { LogEntry } from '../../lib/log.js';
import { loose } from './support.js';

function recorder(
  result: unknown = { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' },
) {
  const events: unknown[] = [];
  const log: LogEntry[] = [];
  const handler = async (event: unknown) => {
    events.push(event);
    return typeof result === 'function' ? (result as () => unknown)() : result;
  };
  return { events, log, handler, onLog: (e: LogEntry) => log.push(e) };
}

const EDGE_OK = {
  status: '200',
  statusDescription: 'OK',
  headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain' }] },
  body: 'ok',
};

describe("format: 'lattice-v1' (VPC Lattice, event structure V1)", () => {
  it('builds the V1 event: snake_case, comma-joined repeated headers, last query value, decoded', async () => {
    const r = recorder();
    await request(toListener(loose(r.handler), { format: 'lattice-v1', log: r.onLog }))
      .post('/items/7?q=a%20b&t=1&t=2&flag')
      .set('x-multi', 'x')
      .set('content-type', 'application/json')
      .send('{"a":1}')
      .expect(200, 'ok');
    const event = r.events[0] as LatticeEventV1;
    expect(event.raw_path).toBe('/items/7');
    expect(event.method).toBe('POST');
    expect(event.query_string_parameters).toEqual({ q: 'a b', t: '2', flag: '' });
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.headers['x-forwarded-proto']).toBe('http');
    expect(event.headers).not.toHaveProperty('x-amzn-trace-id');
    expect(event.body).toBe('{"a":1}');
    expect(event.is_base64_encoded).toBe(false);
    expect(r.log).toEqual([]);
  });

  it('a result with several cookies cannot be expressed: the last one is sent', async () => {
    const app = express();
    app.use((_req, res) => {
      res.cookie('a', '1');
      res.cookie('b', '2');
      res.send('ok');
    });
    const log: LogEntry[] = [];
    const response = await request(
      toListener(toLambda(app, { log: (e) => log.push(e) }), {
        format: 'lattice-v1',
        log: (e) => log.push(e),
      }),
    ).get('/');
    expect(response.headers['set-cookie']).toEqual(['b=2; Path=/']);
    expect(log.map((e) => e.code)).toEqual(['SET_COOKIE_DROPPED']);
  });
});

describe("format: 'lattice-v2' (VPC Lattice, event structure V2)", () => {
  it('builds the V2 event: arrays of header and query values in order, the request context', async () => {
    const r = recorder();
    await request(toListener(loose(r.handler), { format: 'lattice-v2', region: 'eu-west-1', log: r.onLog }))
      .get('/health?multi=a&multi=DEF&multi=g&q=%C3%A9')
      .set('Cookie', 'a=1')
      .expect(200);
    const event = r.events[0] as LatticeEventV2;
    expect(event.version).toBe('2.0');
    expect(event.path).toBe('/health');
    expect(event.queryStringParameters).toEqual({ multi: ['a', 'DEF', 'g'], q: ['é'] });
    expect(event.headers.cookie).toEqual(['a=1']);
    expect(event.headers['x-forwarded-for']).toEqual(['127.0.0.1']);
    expect(event.requestContext.region).toBe('eu-west-1');
    expect(event.requestContext.serviceNetworkArn).toMatch(
      /^arn:aws:vpc-lattice:eu-west-1:123456789012:servicenetwork\/sn-[0-9a-f]{17}$/,
    );
    expect(event.requestContext.targetGroupArn).toMatch(/:targetgroup\/tg-[0-9a-f]{17}$/);
    expect(event.requestContext.identity).toMatchObject({ type: 'NONE' });
    expect(Number(event.requestContext.timeEpoch)).toBeGreaterThan(Date.now() * 1000 - 60e6);
  });

  it.each([
    ['a result without statusCode', { body: 'x' }, /statusCode must be a number/],
    ['a string statusCode', { statusCode: '200' }, /statusCode must be a number/],
    [
      'a numeric header value',
      { statusCode: 200, headers: { 'x-n': 1 } },
      /headers\["x-n"\] must be a string/,
    ],
    ['multiValueHeaders-style arrays', { statusCode: 200, headers: { 'x-a': ['1'] } }, /must be a string/],
    [
      'a non-boolean isBase64Encoded',
      { statusCode: 200, body: 'x', isBase64Encoded: 'yes' },
      /isBase64Encoded/,
    ],
    ['bad base64', { statusCode: 200, body: '%%', isBase64Encoded: true }, /base64/],
  ])('%s is refused with 502', async (_name, result, reason) => {
    const r = recorder(result);
    const response = await request(toListener(loose(r.handler), { format: 'lattice-v2', log: r.onLog })).get(
      '/',
    );
    expect(response.status).toBe(502);
    expect(response.headers['x-lambda-bridge-reason']).toMatch(reason);
    expect(r.log.map((e) => e.code)).toEqual(['INVALID_RESULT']);
  });

  it('a valid result: statusDescription gives the reason phrase, base64 bodies decoded', async () => {
    const r = recorder({
      statusCode: 418,
      statusDescription: "418 I'm a teapot",
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 1, 2]).toString('base64'),
      isBase64Encoded: true,
    });
    const response = await request(toListener(loose(r.handler), { format: 'lattice-v2', log: r.onLog }))
      .get('/')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(response.status).toBe(418);
    expect([...(response.body as Buffer)]).toEqual([0, 1, 2]);
  });

  it('a failing handler is answered with 502', async () => {
    const r = recorder(() => {
      throw new Error('boom');
    });
    const response = await request(toListener(loose(r.handler), { format: 'lattice-v2', log: r.onLog })).get(
      '/',
    );
    expect(response.status).toBe(502);
    expect(r.log.map((e) => e.code)).toEqual(['HANDLER_ERROR']);
  });

  it('a request body over 6 MB is refused with 413 before invoking', async () => {
    const r = recorder();
    const response = await request(toListener(loose(r.handler), { format: 'lattice-v2', log: r.onLog }))
      .post('/')
      .set('content-type', 'application/octet-stream')
      .send(Buffer.alloc(6 * 1024 * 1024 + 1));
    expect(response.status).toBe(413);
    expect(r.events).toEqual([]);
  });
});

describe("format: 'edge-viewer-request' and 'edge-origin-request' (Lambda@Edge)", () => {
  it('builds the viewer-request event: { key, value } headers, raw querystring, base64 body', async () => {
    const r = recorder(EDGE_OK);
    await request(toListener(loose(r.handler), { format: 'edge-viewer-request', log: r.onLog }))
      .post('/form?q=a%20b&q=2')
      .set('content-type', 'text/plain')
      .set('x-amzn-trace-id', 'spoofed')
      .send('hello')
      .expect(200, 'ok');
    const { cf } = (r.events[0] as CloudFrontRequestEvent).Records[0];
    expect(cf.config.eventType).toBe('viewer-request');
    expect(cf.config.distributionDomainName).toMatch(/^d[0-9a-f]{12}\.cloudfront\.net$/);
    expect(cf.request).toMatchObject({
      method: 'POST',
      uri: '/form',
      querystring: 'q=a%20b&q=2',
      clientIp: '127.0.0.1',
    });
    expect(cf.request.headers['content-type']).toEqual([{ key: 'Content-Type', value: 'text/plain' }]);
    // X-Amzn-* headers are not exposed to a function; no x-forwarded-for before the viewer request.
    expect(cf.request.headers).not.toHaveProperty('x-amzn-trace-id');
    expect(cf.request.headers).not.toHaveProperty('x-forwarded-for');
    expect(cf.request.body).toEqual({
      action: 'read-only',
      data: Buffer.from('hello').toString('base64'),
      encoding: 'base64',
      inputTruncated: false,
    });
    expect(cf.request).not.toHaveProperty('origin');
  });

  it('the origin-request event adds x-forwarded-for, via, cloudfront-forwarded-proto and the origin', async () => {
    const r = recorder(EDGE_OK);
    await request(toListener(loose(r.handler), { format: 'edge-origin-request', log: r.onLog }))
      .get('/')
      .expect(200);
    const { cf } = (r.events[0] as CloudFrontRequestEvent).Records[0];
    expect(cf.config.eventType).toBe('origin-request');
    expect(cf.request.headers['x-forwarded-for']).toEqual([{ key: 'X-Forwarded-For', value: '127.0.0.1' }]);
    expect(cf.request.headers.via[0].value).toMatch(/cloudfront\.net \(CloudFront\)$/);
    expect(cf.request.headers['cloudfront-forwarded-proto']).toEqual([
      { key: 'CloudFront-Forwarded-Proto', value: 'http' },
    ]);
    expect(cf.request.origin?.custom?.protocol).toBe('https');
  });

  it.each([
    ['edge-viewer-request', 40 * 1024],
    ['edge-origin-request', 1024 * 1024],
  ] as const)('%s: a body over %i bytes is truncated, with inputTruncated: true', async (format, limit) => {
    const r = recorder(EDGE_OK);
    await request(toListener(loose(r.handler), { format, log: r.onLog }))
      .post('/')
      .set('content-type', 'application/octet-stream')
      .send(Buffer.alloc(limit + 10, 7))
      .expect(200);
    const body = (r.events[0] as CloudFrontRequestEvent).Records[0].cf.request.body;
    expect(body?.inputTruncated).toBe(true);
    expect(Buffer.from(body?.data ?? '', 'base64').length).toBe(limit);
  });

  it.each([
    ['a numeric status', { ...EDGE_OK, status: 200 }, /status must be a string/],
    ['headers not in { key, value } arrays', { ...EDGE_OK, headers: { 'x-a': 'b' } }, /must be an array/],
    ['a header name not in lower case', { ...EDGE_OK, headers: { 'X-A': [{ value: 'b' }] } }, /lower case/],
    [
      'a key that does not match its name',
      { ...EDGE_OK, headers: { 'x-a': [{ key: 'X-B', value: 'b' }] } },
      /key/,
    ],
    ['a disallowed header', { ...EDGE_OK, headers: { connection: [{ value: 'close' }] } }, /does not accept/],
    [
      'a read-only header',
      { ...EDGE_OK, headers: { 'transfer-encoding': [{ value: 'chunked' }] } },
      /does not accept/,
    ],
    ['an unknown bodyEncoding', { ...EDGE_OK, bodyEncoding: 'hex' }, /bodyEncoding/],
    ['bad base64', { ...EDGE_OK, body: '%%', bodyEncoding: 'base64' }, /base64/],
    ['the request itself (go on to the origin)', { uri: '/', method: 'GET', headers: {} }, /no origin/],
    ['a response over 40 KB', { ...EDGE_OK, body: 'a'.repeat(41 * 1024) }, /40960-byte limit/],
  ])(
    'viewer request: %s is answered as CloudFront does: 502 LambdaValidationError',
    async (_n, result, reason) => {
      const r = recorder(result);
      const response = await request(
        toListener(loose(r.handler), { format: 'edge-viewer-request', log: r.onLog }),
      ).get('/');
      expect(response.status).toBe(502);
      expect(response.headers.server).toBe('CloudFront');
      expect(response.headers['x-cache']).toBe('LambdaValidationError from cloudfront');
      expect(response.text).toContain('The request could not be satisfied.');
      expect(response.headers['x-lambda-bridge-reason']).toMatch(reason);
    },
  );

  it('a 41 KB response is fine for an origin-request function', async () => {
    const r = recorder({ ...EDGE_OK, body: 'a'.repeat(41 * 1024) });
    await request(toListener(loose(r.handler), { format: 'edge-origin-request', log: r.onLog }))
      .get('/')
      .expect(200);
  });

  it('a failing handler is answered with 503 LambdaExecutionError', async () => {
    const r = recorder(() => {
      throw new Error('boom');
    });
    const response = await request(
      toListener(loose(r.handler), { format: 'edge-origin-request', log: r.onLog }),
    ).get('/');
    expect(response.status).toBe(503);
    expect(response.headers['x-cache']).toBe('LambdaExecutionError from cloudfront');
  });

  it('a generated response keeps every Set-Cookie and the status description', async () => {
    const r = recorder({
      status: '302',
      statusDescription: 'Found',
      headers: {
        location: [{ key: 'Location', value: 'https://example.com/' }],
        'set-cookie': [
          { key: 'Set-Cookie', value: 'a=1' },
          { key: 'Set-Cookie', value: 'b=2' },
        ],
      },
    });
    const response = await request(
      toListener(loose(r.handler), { format: 'edge-viewer-request', log: r.onLog }),
    ).get('/');
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('https://example.com/');
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });
});

describe('the new formats in every host', () => {
  const formats = ['lattice-v1', 'lattice-v2', 'edge-viewer-request', 'edge-origin-request'] as const;
  const app = express();
  app.get('/hello', (req, res) => {
    res.cookie('seen', '1');
    res.json({ q: req.query.q });
  });
  const handler = toLambda(app, { log: () => {} });

  it.each(formats)('%s through toExpress', async (format) => {
    const host = express();
    host.use('/api', toExpress(loose(handler), { format, stripPrefix: '/api', log: () => {} }));
    const response = await request(host).get('/api/hello?q=a%20b').expect(200);
    expect(response.body).toEqual({ q: 'a b' });
    expect(response.headers['set-cookie']).toEqual(['seen=1; Path=/']);
  });

  it.each(formats)('%s through toFetch', async (format) => {
    const fetchHandler = toFetch(loose(handler), { format, log: () => {} });
    const response = await fetchHandler(new Request('http://localhost/hello?q=a%20b'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ q: 'a b' });
    expect(response.headers.getSetCookie()).toEqual(['seen=1; Path=/']);
  });

  it.each(formats)('%s through toKoa', async (format) => {
    const host = new Koa();
    host.use(toKoa(loose(handler), { format, log: () => {} }));
    const response = await request(host.callback()).get('/hello?q=x').expect(200);
    expect(response.body).toEqual({ q: 'x' });
  });
});

describe('createLatticeEvent and createEdgeEvent', () => {
  it('build the event the middleware builds, V2 and viewer request by default', () => {
    const v2 = createLatticeEvent({ url: '/a?x=1&x=2', headers: ['x-m', '1', 'x-m', '2'] });
    expect(v2.version).toBe('2.0');
    expect(v2.queryStringParameters).toEqual({ x: ['1', '2'] });
    expect(v2.headers['x-m']).toEqual(['1', '2']);
    const v1 = createLatticeEvent(
      { url: '/a?x=1&x=2', headers: ['x-m', '1', 'x-m', '2'] },
      { format: 'lattice-v1' },
    );
    expect(v1.query_string_parameters).toEqual({ x: '2' });
    expect(v1.headers['x-m']).toBe('1, 2');
    const viewer = createEdgeEvent({ method: 'POST', url: '/f?z=1', body: 'b' });
    expect(viewer.Records[0].cf.config.eventType).toBe('viewer-request');
    expect(viewer.Records[0].cf.request.querystring).toBe('z=1');
    const origin = createEdgeEvent({}, { format: 'edge-origin-request' });
    expect(origin.Records[0].cf.config.eventType).toBe('origin-request');
  });

  it('the built events drive toLambda', async () => {
    const handler = toLambda(
      (req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.end(req.url);
      },
      { log: () => {} },
    );
    const lattice = await handler(createLatticeEvent({ url: '/p?q=a%20b' }) as never);
    expect(lattice).toMatchObject({ statusCode: 200, body: '/p?q=a%20b' });
    const edge = await handler(createEdgeEvent({ url: '/p?q=a%20b' }) as never);
    expect(edge).toMatchObject({ status: '200', body: '/p?q=a%20b' });
  });

  it('refuse a format of another service with InvalidOptionError', () => {
    expect(() => createLatticeEvent({}, { format: 'alb' as never })).toThrow(InvalidOptionError);
    expect(() => createEdgeEvent({}, { format: 'lattice-v1' as never })).toThrow(/createEdgeEvent builds/);
  });
});
