import type { ServerResponse } from 'node:http';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AlbHandler, toLambda } from '../../adapters/lambda.js';
import { UnknownEventError, UnsupportedEventError } from '../../lib/errors.js';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import {
  call,
  deepFreeze,
  expectWellFormed,
  fakeContext,
  frameworks,
  fromJson,
  invoke,
  type Listener,
} from './support.js';

/** A context whose deadline gives the app 600 ms before the 504 (half of 1200 ms, as the margin is larger). */
const shortDeadline = { context: fakeContext(1200, 'r1'), options: { deadlineMargin: 1100 } };

/** Watches the timers set and cleared while `body` runs, and returns those set with `delay`. */
async function timersWith<T>(
  delay: number,
  body: () => Promise<T>,
): Promise<{ value: T; set: number; cleared: number }> {
  const set = vi.spyOn(globalThis, 'setTimeout');
  const clear = vi.spyOn(globalThis, 'clearTimeout');
  try {
    const value = await body();
    const handles = set.mock.calls.flatMap((args, i) =>
      args[1] === delay ? [set.mock.results[i].value] : [],
    );
    const cleared = handles.filter((handle) => clear.mock.calls.some((args) => args[0] === handle)).length;
    return { value, set: handles.length, cleared };
  } finally {
    set.mockRestore();
    clear.mockRestore();
  }
}

/** Runs `body` with unhandled rejections collected instead of failing the test run, then restores the listeners. */
async function collectingUnhandledRejections<T>(body: (reasons: unknown[]) => Promise<T>): Promise<T> {
  const previous = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  const reasons: unknown[] = [];
  const collect = (reason: unknown) => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', collect);
  try {
    return await body(reasons);
  } finally {
    process.off('unhandledRejection', collect);
    for (const listener of previous) process.on('unhandledRejection', listener);
  }
}

/** Calls a handler with a value that is not typed as an ALB event. */
function callWith(handler: AlbHandler, event: unknown): Promise<ALBResult> {
  return Reflect.apply(handler, undefined, [event]);
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** A listener that throws before answering. */
const throwing =
  (message: string): Listener =>
  (_req, _res) => {
    throw new Error(message);
  };

/** A listener that never answers. */
const silent: Listener = (_req, _res) => {};

describe('an app that fails before finishing its response', () => {
  it('E6: a synchronous throw gets a 500 result without the stack, and one warning that says why', async () => {
    const { result, warnings } = await invoke(throwing('listener failed'), albEvent);
    expectWellFormed(result, 'single');
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe('Internal Server Error');
    expect(result.headers?.['content-type']).toBe('text/plain; charset=utf-8');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', code: 'APP_ERROR' });
    expect(warnings[0].message).toContain('listener failed');
  });

  it('E6: exposeErrors puts the stack in the 500 body', async () => {
    const { result } = await invoke(
      function failingListener(_req, _res) {
        throw new Error('listener failed');
      },
      albEventMulti,
      { exposeErrors: true },
    );
    expectWellFormed(result, 'multi');
    expect(result.statusCode).toBe(500);
    expect(result.body).toContain('Error: listener failed');
    expect(result.body).toContain('failingListener');
  });

  it('a listener whose promise rejects gets a 500 result and one warning', async () => {
    const { result, warnings } = await invoke(async (_req, res) => {
      await new Promise((resolve) => setImmediate(resolve));
      res.setHeader('x-partial', 'yes');
      throw new Error('async failure');
    }, albEvent);
    expect(result.statusCode).toBe(500);
    expect(result.headers?.['x-partial']).toBeUndefined();
    expect(warnings.map((w) => w.code)).toEqual(['APP_ERROR']);
    expect(warnings[0].message).toContain('async failure');
  });

  it('a thrown non-Error value is reported too', async () => {
    const { result, warnings } = await invoke((_req, _res) => {
      throw 'a string';
    }, albEvent);
    expect(result.statusCode).toBe(500);
    expect(warnings[0].message).toContain('a string');
  });

  it.each([
    ['synchronously', false],
    ['from its promise', true],
  ])(
    'an app that fails %s after ending its response: the response is sent as it was, with one warning',
    async (_label, async) => {
      const { result, warnings } = await invoke((_req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.end('done');
        if (async) return Promise.reject(new Error('after the end'));
        throw new Error('after the end');
      }, albEvent);
      expect(result.statusCode).toBe(200);
      expect(result.body).toBe('done');
      expect(warnings).toHaveLength(1);
      expect(warnings[0].code).toBe('APP_ERROR');
      expect(warnings[0].message).toContain('after the end');
      expect(warnings[0].message).not.toContain('answered 500');
    },
  );

  it('warnings carry the Lambda request id', async () => {
    const { warnings } = await invoke(throwing('x'), albEvent, {}, fakeContext(60_000, 'req-42'));
    expect(warnings[0].requestId).toBe('req-42');
  });

  it('res.destroy() gets a 502 result and one warning', async () => {
    const { result, warnings } = await invoke((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.write('partial');
      res.destroy();
    }, albEvent);
    expectWellFormed(result, 'single');
    expect(result.statusCode).toBe(502);
    expect(result.body).toBe('Bad Gateway');
    expect(warnings.map((w) => w.code)).toEqual(['APP_CLOSED']);
  });

  describe('E4: a response that never ends', () => {
    it.each(frameworks)('in $name: a 504 result before the deadline, with one warning', async (framework) => {
      const { result, warnings } = await invoke(
        framework.stall(),
        albEvent,
        shortDeadline.options,
        shortDeadline.context,
      );
      expectWellFormed(result, 'single');
      expect(result.statusCode).toBe(504);
      expect(result.body).toBe('Gateway Timeout');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ code: 'APP_TIMEOUT', requestId: 'r1' });
      expect(warnings[0].message).toContain('600 ms');
    });

    it('a late res.end after the 504 is discarded safely, and no timer is left', async () => {
      const box: { res?: ServerResponse } = {};
      const { value, set } = await timersWith(600, () =>
        invoke(
          (_req, res) => {
            box.res = res;
          },
          albEvent,
          shortDeadline.options,
          shortDeadline.context,
        ),
      );
      const { result, warnings } = value;
      expect(result.statusCode).toBe(504);
      // The one deadline timer fired: that is how the 504 came.
      expect(set).toBe(1);
      const copy = structuredClone(result);
      const late = await timersWith(600, async () => {
        expect(() => box.res?.end('late body')).not.toThrow();
        await new Promise((resolve) => setImmediate(resolve));
      });
      expect(late.set).toBe(0);
      expect(result).toEqual(copy);
      expect(warnings.map((w) => w.code)).toEqual(['APP_TIMEOUT']);
    });

    it('a response that ends synchronously arms no deadline timer', async () => {
      const { value, set, cleared } = await timersWith(3_599_500, () =>
        call(
          (_req, res) => {
            res.end('quick');
          },
          albEvent,
          {},
          fakeContext(3_600_000),
        ),
      );
      expect(bodyText(value)).toBe('quick');
      expect(set).toBe(0);
      expect(cleared).toBe(0);
    });

    it('a response that ends later, in time, clears its deadline timer', async () => {
      const { value, set, cleared } = await timersWith(3_599_500, () =>
        call(
          (_req, res) => {
            setImmediate(() => res.end('later'));
          },
          albEvent,
          {},
          fakeContext(3_600_000),
        ),
      );
      expect(bodyText(value)).toBe('later');
      expect(set).toBe(1);
      expect(cleared).toBe(1);
    });

    it('an app that fails later clears its deadline timer too', async () => {
      const { value, set, cleared } = await timersWith(3_599_500, () =>
        invoke(
          async (_req: unknown, _res: unknown) => {
            await new Promise((resolve) => setImmediate(resolve));
            throw new Error('failed');
          },
          albEvent,
          {},
          fakeContext(3_600_000),
        ),
      );
      expect(value.result.statusCode).toBe(500);
      expect(set).toBe(1);
      expect(cleared).toBe(1);
    });

    it('a deadline already passed answers 504 at once', async () => {
      const { result } = await invoke(silent, albEvent, {}, fakeContext(0));
      expect(result.statusCode).toBe(504);
    });
  });

  describe('E3: an async route that throws', () => {
    it('Express 5 answers it with its own 500', async () => {
      const app = express();
      app.set('env', 'test');
      app.get('/lambda', async () => {
        await Promise.resolve();
        throw new Error('async route failed');
      });
      const result = await call(app, albEvent);
      expect(result.statusCode).toBe(500);
    });

    it('Express 4 leaves it unhandled; the invocation still answers 504 before the deadline', async () => {
      await collectingUnhandledRejections(async (reasons) => {
        const app = express4();
        app.get('/lambda', async () => {
          await Promise.resolve();
          throw new Error('async route failed');
        });
        const { result, warnings } = await invoke(
          app,
          albEvent,
          shortDeadline.options,
          shortDeadline.context,
        );
        expect(result.statusCode).toBe(504);
        expect(warnings.map((w) => w.code)).toEqual(['APP_TIMEOUT']);
        expect(reasons).toHaveLength(1);
        expect(String(reasons[0])).toContain('async route failed');
      });
    });

    it('a listener that returns the rejected promise gets a 500 at once', async () => {
      const { result, warnings } = await invoke(
        async (_req, _res) => {
          throw new Error('async listener failed');
        },
        albEvent,
        shortDeadline.options,
        shortDeadline.context,
      );
      expect(result.statusCode).toBe(500);
      expect(warnings.map((w) => w.code)).toEqual(['APP_ERROR']);
    });
  });
});

function bodyText(result: ALBResult): string {
  return Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8').toString();
}

describe('E5: malformed ALB events get a 400 result and one warning, never a thrown error', () => {
  const withoutField = (event: ALBEvent, field: keyof ALBEvent): ALBEvent => {
    const copy: ALBEvent = { ...event };
    Reflect.deleteProperty(copy, field);
    return copy;
  };

  it.each([
    ['a missing httpMethod', withoutField(albEvent, 'httpMethod'), 'httpMethod'],
    ['a missing path', withoutField(albEvent, 'path'), 'path'],
    ['a path without a leading /', { ...albEvent, path: 'lambda' }, 'path'],
    ['an httpMethod with a space', { ...albEvent, httpMethod: 'GE T' }, 'httpMethod'],
    ['a number header value', fromJson({ ...albEvent, headers: { accept: 1 } }), 'headers["accept"]'],
    ['a null header value', fromJson({ ...albEvent, headers: { accept: null } }), 'headers["accept"]'],
    [
      'an array in single-value headers',
      fromJson({ ...albEvent, headers: { accept: ['a'] } }),
      'headers["accept"]',
    ],
    [
      'a string where multi-value headers need an array',
      fromJson({ ...albEventMulti, multiValueHeaders: { accept: '*/*' } }),
      'multiValueHeaders["accept"]',
    ],
    [
      'a number inside a multi-value header array',
      fromJson({ ...albEventMulti, multiValueHeaders: { accept: [1] } }),
      'multiValueHeaders["accept"]',
    ],
    [
      'a header value with a line break',
      { ...albEvent, headers: { 'x-injected': 'a\r\nx-evil: 1' } },
      '"x-injected"',
    ],
    [
      'a number query value',
      fromJson({ ...albEvent, queryStringParameters: { q: 1 } }),
      'queryStringParameters["q"]',
    ],
    [
      'a string where multi-value query needs an array',
      fromJson({ ...albEventMulti, multiValueQueryStringParameters: { q: 'x' } }),
      'multiValueQueryStringParameters["q"]',
    ],
    [
      'an invalid base64 body',
      { ...albEvent, httpMethod: 'POST', body: 'not base64!!', isBase64Encoded: true },
      'base64',
    ],
    [
      'a base64 body with a bad length',
      { ...albEvent, httpMethod: 'POST', body: 'QUJDR', isBase64Encoded: true },
      'base64',
    ],
    ['a non-string body', fromJson({ ...albEvent, httpMethod: 'POST', body: { a: 1 } }), 'body'],
    [
      'a non-boolean isBase64Encoded',
      fromJson({ ...albEvent, body: 'x', isBase64Encoded: 'yes' }),
      'isBase64Encoded',
    ],
  ])('%s', async (_label, event, named) => {
    let reached = false;
    const copy = structuredClone(event);
    const { result, warnings } = await invoke((_req: unknown, res: ServerResponse) => {
      reached = true;
      res.end();
    }, deepFreeze(event));
    expect(reached).toBe(false);
    expect(result.statusCode).toBe(400);
    expect(result.statusDescription).toBe('400 Bad Request');
    expect(result.body).toBe('Bad Request');
    expect(event).toEqual(copy);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', code: 'INVALID_EVENT' });
    expect(warnings[0].message).toContain(named);
  });

  it('the 400 result answers in the mode of the event', async () => {
    const { result } = await invoke(silent, { ...albEventMulti, path: 'no-slash' });
    expectWellFormed(result, 'multi');
    expect(result.multiValueHeaders?.['content-type']).toEqual(['text/plain; charset=utf-8']);
  });

  it('Q4: a malformed percent escape in the query is not a malformed event', async () => {
    const result = await call(
      (req, res) => {
        res.end(req.url);
      },
      { ...albEvent, queryStringParameters: { utm: '%%URL%%', bad: '%E0%A4%A' } },
    );
    expect(result.statusCode).toBe(200);
    expect(bodyText(result)).toBe('/lambda?utm=%%URL%%&bad=%E0%A4%A');
  });
});

describe('events of another kind', () => {
  const handler = toLambda((_req, res) => {
    res.end();
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['an empty object', {}],
    ['a string', 'GET /'],
    ['an SQS event', { Records: [{ eventSource: 'aws:sqs', body: '{}' }] }],
    ['a scheduled event', { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }],
    ['an object with requestContext but no elb', { requestContext: {}, path: '/' }],
  ])(
    '%s is rejected with LAMBDA_BRIDGE_UNKNOWN_EVENT and a message naming what was expected',
    async (_label, event) => {
      const error = await callWith(handler, event).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(UnknownEventError);
      expect(error).toMatchObject({ code: 'LAMBDA_BRIDGE_UNKNOWN_EVENT', name: 'UnknownEventError' });
      expect(String(Reflect.get(Object(error), 'message'))).toContain('requestContext.elb');
    },
  );

  it.each([
    [
      'a Lambda@Edge viewer response',
      {
        Records: [
          {
            cf: {
              config: { distributionId: 'E1', eventType: 'viewer-response', requestId: 'x' },
              request: { clientIp: '203.0.113.1', method: 'GET', uri: '/', querystring: '', headers: {} },
              response: { status: '200', statusDescription: 'OK', headers: {} },
            },
          },
        ],
      },
    ],
  ])('%s is rejected with LAMBDA_BRIDGE_UNSUPPORTED_EVENT', async (_label, event) => {
    const error = await callWith(handler, event).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(UnsupportedEventError);
    expect(error).toMatchObject({ code: 'LAMBDA_BRIDGE_UNSUPPORTED_EVENT' });
  });

  it('the app is not called for an event of another kind', async () => {
    let reached = false;
    const app: Listener = (_req, res) => {
      reached = true;
      res.end();
    };
    await expect(callWith(toLambda(app), { Records: [] })).rejects.toMatchObject({
      code: 'LAMBDA_BRIDGE_UNKNOWN_EVENT',
    });
    expect(reached).toBe(false);
  });
});

describe('Q8: the event is never mutated', () => {
  it.each(frameworks)(
    'in $name, a frozen POST event with a base64 body and repeated headers',
    async (framework) => {
      const event: ALBEvent = {
        ...albEventMulti,
        httpMethod: 'POST',
        path: '/submit',
        multiValueQueryStringParameters: { a: ['1', '2'], 'k%5B%5D': ['x'] },
        multiValueHeaders: {
          ...albEventMulti.multiValueHeaders,
          'content-type': ['application/x-www-form-urlencoded'],
          'content-length': ['1'],
          'transfer-encoding': ['chunked'],
          cookie: ['a=1', 'b=2'],
        },
        body: Buffer.from('name=x').toString('base64'),
        isBase64Encoded: true,
      };
      const copy = structuredClone(event);
      const frozen = deepFreeze(structuredClone(event));
      const seen: Buffer[] = [];
      const result = await call(
        framework.view((view) => {
          view.req.headers['x-added'] = 'by the app';
          seen.push(view.body);
        }),
        frozen,
      );
      expect(bodyText(result)).toBe('ok');
      expect(seen.map(String)).toEqual(['name=x']);
      expect(frozen).toEqual(copy);
    },
  );
});

describe('the log hook', () => {
  it('a hook that throws does not break the invocation', async () => {
    const handler = toLambda(throwing('app failed'), {
      log: () => {
        throw new Error('hook failed');
      },
    });
    const result = await handler(albEvent);
    expect(result.statusCode).toBe(500);
  });

  it('by default a warning is one line on stderr, with the request id', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const handler = toLambda(throwing('app failed'));
    await handler(albEvent, fakeContext(60_000, 'req-7'));
    vi.restoreAllMocks();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^lambda-bridge APP_ERROR: answered 500: .*app failed.*\(request req-7\)\n$/);
  });

  it('with a log hook, nothing reaches the console, stdout or stderr, whatever happens', async () => {
    const written: unknown[] = [];
    const record = (...args: unknown[]) => {
      written.push(args);
      return true;
    };
    vi.spyOn(process.stderr, 'write').mockImplementation(record);
    vi.spyOn(process.stdout, 'write').mockImplementation(record);
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation(record);
    }
    const hooked: string[] = [];
    const log = (entry: { code: string }) => {
      hooked.push(entry.code);
    };
    await toLambda(throwing('failed'), { log })(albEvent);
    await toLambda(silent, { log })(albEvent, fakeContext(0));
    await toLambda((_req, res) => res.end(), { log })(fromJson({ ...albEvent, headers: { a: 1 } }));
    await toLambda(
      (_req, res) => {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.end();
      },
      { log },
    )(albEvent);
    vi.restoreAllMocks();
    expect(written).toEqual([]);
    expect(hooked).toEqual(['APP_ERROR', 'APP_TIMEOUT', 'INVALID_EVENT', 'SET_COOKIE_DROPPED']);
  });

  it('a response that succeeds logs nothing', async () => {
    const { warnings } = await invoke((_req, res) => {
      res.end('fine');
    }, albEvent);
    expect(warnings).toEqual([]);
  });
});
