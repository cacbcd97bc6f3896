import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, type LogEntry, toExpress, toKoa, toListener } from '../../index.js';
import { type Handler, loose, only, recorder, useServers } from './support.js';

const { listen } = useServers();

const quiet = { log: (_entry: LogEntry) => {} };

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])('toExpress mounted in an app, %s', (_name, make) => {
  async function start(setup: (app: ReturnType<typeof express>) => void) {
    const app = make();
    setup(app);
    const { url } = await listen(app);
    return request(url);
  }

  it("app.use('/api', …): the event path is the full original path, query kept apart", async () => {
    const { handler, events } = recorder();
    const http = await start((app) => app.use('/api', toExpress(loose(handler), quiet)));
    await http.get('/api/orders/7?x=1').expect(200);
    const event = only(events);
    expect(event.path).toBe('/api/orders/7');
    expect(event.queryStringParameters).toEqual({ x: '1' });
  });

  it('12: the app routes in place of listener rules: a mount on /api gets /api and /api/x, not /apix', async () => {
    const { handler, events } = recorder();
    const http = await start((app) => app.use('/api', toExpress(loose(handler), quiet)));
    await http.get('/api').expect(200);
    await http.get('/api/v1/x').expect(200);
    await http.get('/apix').expect(404);
    expect(events.map((event) => event.path)).toEqual(['/api', '/api/v1/x']);
  });

  it('stripPrefix removes the mount prefix from the event path', async () => {
    const { handler, events } = recorder();
    const http = await start((app) =>
      app.use('/api', toExpress(loose(handler), { ...quiet, stripPrefix: '/api' })),
    );
    await http.get('/api/orders/7?x=1').expect(200);
    await http.get('/api').expect(200);
    await http.get('/api/').expect(200);
    expect(events.map((event) => event.path)).toEqual(['/orders/7', '/', '/']);
    expect(events[0].queryStringParameters).toEqual({ x: '1' });
  });

  it('stripPrefix with a trailing slash is the same prefix', async () => {
    const { handler, events } = recorder();
    const http = await start((app) =>
      app.use('/api', toExpress(loose(handler), { ...quiet, stripPrefix: '/api/' })),
    );
    await http.get('/api/x').expect(200);
    expect(only(events).path).toBe('/x');
  });

  it('a router inside a mount: the event path is still the full path', async () => {
    const { handler, events } = recorder();
    const http = await start((app) => {
      const router = make.Router();
      router.use('/v1', toExpress(loose(handler), quiet));
      app.use('/api', router);
    });
    await http.get('/api/v1/things').expect(200);
    expect(only(events).path).toBe('/api/v1/things');
  });

  it('ordinary routes next to the mount keep working, and other paths never reach the handler', async () => {
    const { handler, events } = recorder({ statusCode: 200, body: 'from lambda' });
    const http = await start((app) => {
      app.get('/health', (_req, res) => {
        res.send('healthy');
      });
      app.use('/api', toExpress(loose(handler), quiet));
      app.get('/after', (_req, res) => {
        res.send('after');
      });
    });
    expect((await http.get('/health').expect(200)).text).toBe('healthy');
    expect((await http.get('/api/x').expect(200)).text).toBe('from lambda');
    expect((await http.get('/after').expect(200)).text).toBe('after');
    await http.get('/elsewhere').expect(404);
    expect(events.map((event) => event.path)).toEqual(['/api/x']);
  });

  it('the handler answers the request: routes mounted after it on the same path are not reached', async () => {
    const { handler } = recorder({ statusCode: 202, body: 'lambda' });
    let reached = false;
    const http = await start((app) => {
      app.use('/api', toExpress(loose(handler), quiet));
      app.use('/api', (_req, res) => {
        reached = true;
        res.send('later');
      });
    });
    expect((await http.get('/api/x')).text).toBe('lambda');
    expect(reached).toBe(false);
  });

  it('two handlers under two prefixes each get their own requests', async () => {
    const a = recorder({ statusCode: 200, body: 'a' });
    const b = recorder({ statusCode: 200, body: 'b' });
    const http = await start((app) => {
      app.use('/a', toExpress(loose(a.handler), quiet));
      app.use('/b', toExpress(loose(b.handler), { ...quiet, multiValueHeaders: true }));
    });
    expect((await http.get('/a/1').expect(200)).text).toBe('a');
    expect((await http.get('/b/2').expect(200)).text).toBe('b');
    expect(only(a.events)).toHaveProperty('headers');
    expect(only(b.events)).toHaveProperty('multiValueHeaders');
  });
});

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('toKoa mounted in an app, %s', (_name, Make) => {
  it('under a prefix, the event path is the full original path', async () => {
    const { handler, events } = recorder();
    const app = new Make();
    app.silent = true;
    const lambda = toKoa(loose(handler), quiet);
    app.use(async (ctx, next) => {
      if (!ctx.path.startsWith('/api/')) return next();
      // A mount helper such as koa-mount rewrites ctx.path; the ALB still sends the full path.
      ctx.path = ctx.path.slice(4);
      return lambda(ctx, next);
    });
    app.use((ctx) => {
      ctx.body = 'koa';
    });
    const http = request((await listen(app.callback())).url);
    await http.get('/api/orders?id=7').expect(200);
    expect((await http.get('/other').expect(200)).text).toBe('koa');
    const event = only(events);
    expect(event.path).toBe('/api/orders');
    expect(event.queryStringParameters).toEqual({ id: '7' });
  });

  it('stripPrefix removes the prefix', async () => {
    const { handler, events } = recorder();
    const app = new Make();
    app.silent = true;
    app.use(toKoa(loose(handler), { ...quiet, stripPrefix: '/api' }));
    const http = request((await listen(app.callback())).url);
    await http.get('/api/orders').expect(200);
    await http.get('/apiary').expect(200);
    expect(events.map((event) => event.path)).toEqual(['/orders', '/apiary']);
  });

  it('answers every request that reaches it; later middleware is not called', async () => {
    const { handler } = recorder({ statusCode: 200, body: 'lambda' });
    let reached = false;
    const app = new Make();
    app.silent = true;
    app.use(toKoa(loose(handler), quiet));
    app.use((ctx) => {
      reached = true;
      ctx.body = 'later';
    });
    const http = request((await listen(app.callback())).url);
    expect((await http.get('/').expect(200)).text).toBe('lambda');
    expect(reached).toBe(false);
  });

  it('Koa does not overwrite the answer: a 404 result stays a 404 with its body', async () => {
    const { handler } = recorder({ statusCode: 404, body: 'no such thing' });
    const app = new Make();
    app.silent = true;
    app.use(toKoa(loose(handler), quiet));
    const http = request((await listen(app.callback())).url);
    const response = await http.get('/');
    expect(response.status).toBe(404);
    expect(response.text).toBe('no such thing');
  });
});

describe('supertest(toListener(handler)), with no server of your own', () => {
  it('answers through supertest directly', async () => {
    const { handler, events } = recorder({
      statusCode: 200,
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    const response = await request(toListener(loose(handler), quiet))
      .get('/hello?name=a%20b')
      .expect(200);
    expect(response.text).toBe('hi');
    const event = only(events);
    expect(event.path).toBe('/hello');
    expect(event.queryStringParameters).toEqual({ name: 'a%20b' });
  });

  it('works in multi-value mode', async () => {
    const handler: Handler = async (event) => ({
      statusCode: 200,
      multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
      body: JSON.stringify(event.multiValueQueryStringParameters),
    });
    const response = await request(toListener(loose(handler), { ...quiet, multiValueHeaders: true }))
      .get('/?a=1&a=2')
      .expect(200);
    expect(JSON.parse(response.text)).toEqual({ a: ['1', '2'] });
    expect(response.headers['set-cookie']).toHaveLength(2);
  });

  it('stripPrefix works for a bare listener too', async () => {
    const { handler, events } = recorder();
    await request(toListener(loose(handler), { ...quiet, stripPrefix: '/svc' }))
      .get('/svc/a')
      .expect(200);
    expect(only(events).path).toBe('/a');
  });
});

describe('mounting checks its arguments', () => {
  it.each([
    ['toListener', toListener],
    ['toExpress', toExpress],
    ['toKoa', toKoa],
  ] as const)('%s throws InvalidOptionError for a handler that is not a function', (_name, adapter) => {
    expect(() => adapter('handler' as never)).toThrow(InvalidOptionError);
    expect(() => adapter(undefined as never)).toThrow(/The handler must be a function/);
  });

  it.each([
    ['toListener', toListener],
    ['toExpress', toExpress],
    ['toKoa', toKoa],
  ] as const)('%s throws InvalidOptionError for a bad option at mount time', (_name, adapter) => {
    const handler: Handler = async () => ({ statusCode: 200 });
    expect(() => adapter(loose(handler), { timeout: -1 })).toThrow(InvalidOptionError);
  });
});

describe('a failure inside the bridge itself', () => {
  // A request object without rawHeaders cannot come from Node's server; it stands for a bridge bug.
  const broken = () =>
    ({
      method: 'GET',
      url: '/',
      headers: {},
      readableEnded: true,
      readableDidRead: true,
      socket: {},
    }) as unknown as IncomingMessage;

  it('toListener answers 500 with the error message', async () => {
    const written: { status?: number; body?: string } = {};
    const res = {
      headersSent: false,
      statusCode: 200,
      setHeader: () => {},
      end(this: { statusCode: number }, body: string) {
        written.status = this.statusCode;
        written.body = body;
      },
    } as unknown as ServerResponse;
    await toListener(async () => ({ statusCode: 200 }), quiet)(broken(), res);
    expect(written.status).toBe(500);
    expect(written.body).toMatch(/^lambda-bridge failed: /);
  });

  it('toExpress passes the error to next()', async () => {
    const error = await new Promise<unknown>((resolve) => {
      toExpress(async () => ({ statusCode: 200 }), quiet)(broken(), {} as ServerResponse, resolve);
    });
    expect(error).toBeInstanceOf(Error);
  });
});
