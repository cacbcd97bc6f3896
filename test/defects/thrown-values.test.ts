import type { ALBEvent } from 'aws-lambda';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import { describeThrown } from '../../lib/errors.js';
import { createContext } from '../../lib/invoke/context.js';
import { invoke as runHandler } from '../../lib/invoke/invoke.js';
import { albEvent } from '../fixtures/alb-event.js';
import { invoke } from '../forward/support.js';
import { mountings, useServers } from '../reverse/support.js';

/** Values a handler or an app may throw or reject with that `String()` cannot convert. */
function hostileValues(): Array<[string, () => unknown]> {
  return [
    ['an object with a null prototype', () => Object.assign(Object.create(null), { code: 'E1' })],
    [
      'an object whose toString throws',
      () => ({
        toString() {
          throw new Error('no text');
        },
      }),
    ],
    [
      'an Error whose message getter throws',
      () => {
        const error = new Error('x');
        Object.defineProperty(error, 'stack', {
          get() {
            throw new Error('no stack');
          },
        });
        Object.defineProperty(error, 'message', {
          get() {
            throw new Error('no message');
          },
        });
        return error;
      },
    ],
    [
      'a Proxy whose every trap throws',
      () =>
        new Proxy(
          {},
          {
            get() {
              throw new Error('trap');
            },
            getPrototypeOf() {
              throw new Error('trap');
            },
            ownKeys() {
              throw new Error('trap');
            },
            has() {
              throw new Error('trap');
            },
            getOwnPropertyDescriptor() {
              throw new Error('trap');
            },
          },
        ),
    ],
    ['a symbol', () => Symbol('odd')],
    ['an object whose Symbol.toPrimitive returns an object', () => ({ [Symbol.toPrimitive]: () => ({}) })],
  ];
}

describe('defect 2: a thrown value String() cannot convert never crashes', () => {
  it('describeThrown renders every value without throwing', () => {
    for (const [name, make] of hostileValues()) {
      const text = describeThrown(make());
      expect(typeof text, name).toBe('string');
      expect(text.length, name).toBeGreaterThan(0);
    }
    expect(describeThrown(new TypeError('boom'))).toBe('boom');
    expect(describeThrown('plain')).toBe('plain');
    expect(describeThrown(42)).toBe('42');
    expect(describeThrown(undefined)).toBe('undefined');
    expect(describeThrown(null)).toBe('null');
    expect(describeThrown(Symbol('odd'))).toBe('Symbol(odd)');
    expect(describeThrown(Object.assign(Object.create(null), { code: 'E1' }))).toBe(
      'an object with a null prototype and keys ["code"]',
    );
  });

  for (const [name, make] of hostileValues()) {
    it(`forward: a listener that rejects with ${name} is answered 500, with or without exposeErrors`, async () => {
      for (const exposeErrors of [false, true]) {
        const { result, warnings } = await invoke(
          async (_req: unknown, _res: unknown) => {
            throw make();
          },
          { ...albEvent, path: '/' },
          { exposeErrors },
        );
        expect(result.statusCode).toBe(500);
        expect(warnings.map((w) => w.code)).toEqual(['APP_ERROR']);
      }
    });

    it(`forward: an app factory that rejects with ${name} is answered 500 with APP_INIT_ERROR`, async () => {
      const { result, warnings } = await invoke(
        async () => {
          throw make();
        },
        { ...albEvent, path: '/' },
      );
      expect(result.statusCode).toBe(500);
      expect(warnings.map((w) => w.code)).toEqual(['APP_INIT_ERROR']);
    });

    it(`runtime model: a handler that rejects with or throws ${name} fails the invocation`, async () => {
      const settings = { timeout: 2000, runtime: 'nodejs22.x' as const, warn() {} };
      const rejected = await runHandler(async () => Promise.reject(make()), {}, createContext(), settings);
      expect(rejected.ok).toBe(false);
      const thrown = await runHandler(
        () => {
          throw make();
        },
        {},
        createContext(),
        settings,
      );
      expect(thrown.ok).toBe(false);
      if (!thrown.ok) expect(typeof thrown.error.errorMessage).toBe('string');
    });
  }

  it('forward: a Koa app whose middleware throws a null-prototype object is answered 500', async () => {
    const app = new Koa();
    app.silent = true;
    app.use(() => {
      throw Object.create(null);
    });
    const { result } = await invoke(app, { ...albEvent, path: '/' });
    expect(result.statusCode).toBe(500);
  });
});

describe('defect 2: reverse, a handler rejecting with an unconvertible value gets the 502 page', () => {
  const { serve } = useServers();
  for (const mounting of mountings) {
    it(`${mounting.name}: 502 for each hostile value, server still answering`, async () => {
      let next: () => unknown = () => null;
      const served = await serve(mounting, async (_event: ALBEvent) => {
        throw next();
      });
      for (const [name, make] of hostileValues()) {
        next = make;
        const response = await served.http.get('/');
        expect(response.status, name).toBe(502);
      }
      expect(served.log.filter((e) => e.code === 'HANDLER_ERROR')).toHaveLength(hostileValues().length);
    });
  }
});

describe('defect 2: toLambda inside toListener survives an app rejecting with an unconvertible value', () => {
  const { serve } = useServers();
  it('answers 500 through the pair', async () => {
    const handler = toLambda(
      async () => {
        throw Object.create(null);
      },
      { log() {} },
    );
    const served = await serve(mountings[4], handler as never);
    const response = await served.http.get('/');
    expect(response.status).toBe(500);
  });
});
