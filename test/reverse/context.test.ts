import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type Handler, mountings, only, recorder, sleep, useServers } from './support.js';

const servers = useServers();
// The context of nodejs20.x/22.x; the nodejs24.x context is covered in runtime24.test.ts.
const serve: typeof servers.serve = (mounting, handler, options = {}) =>
  servers.serve(mounting, handler, { runtime: 'nodejs22.x', ...options });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FUNCTION_ARN = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[^:]+(:.+)?$/;

describe.each(mountings)('the context, through $name', (mounting) => {
  it('26: awsRequestId is a UUID, fresh for every invocation', async () => {
    const { handler, contexts } = recorder();
    const { http } = await serve(mounting, handler);
    await http.get('/').expect(200);
    await http.get('/').expect(200);
    const [first, second] = contexts.map((context) => context.awsRequestId);
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
  });

  it('26: the context has the shape the Node.js runtime gives, with the defaults', async () => {
    const { handler, contexts } = recorder();
    const { http } = await serve(mounting, handler);
    await http.get('/').expect(200);
    const context = only(contexts);
    expect(context.functionName).toBe('local-function');
    expect(context.functionVersion).toBe('$LATEST');
    expect(context.invokedFunctionArn).toMatch(FUNCTION_ARN);
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:local-function');
    expect(context.memoryLimitInMB).toBe('128');
    expect(context.logGroupName).toBe('/aws/lambda/local-function');
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.callbackWaitsForEmptyEventLoop).toBe(true);
    expect(context.identity).toBeUndefined();
    expect(context.clientContext).toBeUndefined();
    expect(typeof context.done).toBe('function');
    expect(typeof context.succeed).toBe('function');
    expect(typeof context.fail).toBe('function');
  });

  it('26: memoryLimitInMB is a string, and the options name the function', async () => {
    const { handler, contexts } = recorder();
    const { http } = await serve(mounting, handler, {
      functionName: 'orders-api',
      memorySize: 1024,
      region: 'eu-central-1',
      accountId: '210987654321',
    });
    await http.get('/').expect(200);
    const context = only(contexts);
    expect(context.memoryLimitInMB).toBe('1024');
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:eu-central-1:210987654321:function:orders-api');
    expect(context.invokedFunctionArn).toMatch(FUNCTION_ARN);
    expect(context.logGroupName).toBe('/aws/lambda/orders-api');
    expect(context.functionName).toBe('orders-api');
  });

  it('25: getRemainingTimeInMillis starts near the timeout and decreases live', async () => {
    const readings: number[] = [];
    const handler: Handler = async (_event, context) => {
      readings.push(context.getRemainingTimeInMillis());
      await sleep(30);
      readings.push(context.getRemainingTimeInMillis());
      return { statusCode: 200 };
    };
    const { http } = await serve(mounting, handler, { timeout: 3000 });
    await http.get('/').expect(200);
    const [start, later] = readings;
    expect(start).toBeLessThanOrEqual(3000);
    expect(start).toBeGreaterThan(2500);
    expect(later).toBeLessThanOrEqual(start - 25);
  });

  it('25: getRemainingTimeInMillis counts down from the timeout option', async () => {
    const seen: number[] = [];
    const handler: Handler = async (_event, context) => {
      seen.push(context.getRemainingTimeInMillis());
      return { statusCode: 200 };
    };
    const { http } = await serve(mounting, handler, { timeout: 60_000 });
    await http.get('/').expect(200);
    expect(seen[0]).toBeGreaterThan(59_000);
    expect(seen[0]).toBeLessThanOrEqual(60_000);
  });

  it('17: callback(null, result) answers at once although a timer is pending (in-process, callbackWaitsForEmptyEventLoop has no effect)', async () => {
    const timers: NodeJS.Timeout[] = [];
    const flags: boolean[] = [];
    const handler: Handler = (_event, context: Context, callback) => {
      flags.push(context.callbackWaitsForEmptyEventLoop);
      timers.push(setTimeout(() => {}, 10_000));
      callback(null, { statusCode: 200, body: 'answered' });
    };
    const { http } = await serve(mounting, handler, { timeout: 300 });
    try {
      const response = await http.get('/');
      expect(response.status).toBe(200);
      expect(response.text).toBe('answered');
      expect(flags).toEqual([true]);
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
  });

  it('17: with callbackWaitsForEmptyEventLoop = false the answer is the same', async () => {
    const timers: NodeJS.Timeout[] = [];
    const handler: Handler = (_event, context: Context, callback) => {
      context.callbackWaitsForEmptyEventLoop = false;
      timers.push(setTimeout(() => {}, 10_000));
      callback(null, { statusCode: 200, body: 'answered' });
    };
    const { http } = await serve(mounting, handler, { timeout: 300 });
    try {
      const response = await http.get('/');
      expect(response.status).toBe(200);
      expect(response.text).toBe('answered');
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
  });

  it('28: overlapping requests run at once, each with its own event and context', async () => {
    let release: () => void = () => {};
    const bothStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: Array<{ path: string; id: string }> = [];
    const handler: Handler = async (event, context) => {
      seen.push({ path: event.path, id: context.awsRequestId });
      if (seen.length === 2) release();
      // Each invocation waits for the other one to start: a serialised emulator would time out here.
      await bothStarted;
      return { statusCode: 200, body: `${event.path} ${context.awsRequestId}` };
    };
    const { http } = await serve(mounting, handler, { timeout: 1000 });
    const [a, b] = await Promise.all([http.get('/a'), http.get('/b')]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const ids = Object.fromEntries(seen.map(({ path, id }) => [path, id]));
    expect(a.text).toBe(`/a ${ids['/a']}`);
    expect(b.text).toBe(`/b ${ids['/b']}`);
    expect(ids['/a']).not.toBe(ids['/b']);
  });
});
