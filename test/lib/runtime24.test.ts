import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../lib/errors.js';
import { checkContextOptions, createContext } from '../../lib/invoke/context.js';
import { invokeHandler } from '../../lib/invoke/handler.js';
import type { LambdaHandler } from '../../lib/invoke/invoke.js';
import { CALLBACK_ERROR_NODEJS22, CALLBACK_ERROR_NODEJS24_ABOVE } from '../../lib/invoke/ric4.js';
import { trackTimers } from '../reverse/support.js';

type AnyHandler = LambdaHandler<never>;
const KEYS = [
  'clientContext',
  'identity',
  'invokedFunctionArn',
  'awsRequestId',
  'tenantId',
  'xRayTraceId',
  'getRemainingTimeInMillis',
  'functionName',
  'functionVersion',
  'memoryLimitInMB',
  'logGroupName',
  'logStreamName',
];

describe('nodejs24.x context', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('createContext builds it by default: exactly the 12 keys of the runtime client 4, in its order', () => {
    const context = createContext();
    expect(Object.keys(context)).toEqual(KEYS);
    expect(context).toMatchObject({
      functionName: 'local-function',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:local-function',
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/local-function',
    });
    for (const gone of ['done', 'succeed', 'fail', 'callbackWaitsForEmptyEventLoop']) {
      expect(gone in context).toBe(false);
    }
    expect(context.clientContext).toBeUndefined();
    expect(context.identity).toBeUndefined();
    expect((context as { tenantId?: string }).tenantId).toBeUndefined();
    expect((context as { xRayTraceId?: string }).xRayTraceId).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('tenantId and xRayTraceId come from the options', () => {
    const context = createContext({ tenantId: 'tenant-7', xRayTraceId: 'Root=1-abc-def' }) as Context & {
      tenantId?: string;
      xRayTraceId?: string;
    };
    expect(context.tenantId).toBe('tenant-7');
    expect(context.xRayTraceId).toBe('Root=1-abc-def');
  });

  it('getRemainingTimeInMillis is the deadline minus now, and goes below 0 as in the runtime client 4', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    const context = createContext({ timeout: 100 });
    expect(context.getRemainingTimeInMillis()).toBe(100);
    vi.setSystemTime(250);
    expect(context.getRemainingTimeInMillis()).toBe(-150);
  });

  it.each([
    ['runtime', { runtime: 'nodejs18.x' }, /"runtime" option is 'nodejs20.x', 'nodejs22.x' or 'nodejs24.x'/],
    ['tenantId', { tenantId: '' }, /"tenantId" option is a non-empty string/],
    ['xRayTraceId', { xRayTraceId: 7 }, /"xRayTraceId" option is a non-empty string/],
  ])('rejects a bad %s with InvalidOptionError', (_name, options, message) => {
    expect(() => checkContextOptions(options as never)).toThrow(InvalidOptionError);
    expect(() => checkContextOptions(options as never)).toThrow(message);
  });
});

describe('invokeHandler with nodejs24.x (the default)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('resolves { result } after the JSON round trip', async () => {
    const date = new Date('2030-01-02T03:04:05Z');
    expect(await invokeHandler(async () => ({ date, gone: undefined, n: 1 }), {})).toEqual({
      result: { date: '2030-01-02T03:04:05.000Z', n: 1 },
    });
    expect(await invokeHandler(() => 'sync', {})).toEqual({ result: 'sync' });
    expect(await invokeHandler(() => undefined, {})).toEqual({ result: null });
  });

  it('passes the event, and calls the handler with (event, context) only', async () => {
    const seen: unknown[] = [];
    const handler = function (this: unknown, ...args: unknown[]) {
      seen.push(...args);
      return args.length;
    };
    expect(await invokeHandler(handler as AnyHandler, { path: '/x' })).toEqual({ result: 2 });
    expect(seen[0]).toEqual({ path: '/x' });
    expect(Object.keys(seen[1] as object)).toEqual(KEYS);
  });

  it.each<[string, () => unknown, string, string]>([
    ['a function', () => () => 1, 'TypeError', 'Wrong arguments'],
    ['a symbol', () => Symbol('s'), 'TypeError', 'Wrong arguments'],
    ['a BigInt', () => 10n, 'Runtime.JSONStringifyError', 'Unable to stringify response body'],
    [
      'a circular object',
      () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      },
      'Runtime.JSONStringifyError',
      'Unable to stringify response body',
    ],
  ])('a result that is %s fails as the runtime client 4 fails it', async (_name, make, type, message) => {
    const outcome = await invokeHandler(async () => make(), {});
    expect(outcome).toMatchObject({ error: { errorType: type, errorMessage: message } });
  });

  it('a thrown Error gives its name, message and stack lines', async () => {
    const outcome = await invokeHandler(() => {
      throw new TypeError('no such order');
    }, {});
    if (!('error' in outcome)) throw new Error('expected an error');
    expect(outcome.error.errorType).toBe('TypeError');
    expect(outcome.error.errorMessage).toBe('no such order');
    expect(outcome.error.trace[0]).toBe('TypeError: no such order');
    expect(outcome.error.trace.length).toBeGreaterThan(1);
  });

  it.each<[string, unknown, string, string]>([
    ['a string', 'boom', 'string', 'boom'],
    ['a number', 42, 'number', '42'],
    ['undefined', undefined, 'undefined', 'undefined'],
    ['null', null, 'object', 'null'],
    ['an object', { code: 1 }, 'object', '[object Object]'],
  ])('a rejection with %s gives typeof and String()', async (_name, value, type, message) => {
    expect(await invokeHandler(() => Promise.reject(value), {})).toEqual({
      error: { errorType: type, errorMessage: message, trace: [] },
    });
  });

  it('an Error whose name is not a string gives the fixed "handled" payload', async () => {
    const error = new Error('x');
    (error as { name: unknown }).name = 7;
    const outcome = await invokeHandler(() => Promise.reject(error), {});
    expect(outcome).toMatchObject({ error: { errorType: 'handled' } });
  });

  it('DEL characters in an error are written %7F', async () => {
    const outcome = await invokeHandler(() => Promise.reject(new Error('a\x7Fb')), {});
    expect(outcome).toMatchObject({ error: { errorMessage: 'a%7Fb' } });
  });

  it.each<[string, () => unknown]>([
    ['Object.create(null)', () => Object.create(null)],
    [
      'an object whose toString throws',
      () => ({
        toString() {
          throw new Error('no');
        },
      }),
    ],
  ])(
    'throwing %s is the Runtime.ExitError Lambda reports when the runtime process exits',
    async (_name, make) => {
      const outcome = await invokeHandler(
        () => {
          throw make();
        },
        {},
        { awsRequestId: 'req-1' },
      );
      expect(outcome).toEqual({
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: 'RequestId: req-1 Error: Runtime exited with error: exit status 1',
          trace: [],
        },
      });
    },
  );

  it.each<[string, AnyHandler]>([
    ['a callback handler', (_e, _c, callback) => callback(null, 1)],
    ['an async handler with three parameters', async (_e, _c, _callback) => 1],
    ['a handler with four parameters', ((_a: unknown, _b: unknown, _c: unknown, _d: unknown) => 1) as never],
  ])('%s is the init error Runtime.CallbackHandlerDeprecated, never called', async (_name, handler) => {
    const spy = vi.fn(handler);
    Object.defineProperty(spy, 'length', { value: handler.length });
    const outcome = await invokeHandler(spy as AnyHandler, {});
    expect(spy).not.toHaveBeenCalled();
    if (!('error' in outcome)) throw new Error('expected an error');
    expect(outcome.error.errorType).toBe('Runtime.CallbackHandlerDeprecated');
    expect(outcome.error.errorMessage).toBe(CALLBACK_ERROR_NODEJS24_ABOVE);
    expect(outcome.error.trace[0]).toBe(
      `Runtime.CallbackHandlerDeprecated: ${CALLBACK_ERROR_NODEJS24_ABOVE}`,
    );
  });

  it('the nodejs22.x wording is for Managed Instances only; both texts are the runtime client 4 ones', () => {
    expect(CALLBACK_ERROR_NODEJS22).toMatch(
      /^ERROR: AWS Lambda does not support callback-based function handlers when using Node\.js 22 with Managed Instances\./,
    );
    expect(CALLBACK_ERROR_NODEJS24_ABOVE).toMatch(
      /^ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node\.js 24\./,
    );
  });

  it('a default value or rest parameters keep the length under 3: such handlers run', async () => {
    const withDefault = async (_e: unknown, _c: unknown, _callback: unknown = undefined) => 'default';
    const rest = async (...args: unknown[]) => args.length;
    expect(await invokeHandler(withDefault as AnyHandler, {})).toEqual({ result: 'default' });
    expect(await invokeHandler(rest as AnyHandler, {})).toEqual({ result: 2 });
  });

  it('context.succeed is not a function', async () => {
    const outcome = await invokeHandler((_e, context: Context) => context.succeed('x'), {});
    expect(outcome).toMatchObject({
      error: { errorType: 'TypeError', errorMessage: 'context.succeed is not a function' },
    });
  });

  it('a handler that never settles times out with the payload Lambda reports, and leaves no timer', async () => {
    const live = trackTimers();
    const outcome = await invokeHandler(
      () => new Promise(() => {}),
      {},
      { timeout: 100, awsRequestId: 'req-2' },
    );
    expect(outcome).toEqual({
      error: {
        errorType: 'Sandbox.Timedout',
        errorMessage: 'RequestId: req-2 Error: Task timed out after 0.10 seconds',
        trace: [],
      },
    });
    expect(live.size).toBe(0);
  });

  it('a completion after the timeout is reported to the log hook, not as a result', async () => {
    const log: string[] = [];
    let finish: (value: unknown) => void = () => {};
    const outcome = await invokeHandler(
      () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
      {},
      { timeout: 50, log: (entry) => log.push(entry.code) },
    );
    expect(outcome).toMatchObject({ error: { errorType: 'Sandbox.Timedout' } });
    finish('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['RUNTIME']);
  });

  it('rejects bad options with InvalidOptionError, never a handler failure', async () => {
    await expect(invokeHandler(async () => 1, {}, { runtime: 'nodejs16.x' as never })).rejects.toThrow(
      InvalidOptionError,
    );
    await expect(invokeHandler(async () => 1, {}, null as never)).rejects.toThrow(InvalidOptionError);
    await expect(invokeHandler(async () => 1, {}, { log: 'x' as never })).rejects.toThrow(/"log" option/);
  });

  it('a value that is not a function is Runtime.HandlerNotFound', async () => {
    expect(await invokeHandler('index.handler' as never, {})).toMatchObject({
      error: { errorType: 'Runtime.HandlerNotFound' },
    });
  });
});

describe('invokeHandler with nodejs22.x and nodejs20.x', () => {
  it.each(['nodejs20.x', 'nodejs22.x'] as const)(
    '%s: callbacks and context.succeed complete',
    async (runtime) => {
      expect(await invokeHandler((_e, _c, callback) => callback(null, 'cb'), {}, { runtime })).toEqual({
        result: 'cb',
      });
      expect(await invokeHandler((_e, context: Context) => context.succeed('s'), {}, { runtime })).toEqual({
        result: 's',
      });
      const context = await invokeHandler(async (_e, c: Context) => Object.keys(c), {}, { runtime });
      expect(context).toMatchObject({
        result: expect.arrayContaining(['done', 'callbackWaitsForEmptyEventLoop']),
      });
    },
  );
});
