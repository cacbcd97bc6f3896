import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../lib/errors.js';
import {
  type ContextOptions,
  checkContextOptions,
  createContext as create,
  wireContext,
} from '../../lib/invoke/context.js';

// The context of nodejs20.x/22.x (runtime interface client 3); nodejs24.x is tested below.
const createContext = (options: ContextOptions = {}) => create({ runtime: 'nodejs22.x', ...options });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createContext', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('26: gives the fields of the Node.js runtime, with the defaults', () => {
    const context = createContext();
    expect(context).toMatchObject({
      functionName: 'local-function',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:local-function',
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/local-function',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.awsRequestId).toMatch(UUID);
    expect(context.identity).toBeUndefined();
    expect(context.clientContext).toBeUndefined();
  });

  it('26: memoryLimitInMB is a string', () => {
    expect(createContext({ memorySize: 3008 }).memoryLimitInMB).toBe('3008');
  });

  it('26: invokedFunctionArn matches the Lambda ARN format', () => {
    const context = createContext({
      functionName: 'orders',
      region: 'eu-north-1',
      accountId: '999988887777',
    });
    expect(context.invokedFunctionArn).toMatch(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[^:]+(:.+)?$/);
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:eu-north-1:999988887777:function:orders');
    expect(context.logGroupName).toBe('/aws/lambda/orders');
  });

  it('26: awsRequestId is a fresh UUID each time, or the one given', () => {
    expect(createContext().awsRequestId).not.toBe(createContext().awsRequestId);
    expect(createContext({ awsRequestId: 'given-id' }).awsRequestId).toBe('given-id');
  });

  it('logStreamName is <yyyy/mm/dd>/[<version>]<32 hex>', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-04-05T06:07:08Z') });
    expect(createContext({ functionVersion: '3' }).logStreamName).toMatch(
      /^2030\/04\/05\/\[3\][0-9a-f]{32}$/,
    );
  });

  it('25: getRemainingTimeInMillis is the deadline minus now, live', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    const context = createContext({ timeout: 3000 });
    expect(context.getRemainingTimeInMillis()).toBe(3000);
    vi.setSystemTime(1_000_250);
    expect(context.getRemainingTimeInMillis()).toBe(2750);
    vi.setSystemTime(1_002_999);
    expect(context.getRemainingTimeInMillis()).toBe(1);
  });

  it('25: getRemainingTimeInMillis never goes below 0', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    const context = createContext({ timeout: 100 });
    vi.setSystemTime(5000);
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it('25: the default timeout is 3000 ms', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    expect(createContext().getRemainingTimeInMillis()).toBe(3000);
  });

  it('callbackWaitsForEmptyEventLoop can be set', () => {
    const context = createContext();
    context.callbackWaitsForEmptyEventLoop = false;
    expect(context.callbackWaitsForEmptyEventLoop).toBe(false);
  });

  it('done, succeed and fail do nothing on a context no invocation uses', () => {
    const context = createContext();
    expect(() => {
      context.succeed('x');
      context.fail(new Error('x'));
      context.done();
    }).not.toThrow();
  });

  it('wireContext routes done, succeed and fail to the invocation', () => {
    const context = createContext();
    const calls: unknown[][] = [];
    wireContext(context, (...args) => calls.push(args));
    const error = new Error('e');
    context.succeed('r1');
    context.done(undefined, 'r2');
    context.done(error);
    context.fail(error);
    context.fail(undefined as unknown as Error);
    expect(calls).toEqual([[null, 'r1'], [null, 'r2'], [error, undefined], [error], ['handled']]);
  });
});

describe('checkContextOptions', () => {
  it.each([
    ['functionName', { functionName: 'a b' }, /"functionName" option is a non-empty name/],
    ['functionVersion', { functionVersion: '' }, /"functionVersion" option/],
    ['region', { region: 'us:east' }, /"region" option/],
    ['accountId', { accountId: '12345678901' }, /"accountId" option is 12 digits/],
    ['memorySize', { memorySize: 127 }, /"memorySize" option is a whole number of MB from 128 to 10240/],
    ['timeout', { timeout: -1 }, /"timeout" option is a positive number/],
  ])('rejects a bad %s with InvalidOptionError naming it', (_name, options, message) => {
    expect(() => checkContextOptions(options)).toThrow(InvalidOptionError);
    expect(() => checkContextOptions(options)).toThrow(message);
  });

  it('accepts the empty options', () => {
    expect(() => checkContextOptions({})).not.toThrow();
  });
});
