import type { ALBEvent, Context } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import {
  type AlbEmulatorOptions,
  createAlbEvent,
  createContext,
  createHealthCheckEvent,
  InvalidOptionError,
  LambdaBridgeError,
  toLambda,
  toListener,
} from '../../index.js';
import { type Handler, listenerMounting, loose, mountings, only, recorder, useServers } from './support.js';

const { serve } = useServers();

const invalidOptions: Array<[string, unknown]> = [
  ['options that are not an object', null],
  ['multiValueHeaders "yes"', { multiValueHeaders: 'yes' }],
  ['strict 1', { strict: 1 }],
  ['diagnostics "no"', { diagnostics: 'no' }],
  ['logInvocations 1', { logInvocations: 1 }],
  ['runtime nodejs18.x', { runtime: 'nodejs18.x' }],
  ['stripPrefix without a leading slash', { stripPrefix: 'api' }],
  ['stripPrefix that is not a string', { stripPrefix: 5 }],
  ['targetGroupArn that is not an ARN', { targetGroupArn: 'my-target-group' }],
  ['log that is not a function', { log: 'console' }],
  ['timeout 0', { timeout: 0 }],
  ['timeout -1', { timeout: -1 }],
  ['timeout NaN', { timeout: Number.NaN }],
  ['timeout Infinity', { timeout: Number.POSITIVE_INFINITY }],
  ['timeout "3000"', { timeout: '3000' }],
  ['memorySize 64', { memorySize: 64 }],
  ['memorySize 128.5', { memorySize: 128.5 }],
  ['memorySize 20000', { memorySize: 20_000 }],
  ['functionName ""', { functionName: '' }],
  ['functionName with a space', { functionName: 'my function' }],
  ['functionName with a colon', { functionName: 'a:b' }],
  ['functionVersion ""', { functionVersion: '' }],
  ['region with a space', { region: 'us east 1' }],
  ['accountId of 3 digits', { accountId: '123' }],
];

const handler: Handler = async () => ({ statusCode: 200 });

describe('invalid options', () => {
  it.each(invalidOptions)('%s: toListener throws InvalidOptionError', (_name, options) => {
    expect(() => toListener(loose(handler), options as AlbEmulatorOptions)).toThrow(InvalidOptionError);
  });

  it.each(invalidOptions)('%s: createAlbEvent throws InvalidOptionError', (_name, options) => {
    expect(() => createAlbEvent({}, options as AlbEmulatorOptions)).toThrow(InvalidOptionError);
  });

  it('the error has a stable code and names the option and the bad value', () => {
    let error: unknown;
    try {
      toListener(loose(handler), { timeout: -5 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(LambdaBridgeError);
    expect(error).toMatchObject({
      name: 'InvalidOptionError',
      code: 'LAMBDA_BRIDGE_INVALID_OPTION',
      message:
        'The "timeout" option is a positive number of milliseconds, at most 2147483647; it got the number -5.',
    });
  });

  it.each([
    ['memorySize 64', { memorySize: 64 }],
    ['accountId "abc"', { accountId: 'abc' }],
    ['timeout 0', { timeout: 0 }],
  ])('%s: createContext throws InvalidOptionError', (_name, options) => {
    expect(() => createContext(options)).toThrow(InvalidOptionError);
  });

  it.each([
    ['memorySize 128', { memorySize: 128 }],
    ['memorySize 10240', { memorySize: 10_240 }],
    ['timeout 1', { timeout: 1 }],
    ['timeout 900000', { timeout: 900_000 }],
    ['all runtimes', { runtime: 'nodejs20.x' }],
    ['a versioned function name', { functionName: 'orders', functionVersion: '12' }],
  ])('%s is accepted', (_name, options) => {
    expect(() => toListener(loose(handler), options as AlbEmulatorOptions)).not.toThrow();
  });
});

describe('defaults', () => {
  it('multiValueHeaders false, the default target group ARN, and the default context', async () => {
    const { handler: record, events, contexts } = recorder();
    const { http } = await serve(listenerMounting, record);
    await http.get('/').expect(200);
    const event = only(events);
    expect(event).toHaveProperty('headers');
    expect(event.requestContext.elb.targetGroupArn).toBe(
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/local-function/0123456789abcdef',
    );
    const context = only(contexts);
    expect(context.functionName).toBe('local-function');
    expect(context.memoryLimitInMB).toBe('128');
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(3000);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(2500);
  });

  it('the default target group ARN follows functionName, region and accountId', async () => {
    const { handler: record, events } = recorder();
    const { http } = await serve(listenerMounting, record, {
      functionName: 'orders',
      region: 'ap-southeast-2',
      accountId: '111122223333',
    });
    await http.get('/').expect(200);
    expect(only(events).requestContext.elb.targetGroupArn).toBe(
      'arn:aws:elasticloadbalancing:ap-southeast-2:111122223333:targetgroup/orders/0123456789abcdef',
    );
  });

  it('strict and diagnostics are on, the runtime is nodejs24.x (callback handlers are refused)', async () => {
    const { http } = await serve(listenerMounting, async () => ({ statusCode: '200' }));
    const response = await http.get('/');
    expect(response.status).toBe(502);
    expect(response.headers['x-lambda-bridge-reason']).toMatch(/statusCode/);
    const callbackHandler: Handler = (_event, _context, callback) => callback(null, { statusCode: 200 });
    const refused = await serve(listenerMounting, callbackHandler);
    const answer = await refused.http.get('/');
    expect(answer.status).toBe(502);
    expect(answer.headers['x-lambda-bridge-reason']).toMatch(/Runtime\.CallbackHandlerDeprecated/);
  });
});

describe.each(mountings)('the builders give what the middleware passes, through $name', (mounting) => {
  /** The event with its fresh trace id replaced, for comparing two builds of the same request. */
  const withoutTrace = (event: ALBEvent): ALBEvent => {
    const copy = structuredClone(event);
    if (copy.headers) copy.headers['x-amzn-trace-id'] = 'trace';
    if (copy.multiValueHeaders) copy.multiValueHeaders['x-amzn-trace-id'] = ['trace'];
    return copy;
  };
  const ALB_HEADERS = ['x-amzn-trace-id', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto'];

  it.each([false, true])(
    'createAlbEvent builds the same event (multiValueHeaders: %s)',
    async (multiValue) => {
      const { handler: record, events } = recorder();
      const options = { multiValueHeaders: multiValue, targetGroupArn: 'arn:aws:elasticloadbalancing:x' };
      const { http, port } = await serve(mounting, record, options);
      const body = 'name=a+b&x=%2F';
      await http
        .post('/orders/7?id=7&tag=a+b&tag=c')
        .type('form')
        .set('X-Forwarded-For', '203.0.113.9')
        .send(body);
      const seen = only(events);
      // The request as the handler's own test would describe it: the client's headers, in order.
      const clientHeaders: string[] = [];
      for (const [name, values] of Object.entries(seen.multiValueHeaders ?? {})) {
        for (const value of values ?? []) if (!ALB_HEADERS.includes(name)) clientHeaders.push(name, value);
      }
      for (const [name, value] of Object.entries(seen.headers ?? {})) {
        if (!ALB_HEADERS.includes(name) && value !== undefined) clientHeaders.push(name, value);
      }
      const built = createAlbEvent(
        {
          method: 'post',
          url: '/orders/7?id=7&tag=a+b&tag=c',
          headers: [...clientHeaders, 'x-forwarded-for', '203.0.113.9'],
          body,
          port,
        },
        { ...options, log: () => {} },
      );
      expect(built.headers?.['x-amzn-trace-id'] ?? built.multiValueHeaders?.['x-amzn-trace-id']?.[0]).toMatch(
        /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/,
      );
      expect(withoutTrace(built)).toEqual(withoutTrace(seen));
    },
  );

  it('createContext gives a context of the same shape as the one the handler gets', async () => {
    const { handler: record, contexts } = recorder();
    const options = { functionName: 'orders', memorySize: 256, region: 'eu-west-1', timeout: 5000 };
    const { http } = await serve(mounting, record, options);
    await http.get('/').expect(200);
    const seen = only(contexts);
    const built = createContext(options);
    const shape = (context: Context) =>
      Object.fromEntries(
        Object.keys(context)
          .sort()
          .map((key) => [key, typeof context[key as keyof Context]]),
      );
    expect(shape(built)).toEqual(shape(seen));
    for (const key of [
      'functionName',
      'functionVersion',
      'invokedFunctionArn',
      'memoryLimitInMB',
      'logGroupName',
    ] as const) {
      expect(built[key]).toBe(seen[key]);
    }
    expect(built.awsRequestId).not.toBe(seen.awsRequestId);
  });
});

describe('createAlbEvent', () => {
  it('defaults to GET / for host localhost from 127.0.0.1 on an http listener at port 80', () => {
    const event = createAlbEvent();
    expect(event).toEqual({
      requestContext: {
        elb: {
          targetGroupArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/local-function/0123456789abcdef',
        },
      },
      httpMethod: 'GET',
      path: '/',
      queryStringParameters: {},
      headers: {
        host: 'localhost',
        'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-port': '80',
        'x-forwarded-proto': 'http',
      },
      body: '',
      isBase64Encoded: false,
    });
  });

  it('an https listener has port 443 by default; remoteAddress is appended to x-forwarded-for', () => {
    const event = createAlbEvent({
      protocol: 'https',
      remoteAddress: '198.51.100.7',
      headers: { 'X-Forwarded-For': '203.0.113.1' },
    });
    expect(event.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.1, 198.51.100.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
    });
  });

  it('an object of header arrays keeps every value in multi-value mode, the last in single-value mode', () => {
    const request = { headers: { Cookie: ['a=1', 'b=2'] } };
    expect(createAlbEvent(request).headers?.cookie).toBe('b=2');
    expect(createAlbEvent(request, { multiValueHeaders: true }).multiValueHeaders?.cookie).toEqual([
      'a=1',
      'b=2',
    ]);
  });

  it('a binary body is base64 and keeps its bytes', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const event = createAlbEvent({ method: 'PUT', body: bytes, headers: { 'content-type': 'image/png' } });
    expect(event.isBase64Encoded).toBe(true);
    expect([...Buffer.from(event.body ?? '', 'base64')]).toEqual([0, 1, 2, 250, 255]);
  });

  it('sends host localhost unless a Host header is given, in either header mode', () => {
    expect(createAlbEvent({ headers: { Host: 'api.example.com' } }).headers?.host).toBe('api.example.com');
    expect(createAlbEvent({ headers: ['HOST', 'a.example', 'accept', '*/*'] }).headers?.host).toBe(
      'a.example',
    );
    expect(createAlbEvent({}, { multiValueHeaders: true }).multiValueHeaders?.host).toEqual(['localhost']);
  });

  it.each([
    ['Express 5', express],
    ['Express 4', express4],
  ])('gives %s a req.hostname through toLambda', async (_name, make) => {
    const app = make().get('/', (req: { hostname?: string }, res: { send(body: string): void }) =>
      res.send(String(req.hostname)),
    );
    const handler = toLambda(app);
    expect((await handler(createAlbEvent())).body).toBe('localhost');
    expect((await handler(createAlbEvent({ headers: { host: 'shop.example:8080' } }))).body).toBe(
      'shop.example',
    );
  });

  it('applies stripPrefix as the middleware does', () => {
    expect(createAlbEvent({ url: '/api/x?y=1' }, { stripPrefix: '/api' }).path).toBe('/x');
  });

  it('builds a fresh trace id every time', () => {
    expect(createAlbEvent().headers?.['x-amzn-trace-id']).not.toBe(
      createAlbEvent().headers?.['x-amzn-trace-id'],
    );
  });
});

describe('createHealthCheckEvent', () => {
  it('14: gives the documented health-check event in single-value mode', () => {
    expect(createHealthCheckEvent({ targetGroupArn: 'arn:aws:elasticloadbalancing:tg' })).toEqual({
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:tg' } },
      httpMethod: 'GET',
      path: '/',
      queryStringParameters: {},
      headers: { 'user-agent': 'ELB-HealthChecker/2.0' },
      body: '',
      isBase64Encoded: false,
    });
  });

  it('14: gives the multi-value form in multi-value mode', () => {
    const event = createHealthCheckEvent({ multiValueHeaders: true });
    expect(event).toEqual({
      requestContext: { elb: { targetGroupArn: expect.stringMatching(/^arn:aws:elasticloadbalancing:/) } },
      httpMethod: 'GET',
      path: '/',
      multiValueQueryStringParameters: {},
      multiValueHeaders: { 'user-agent': ['ELB-HealthChecker/2.0'] },
      body: '',
      isBase64Encoded: false,
    });
  });

  it('14: has the target group ARN the middleware uses with the same options', async () => {
    const { handler: record, events } = recorder();
    const options = { functionName: 'health', multiValueHeaders: true };
    const { http } = await serve(listenerMounting, record, options);
    await http.get('/').expect(200);
    expect(createHealthCheckEvent(options).requestContext).toEqual(only(events).requestContext);
  });

  it('14: a handler can be unit-tested with it and createContext', async () => {
    const check: Handler = async (event, context) => ({
      statusCode: event.headers?.['user-agent'] === 'ELB-HealthChecker/2.0' ? 200 : 500,
      body: context.functionName,
    });
    const result = await check(createHealthCheckEvent(), createContext({ functionName: 'health' }), () => {});
    expect(result).toEqual({ statusCode: 200, body: 'health' });
  });
});
