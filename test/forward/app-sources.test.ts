import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ALBEvent } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import {
  type AppSource,
  fromFetch,
  getInvocation,
  type ToLambdaOptions,
  toLambda,
} from '../../adapters/lambda.js';
import { InvalidAppError, InvalidOptionError } from '../../lib/errors.js';
import type { LogEntry } from '../../lib/log.js';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { call, fakeContext, frameworks, invoke, nodeFrameworks } from './support.js';

const hello = (_req: IncomingMessage, res: ServerResponse) => {
  res.setHeader('content-type', 'text/plain');
  res.end('hello');
};

function expressHello(make: typeof express) {
  const app = make();
  app.get('/lambda', (_req, res) => {
    res.type('text/plain').send('hello');
  });
  return app;
}

function koaHello(Make: typeof Koa) {
  const app = new Make();
  app.use((ctx) => {
    ctx.body = 'hello';
  });
  return app;
}

describe('app sources', () => {
  it.each<[string, () => AppSource]>([
    ['a (req, res) listener', () => hello],
    ['an Express 5 app', () => expressHello(express)],
    ['an Express 4 app', () => expressHello(express4)],
    ['a Koa 3 app', () => koaHello(Koa)],
    ['a Koa 2 app', () => koaHello(Koa2)],
    ['a Koa app’s callback()', () => koaHello(Koa).callback()],
    ['a promise of an Express app', () => Promise.resolve(expressHello(express))],
    ['a promise of a Koa app', () => Promise.resolve(koaHello(Koa2))],
    ['an async factory of an Express app', () => async () => expressHello(express4)],
    ['a sync factory of a listener', () => () => hello],
    ['an http.Server', () => createServer(hello)],
    [
      'a Fastify 5 instance',
      () => {
        const app = Fastify();
        app.get('/lambda', async () => 'hello');
        return app;
      },
    ],
    [
      'a Hono 4 app',
      () => {
        const app = new Hono();
        app.get('/lambda', (c) => c.text('hello'));
        return app;
      },
    ],
    ['a bare fetch function, through fromFetch', () => fromFetch(() => new Response('hello'))],
    ['an async factory of a Hono app', () => async () => new Hono().get('*', (c) => c.text('hello'))],
  ])('%s answers', async (_label, make) => {
    const result = await call(make(), albEvent);
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('hello');
  });

  it('L3: an async factory is called once, on the first invocation, and reused', async () => {
    let calls = 0;
    const factory = async () => {
      calls++;
      await new Promise((resolve) => setImmediate(resolve));
      return expressHello(express);
    };
    const handler = toLambda(factory, { log: () => {} });
    expect(calls).toBe(0);
    const results = await Promise.all([handler(albEvent), handler(albEvent), handler(albEventMulti)]);
    await handler(albEvent);
    expect(calls).toBe(1);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 404]);
  });

  it('L3: a promise of an app is awaited once', async () => {
    let thens = 0;
    const app = expressHello(express);
    const source: PromiseLike<typeof app> = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable app source is what this test counts.
      then(onFulfilled, onRejected) {
        thens++;
        return Promise.resolve(app).then(onFulfilled, onRejected);
      },
    };
    const handler = toLambda(source);
    await handler(albEvent);
    await handler(albEvent);
    expect(thens).toBe(1);
  });

  it('L3: a factory that fails once answers 500 with a warning and is tried again on the next invocation', async () => {
    let calls = 0;
    const entries: LogEntry[] = [];
    const handler = toLambda(
      async () => {
        calls++;
        if (calls === 1) throw new Error('database not ready');
        return hello;
      },
      { log: (entry) => entries.push(entry) },
    );
    const failed = await handler(albEvent);
    expect(failed.statusCode).toBe(500);
    expect(entries).toEqual([
      expect.objectContaining({
        code: 'APP_INIT_ERROR',
        message: expect.stringContaining('database not ready'),
      }),
    ]);
    const result = await handler(albEvent);
    expect(result.body).toBe('hello');
    await handler(albEvent);
    expect(calls).toBe(2);
  });

  it('a factory that gives something else answers 500, with a warning that says what it gave', async () => {
    const entries: LogEntry[] = [];
    const handler = toLambda(async () => 'not an app', { log: (entry) => entries.push(entry) });
    expect((await handler(albEvent)).statusCode).toBe(500);
    expect(entries[0]).toMatchObject({
      code: 'APP_INIT_ERROR',
      message: expect.stringContaining('the string "not an app"'),
    });
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['an object without callback()', { handle: 1 }],
    ['an object whose callback() gives no function', { callback: () => 'nope' }],
  ])('%s is refused at once with InvalidAppError', (_label, app) => {
    expect(() => Reflect.apply(toLambda, undefined, [app])).toThrow(InvalidAppError);
  });
});

describe('L1: the handler suits the Node.js 24 runtime', () => {
  it.each(frameworks)(
    'for $name it is an async (event, context) function of at most 2 parameters',
    (framework) => {
      const handler = toLambda(framework.answer({ body: 'hello' }));
      expect(handler.length).toBeLessThanOrEqual(2);
      expect(handler.constructor.name).toBe('AsyncFunction');
    },
  );

  it('it uses no callback and no context.done/succeed/fail', async () => {
    const used: string[] = [];
    const context = fakeContext(60_000);
    context.done = () => used.push('done');
    context.succeed = () => used.push('succeed');
    context.fail = () => used.push('fail');
    const handler = toLambda(hello);
    const result = await Reflect.apply(handler, undefined, [albEvent, context, () => used.push('callback')]);
    expect(result.statusCode).toBe(200);
    expect(used).toEqual([]);
    expect(context.callbackWaitsForEmptyEventLoop).toBe(true);
  });

  it('it works without a context', async () => {
    const result = await toLambda(hello)(albEvent);
    expect(result.statusCode).toBe(200);
  });
});

describe('L2: getInvocation', () => {
  it.each(nodeFrameworks)('in $name it returns the event and context of the request', async (framework) => {
    const box: { event?: ALBEvent; requestId?: string } = {};
    const context = fakeContext(60_000, 'abc-123');
    await call(
      framework.wrap((req, res) => {
        const invocation = getInvocation(req);
        box.event = invocation?.event;
        box.requestId = invocation?.context?.awsRequestId;
        res.end();
      }),
      albEvent,
      {},
      context,
    );
    expect(box.event).toBe(albEvent);
    expect(box.requestId).toBe('abc-123');
  });

  it('returns each of 50 concurrent invocations its own event and context', async () => {
    const app = express();
    app.get('/item/:id', async (req, res) => {
      const before = getInvocation(req);
      // Interleave the invocations: each waits a different number of turns.
      for (let i = 0; i < (Number(req.params.id) * 7) % 11; i++) await new Promise((r) => setImmediate(r));
      const after = getInvocation(req);
      res.json({
        id: req.params.id,
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

  it('works with Koa’s ctx.req', async () => {
    const app = new Koa();
    app.use((ctx) => {
      ctx.body = { path: getInvocation(ctx.req)?.event.path };
    });
    const result = await call(app, { ...albEvent, path: '/koa' });
    expect(JSON.parse(result.body ?? '')).toEqual({ path: '/koa' });
  });

  it('returns undefined for a request that did not come through toLambda', async () => {
    const { IncomingMessage } = await import('node:http');
    const { Socket } = await import('node:net');
    expect(getInvocation(new IncomingMessage(new Socket()))).toBeUndefined();
  });

  it('adds no own enumerable property to req (no req.ip)', async () => {
    const box: { own?: string[] } = {};
    const app = express();
    app.use((req, res) => {
      box.own = Object.keys(req).filter((key) =>
        ['ip', 'event', 'context', 'invocation', 'apiGateway'].includes(key),
      );
      res.end();
    });
    await call(app, albEvent);
    expect(box.own).toEqual([]);
  });
});

describe('options', () => {
  it.each<[string, ToLambdaOptions]>([
    ['singleSetCookie "middle"', Object.fromEntries([['singleSetCookie', 'middle']])],
    ['deadlineMargin -1', { deadlineMargin: -1 }],
    ['deadlineMargin "500"', Object.fromEntries([['deadlineMargin', '500']])],
    ['deadlineMargin NaN', { deadlineMargin: Number.NaN }],
    ['log "console"', Object.fromEntries([['log', 'console']])],
    ['binary 42', Object.fromEntries([['binary', 42]])],
    ['binary [""]', { binary: [''] }],
  ])('%s is refused with InvalidOptionError', (_label, options) => {
    expect(() => toLambda(hello, options)).toThrow(InvalidOptionError);
    expect(() => toLambda(hello, options)).toThrow(
      expect.objectContaining({ code: 'LAMBDA_BRIDGE_INVALID_OPTION' }),
    );
  });

  it('options that are not an object are refused', () => {
    expect(() => Reflect.apply(toLambda, undefined, [hello, null])).toThrow(InvalidOptionError);
    expect(() => Reflect.apply(toLambda, undefined, [hello, 'fast'])).toThrow(InvalidOptionError);
  });

  it('the error message names the option and the bad value', () => {
    expect(() => toLambda(hello, { deadlineMargin: -1 })).toThrow(/deadlineMargin.*-1/);
  });

  it('valid options are accepted', async () => {
    const { result, warnings } = await invoke(hello, albEvent, {
      singleSetCookie: 'first',
      deadlineMargin: 0,
      exposeErrors: true,
      binary: ['image/*'],
    });
    expect(result.statusCode).toBe(200);
    expect(warnings).toEqual([]);
  });
});
