import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ALBEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import Fastify from 'fastify';
import { H3 } from 'h3';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { fromFetch, getInvocation, toLambda } from '../../adapters/lambda.js';
import { InvalidAppError } from '../../lib/errors.js';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { apiGatewayV2Event } from '../fixtures/apigw-v2-event.js';
import { call, fakeContext, invoke } from './support.js';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a Fastify instance', () => {
  it('is booted by the first invocation: a plugin that registers its route late is awaited', async () => {
    const app = Fastify();
    app.register(async (scope) => {
      await later(30);
      scope.get('/lambda', async () => ({ booted: true }));
    });
    const result = await call(app, albEvent, {}, fakeContext(60_000));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toEqual({ booted: true });
  });

  it('a promise of the instance, app.ready(), started during INIT, is accepted', async () => {
    const app = Fastify();
    app.get('/lambda', async () => 'ready');
    const result = await call(app.ready(), albEvent);
    expect(result.body).toBe('ready');
  });

  it('a boot slower than the deadline is answered 504 under the deadline, and the next invocation is served', async () => {
    const app = Fastify();
    app.register(async () => {
      await later(1500);
    });
    app.get('/lambda', async () => 'late but ready');
    const handler = toLambda(app, { log: () => {}, deadlineMargin: 100 });
    const started = Date.now();
    const first = await handler(albEvent, fakeContext(700));
    expect(first.statusCode).toBe(504);
    expect(Date.now() - started).toBeLessThan(1400);
    await app.ready();
    const second = await handler(albEvent, fakeContext(60_000));
    expect(second.body).toBe('late but ready');
  });

  it('a plugin that fails gives 500 with an APP_INIT_ERROR warning that names the error', async () => {
    const app = Fastify();
    app.register(async () => {
      throw new Error('database unreachable');
    });
    const { result, warnings } = await invoke(app, albEvent);
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe('Internal Server Error');
    expect(warnings.map((w) => w.code)).toEqual(['APP_INIT_ERROR']);
    expect(warnings[0].message).toContain('database unreachable');
  });

  it('answers through its router without listening on a port, with request.ip the last x-forwarded-for hop', async () => {
    const app = Fastify();
    app.get('/lambda', async (request) => ({ ip: request.ip, listening: app.server.listening }));
    const result = await call(app, {
      ...albEvent,
      headers: { ...albEvent.headers, 'x-forwarded-for': '198.51.100.1, 203.0.113.9' },
    });
    expect(JSON.parse(result.body ?? '')).toEqual({ ip: '203.0.113.9', listening: false });
  });
});

describe('an http.Server', () => {
  it('runs its request listeners in order, with the server as this', async () => {
    const calls: string[] = [];
    const server = createServer();
    server.on('request', function (this: unknown, _req: IncomingMessage, res: ServerResponse) {
      calls.push(this === server ? 'first, this is the server' : 'first');
      res.setHeader('x-first', '1');
    });
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      calls.push('second');
      res.end('both ran');
    });
    const result = await call(server, albEventMulti);
    expect(calls).toEqual(['first, this is the server', 'second']);
    expect(result.multiValueHeaders?.['x-first']).toEqual(['1']);
    expect(result.body).toBe('both ran');
  });

  it('reads its listeners per request: one added after toLambda counts', async () => {
    const server = createServer();
    const handler = toLambda(server, { log: () => {} });
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => res.end('added later'));
    const result = await handler(albEvent);
    expect(result.statusCode).toBe(200);
  });

  it('a server with no request listener gives 500 with a warning that says how to add one', async () => {
    const { result, warnings } = await invoke(createServer(), albEvent);
    expect(result.statusCode).toBe(500);
    expect(warnings.map((w) => w.code)).toEqual(['APP_ERROR']);
    expect(warnings[0].message).toContain("no 'request' listener");
  });

  it('a listener that rejects gives 500', async () => {
    const server = createServer(async () => {
      throw new Error('async failure');
    });
    const { result, warnings } = await invoke(server, albEvent);
    expect(result.statusCode).toBe(500);
    expect(warnings[0].message).toContain('async failure');
  });
});

describe('a fetch app', () => {
  it('gets a Request with the URL from host and x-forwarded-proto, the query as sent, and request.ip', async () => {
    const seen: Array<{ url: string; ip: unknown; method: string }> = [];
    const app = fromFetch((request) => {
      seen.push({ url: request.url, ip: Reflect.get(request, 'ip'), method: request.method });
      return new Response('ok');
    });
    await call(app, {
      ...albEvent,
      path: '/a%20b/c',
      queryStringParameters: { q: 'a+b%2Bc', 'k%5B%5D': '1' },
      headers: {
        host: 'api.example.com',
        'x-forwarded-proto': 'https',
        'x-forwarded-for': '198.51.100.7, 203.0.113.5',
      },
    });
    expect(seen).toEqual([
      { url: 'https://api.example.com/a%20b/c?q=a+b%2Bc&k%5B%5D=1', ip: '203.0.113.5', method: 'GET' },
    ]);
  });

  it('gets the body bytes of a POST, and none for a GET that carries one (fetch allows none)', async () => {
    const bodies: string[] = [];
    const app = fromFetch(async (request) => {
      bodies.push(await request.text());
      return new Response(null, { status: 204 });
    });
    await call(app, {
      ...albEvent,
      httpMethod: 'POST',
      body: Buffer.from('é!').toString('base64'),
      isBase64Encoded: true,
    });
    await call(app, { ...albEvent, httpMethod: 'GET', body: 'ignored' });
    expect(bodies).toEqual(['é!', '']);
  });

  it('gets Hono’s aws-lambda environment: event, requestContext and lambdaContext', async () => {
    const app = new Hono<{
      Bindings: { event: ALBEvent; requestContext: unknown; lambdaContext: Context };
    }>();
    app.get('*', (c) =>
      c.json({
        same: c.env.event === albEvent,
        arn: (c.env.requestContext as ALBEvent['requestContext']).elb.targetGroupArn,
        requestId: c.env.lambdaContext.awsRequestId,
      }),
    );
    const result = await call(app, albEvent, {}, fakeContext(60_000, 'req-9'));
    expect(JSON.parse(result.body ?? '')).toEqual({
      same: true,
      arn: albEvent.requestContext.elb.targetGroupArn,
      requestId: 'req-9',
    });
  });

  it('every Set-Cookie reaches an API Gateway v2 result as cookies[]', async () => {
    const app = new Hono();
    app.get('*', (c) => {
      c.header('set-cookie', 'a=1; Expires=Tue, 01 Jan 2030 00:00:00 GMT', { append: true });
      c.header('set-cookie', 'b=2', { append: true });
      return c.text('ok');
    });
    const result = await toLambda<APIGatewayProxyEventV2>(app)(apiGatewayV2Event);
    expect(typeof result === 'object' && result.cookies).toEqual([
      'a=1; Expires=Tue, 01 Jan 2030 00:00:00 GMT',
      'b=2',
    ]);
  });

  it('an H3 app is a fetch app too', async () => {
    const app = new H3();
    app.get('/lambda', (event) => ({ query: Object.fromEntries(event.url.searchParams) }));
    const result = await call(app, albEvent);
    expect(JSON.parse(result.body ?? '')).toEqual({ query: { query: '1234ABCD' } });
  });

  it.each<[string, () => unknown, string]>([
    [
      'throws',
      () => {
        throw new Error('sync boom');
      },
      'sync boom',
    ],
    [
      'rejects',
      async () => {
        throw new Error('async boom');
      },
      'async boom',
    ],
    ['returns no Response', () => ({ status: 'nope' }), 'not a Response'],
    ['returns a network error', () => Response.error(), 'network error'],
  ])('a fetch that %s gives 500 with an APP_ERROR warning', async (_label, fetch, message) => {
    const { result, warnings } = await invoke({ fetch } as never, albEvent);
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe('Internal Server Error');
    expect(warnings.map((w) => w.code)).toEqual(['APP_ERROR']);
    expect(warnings[0].message).toContain(message);
  });

  it('exposeErrors puts the stack in the 500 body', async () => {
    const { result } = await invoke(
      fromFetch(() => {
        throw new Error('shown');
      }),
      albEvent,
      { exposeErrors: true },
    );
    expect(result.body).toMatch(/^Error: shown\n\s+at /);
  });

  it('at the deadline the answer is 504, and what the app sends later is dropped', async () => {
    const box: { late?: () => void } = {};
    const app = fromFetch(
      () =>
        new Promise<Response>((resolve) => {
          box.late = () => resolve(new Response('too late'));
        }),
    );
    const { result, warnings } = await invoke(app, albEvent, { deadlineMargin: 100 }, fakeContext(400));
    expect(result.statusCode).toBe(504);
    expect(result.body).toBe('Gateway Timeout');
    expect(warnings.map((w) => w.code)).toEqual(['APP_TIMEOUT']);
    box.late?.();
    await later(10);
    expect(warnings.map((w) => w.code)).toEqual(['APP_TIMEOUT']);
  });

  it('a Response whose body never ends is answered 504 at the deadline', async () => {
    const app = fromFetch(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('partial'));
            },
          }),
        ),
    );
    const { result } = await invoke(app, albEvent, { deadlineMargin: 100 }, fakeContext(400));
    expect(result.statusCode).toBe(504);
  });

  it('a host header that cannot be a URL authority still reaches the app, as localhost', async () => {
    const urls: string[] = [];
    const app = fromFetch((request) => {
      urls.push(request.url);
      return new Response('ok');
    });
    await call(app, { ...albEvent, headers: { host: 'bad host' } });
    expect(urls).toEqual(['http://localhost/lambda?query=1234ABCD']);
  });

  it('a body past the limit is not buffered: the stream is cancelled and the answer is 502', async () => {
    let pulled = 0;
    let cancelled = false;
    const app = fromFetch(
      () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              pulled++;
              controller.enqueue(new Uint8Array(64 * 1024));
            },
            cancel() {
              cancelled = true;
            },
          }),
          { headers: { 'content-type': 'application/octet-stream' } },
        ),
    );
    const { result, warnings } = await invoke(app, { ...albEvent, headers: { host: 'x' } });
    expect(result.statusCode).toBe(502);
    expect(warnings.map((w) => w.code)).toEqual(['RESULT_TOO_LARGE']);
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(40);
  });

  it('a method a fetch Request cannot carry is answered 400 with a warning', async () => {
    const { result, warnings } = await invoke(
      fromFetch(() => new Response('never')),
      {
        ...albEvent,
        httpMethod: 'CONNECT',
      },
    );
    expect(result.statusCode).toBe(400);
    expect(warnings.map((w) => w.code)).toEqual(['INVALID_EVENT']);
    expect(warnings[0].message).toContain('CONNECT');
  });

  it('a malformed event is answered 400 without calling the app', async () => {
    let called = false;
    const app = new Hono();
    app.all('*', (c) => {
      called = true;
      return c.text('no');
    });
    const { result, warnings } = await invoke(app, { ...albEvent, path: 'no-slash' });
    expect(result.statusCode).toBe(400);
    expect(called).toBe(false);
    expect(warnings.map((w) => w.code)).toEqual(['INVALID_EVENT']);
  });

  it('getInvocation(c.req.raw) gives each of 50 concurrent invocations its own event and context', async () => {
    const app = new Hono();
    app.get('/item/:id', async (c) => {
      const before = getInvocation(c.req.raw);
      for (let i = 0; i < (Number(c.req.param('id')) * 7) % 11; i++)
        await new Promise((r) => setImmediate(r));
      const after = getInvocation(c.req.raw);
      return c.json({
        id: c.req.param('id'),
        path: after?.event.path,
        requestId: after?.context?.awsRequestId,
        same: before === after,
      });
    });
    const handler = toLambda(app);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        handler({ ...albEvent, path: `/item/${i}` }, fakeContext(60_000, `request-${i}`)),
      ),
    );
    results.forEach((result, i) => {
      expect(JSON.parse(result.body ?? '')).toEqual({
        id: String(i),
        path: `/item/${i}`,
        requestId: `request-${i}`,
        same: true,
      });
    });
  });

  it('getInvocation of a Request that did not come through toLambda is undefined', () => {
    expect(getInvocation(new Request('http://localhost/'))).toBeUndefined();
  });

  it('fromFetch refuses what is not a function, with InvalidAppError', () => {
    expect(() => fromFetch('nope' as never)).toThrow(InvalidAppError);
    expect(() => fromFetch('nope' as never)).toThrow(/fromFetch expects a function/);
  });
});
