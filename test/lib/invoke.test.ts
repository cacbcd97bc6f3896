import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createContext } from '../../lib/invoke/context.js';
import { invoke, type LambdaHandler, type NodeRuntime, type Outcome } from '../../lib/invoke/invoke.js';
import { trackTimers } from '../reverse/support.js';

const ALREADY_DONE =
  'Invocation has already been reported as done. Cannot call complete more than once per invocation.';

async function run(handler: LambdaHandler, options: { timeout?: number; runtime?: NodeRuntime } = {}) {
  const warnings: string[] = [];
  const runtime = options.runtime ?? 'nodejs22.x';
  const context = createContext({ timeout: options.timeout ?? 1000, runtime });
  const outcome = await invoke(handler, { path: '/' }, context, {
    timeout: options.timeout ?? 1000,
    runtime,
    warn: (message) => warnings.push(message),
  });
  return { outcome, warnings, context };
}

function result(outcome: Outcome): unknown {
  if (!outcome.ok) throw new Error(`the invocation failed: ${outcome.error.errorMessage}`);
  return outcome.result;
}

function failure(outcome: Outcome) {
  if (outcome.ok) throw new Error('the invocation succeeded');
  return outcome;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('invoke: how a handler completes', () => {
  it.each<[string, LambdaHandler]>([
    ['16: an async handler', async () => ({ v: 'async' })],
    ['16: a function returning a promise', () => Promise.resolve({ v: 'async' })],
    // biome-ignore lint/suspicious/noThenProperty: the runtime accepts any thenable, which is what this checks
    ['16: a thenable', () => ({ then: (resolve: (v: unknown) => void) => resolve({ v: 'async' }) })],
    ['callback(null, r)', (_e, _c, callback) => callback(null, { v: 'async' })],
    ['callback(undefined, r)', (_e, _c, callback) => callback(undefined, { v: 'async' })],
    ['context.succeed(r)', (_e, context: Context) => context.succeed({ v: 'async' })],
    ['context.done(null, r)', (_e, context: Context) => context.done(undefined, { v: 'async' })],
  ])('%s gives the result', async (_name, handler) => {
    const { outcome, warnings } = await run(handler);
    expect(result(outcome)).toEqual({ v: 'async' });
    expect(warnings).toEqual([]);
  });

  it.each<[string, LambdaHandler, { errorType: string; errorMessage: string }]>([
    [
      'a sync throw',
      () => {
        throw new TypeError('bad');
      },
      { errorType: 'TypeError', errorMessage: 'bad' },
    ],
    [
      'a rejection',
      () => Promise.reject(new RangeError('far')),
      { errorType: 'RangeError', errorMessage: 'far' },
    ],
    [
      'a rejection with a string',
      () => Promise.reject('text'),
      { errorType: 'string', errorMessage: 'text' },
    ],
    [
      'a rejection with undefined',
      () => Promise.reject(undefined),
      { errorType: 'string', errorMessage: 'undefined' },
    ],
    [
      'callback(error)',
      (_e, _c, callback) => callback(new Error('cb')),
      { errorType: 'Error', errorMessage: 'cb' },
    ],
    [
      'context.fail(error)',
      (_e, context: Context) => context.fail(new Error('f')),
      { errorType: 'Error', errorMessage: 'f' },
    ],
    [
      'context.done(error)',
      (_e, context: Context) => context.done(new Error('d')),
      { errorType: 'Error', errorMessage: 'd' },
    ],
    [
      'context.fail() without an error',
      (_e, context: Context) => context.fail(undefined as unknown as Error),
      { errorType: 'string', errorMessage: 'handled' },
    ],
  ])('%s is an invocation error', async (_name, handler, expected) => {
    const { outcome } = await run(handler);
    expect(failure(outcome)).toMatchObject({ ok: false, timedOut: false, error: expected });
  });

  it('an Error keeps its stack as the trace', async () => {
    const { outcome } = await run(async () => {
      throw new Error('traced');
    });
    const { error } = failure(outcome);
    expect(error.trace[0]).toBe('Error: traced');
    expect(error.trace.length).toBeGreaterThan(1);
  });

  it('a non-Error value has an empty trace', async () => {
    const { outcome } = await run(() => Promise.reject(42));
    expect(failure(outcome).error).toEqual({ errorType: 'number', errorMessage: '42', trace: [] });
  });

  describe('18: the first completion wins', () => {
    it('18: callback then promise: the callback result, and one warning', async () => {
      const { outcome, warnings } = await run((_e, _c, callback) => {
        callback(null, 'first');
        return Promise.resolve('second');
      });
      expect(result(outcome)).toBe('first');
      await tick();
      expect(warnings).toEqual([ALREADY_DONE]);
    });

    it('18: promise first, then a late callback: the promise result, and a warning', async () => {
      let late: (() => void) | undefined;
      const { outcome, warnings } = await run(async (_e, _c, callback) => {
        late = () => callback(null, 'second');
        return 'first';
      });
      expect(result(outcome)).toBe('first');
      late?.();
      expect(warnings).toEqual([ALREADY_DONE]);
    });

    it('18: succeed then fail: the success, and a warning', async () => {
      const { outcome, warnings } = await run((_e, context: Context) => {
        context.succeed('ok');
        context.fail(new Error('late'));
      });
      expect(result(outcome)).toBe('ok');
      expect(warnings).toEqual([ALREADY_DONE]);
    });
  });

  describe('19: a handler that neither returns a promise nor calls back', () => {
    it('19: a one- or two-parameter sync handler completes with null', async () => {
      const { outcome } = await run(() => ({ statusCode: 200 }));
      expect(outcome).toMatchObject({ ok: true, result: null, json: 'null' });
    });

    it('19: completions in the same turn still count', async () => {
      const { outcome } = await run((_e, context: Context) => {
        process.nextTick(() => context.succeed('next tick'));
      });
      expect(result(outcome)).toBe('next tick');
    });

    it('19: a three-parameter handler that never calls back waits, and times out in-process', async () => {
      const { outcome } = await run((_e, _c, _callback) => {}, { timeout: 100 });
      expect(failure(outcome)).toMatchObject({ timedOut: true, error: { errorType: 'Sandbox.Timedout' } });
    });
  });

  describe('22: the JSON round trip', () => {
    it('22: undefined becomes null', async () => {
      const { outcome } = await run(async () => undefined);
      expect(outcome).toMatchObject({ ok: true, result: null, json: 'null' });
    });

    it('22: the result is exactly what JSON.stringify gives', async () => {
      const value = {
        statusCode: 200,
        body: 'x',
        extra: undefined,
        when: new Date(0),
        fn: () => 1,
        list: [undefined],
      };
      const { outcome } = await run(async () => value);
      expect(outcome).toMatchObject({ ok: true, json: JSON.stringify(value) });
      expect(result(outcome)).toEqual({
        statusCode: 200,
        body: 'x',
        when: '1970-01-01T00:00:00.000Z',
        list: [null],
      });
    });

    it('22: the result is a copy, not the object the handler returned', async () => {
      const value = { statusCode: 200 };
      const { outcome } = await run(async () => value);
      expect(result(outcome)).not.toBe(value);
    });

    it('22: a Buffer becomes {type: "Buffer", data}', async () => {
      const { outcome } = await run(async () => ({ body: Buffer.from('hi') }));
      expect(result(outcome)).toEqual({ body: { type: 'Buffer', data: [104, 105] } });
    });

    it.each<[string, () => unknown]>([
      ['a BigInt', () => ({ n: 1n })],
      [
        'a circular object',
        () => {
          const o: Record<string, unknown> = {};
          o.o = o;
          return o;
        },
      ],
    ])('22: %s cannot be stringified: Runtime.SerializationError', async (_name, make) => {
      const { outcome } = await run(async () => make());
      expect(failure(outcome).error).toMatchObject({
        errorType: 'Runtime.SerializationError',
        errorMessage: expect.stringMatching(/^Unable to stringify response body: /),
      });
    });
  });

  describe('21: runtimes', () => {
    it('21: nodejs24.x refuses a callback handler without calling it', async () => {
      const handler = vi.fn((_e: unknown, _c: Context, callback: (e?: unknown, r?: unknown) => void) =>
        callback(null, 'x'),
      );
      const { outcome } = await run(handler, { runtime: 'nodejs24.x' });
      expect(failure(outcome).error.errorType).toBe('Runtime.CallbackHandlerDeprecated');
      expect(handler).not.toHaveBeenCalled();
    });

    it('21: nodejs24.x refuses an async function that declares a callback parameter', async () => {
      const { outcome } = await run(async (_e, _c, _callback) => 'ok', { runtime: 'nodejs24.x' });
      expect(failure(outcome).error.errorType).toBe('Runtime.CallbackHandlerDeprecated');
    });

    it.each(['nodejs20.x', 'nodejs22.x'] as const)('21: %s runs a callback handler', async (runtime) => {
      const { outcome } = await run((_e, _c, callback) => callback(null, 'ok'), { runtime });
      expect(result(outcome)).toBe('ok');
    });
  });

  it('refuses a handler wrapped with streamifyResponse: an ALB cannot stream', async () => {
    const handler = Object.assign(async () => 'x', {
      [Symbol.for('aws.lambda.runtime.handler.streaming')]: 'response',
    });
    const { outcome } = await run(handler);
    expect(failure(outcome).error.errorType).toBe('Runtime.StreamingNotSupported');
  });

  it('refuses a handler that is not a function', async () => {
    const { outcome } = await run('index.handler' as unknown as LambdaHandler);
    expect(failure(outcome).error.errorType).toBe('Runtime.HandlerNotFound');
  });

  it('passes the event and the context to the handler', async () => {
    const seen: unknown[] = [];
    const { context } = await run(async (event, ctx) => {
      seen.push(event, ctx);
      return null;
    });
    expect(seen).toEqual([{ path: '/' }, context]);
  });

  it('measures the duration', async () => {
    const { outcome } = await run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 1;
    });
    expect(outcome.duration).toBeGreaterThanOrEqual(15);
  });
});

describe('invoke: the timeout', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('24: a handler still running at the deadline times out with the runtime message', async () => {
    const { outcome, context } = await run(() => new Promise(() => {}), { timeout: 120 });
    const { error, timedOut } = failure(outcome);
    expect(timedOut).toBe(true);
    expect(error.errorType).toBe('Sandbox.Timedout');
    expect(error.errorMessage).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${context.awsRequestId} Task timed out after 0\\.12 seconds$`,
      ),
    );
  });

  it('24: a completion after the deadline is ignored', async () => {
    let finish: ((value: unknown) => void) | undefined;
    const { outcome } = await run(
      () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
      { timeout: 100 },
    );
    expect(failure(outcome).timedOut).toBe(true);
    finish?.({ statusCode: 200 });
    await tick();
    expect(failure(outcome).timedOut).toBe(true);
  });

  it('24: a late completion is reported as late, not as a second completion', async () => {
    let late: (() => void) | undefined;
    const { outcome, warnings } = await run(
      (_e, _c, callback) => {
        late = () => callback(null, 'late');
      },
      { timeout: 100 },
    );
    expect(failure(outcome).timedOut).toBe(true);
    late?.();
    expect(warnings).toEqual([
      'The handler completed after the invocation timed out; the completion was ignored.',
    ]);
  });

  it.each<[string, LambdaHandler]>([
    ['an async handler', async () => 1],
    ['a callback handler', (_e, _c, callback) => callback(null, 1)],
    ['a sync handler', () => {}],
    ['a throwing handler', () => Promise.reject(new Error('x'))],
    ['a handler that times out', () => new Promise(() => {})],
  ])('no timer is left once %s completes', async (_name, handler) => {
    const live = trackTimers();
    await invoke(handler, {}, createContext({ runtime: 'nodejs22.x' }), {
      timeout: 100,
      runtime: 'nodejs22.x',
      warn: () => {},
    });
    expect(live.size).toBe(0);
  });
});
