import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { entries, expectAlb502, type Handler, mountings, sleep, useServers } from './support.js';

const servers = useServers();
// The completion model of nodejs20.x/22.x (runtime interface client 3): callbacks, context.succeed,
// the first completion wins. nodejs24.x is covered in runtime24.test.ts and the RIC differential test.
const serve: typeof servers.serve = (mounting, handler, options = {}) =>
  servers.serve(mounting, handler, { runtime: 'nodejs22.x', ...options });

const ALREADY_DONE =
  'Invocation has already been reported as done. Cannot call complete more than once per invocation.';
const ok = (body: string) => ({ statusCode: 200, body });

describe.each(mountings)('how a handler completes, through $name', (mounting) => {
  describe('async and promise-returning handlers', () => {
    it('16: an async handler returns the result', async () => {
      const { http, log } = await serve(mounting, async () => ok('async'));
      const response = await http.get('/').expect(200);
      expect(response.text).toBe('async');
      expect(log).toEqual([]);
    });

    it('16: a plain function returning a promise is awaited', async () => {
      const handler: Handler = () => new Promise((resolve) => setTimeout(() => resolve(ok('promise')), 5));
      const { http } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('promise');
    });

    it('16: any thenable counts, not only native promises', async () => {
      const handler: Handler = () => ({
        // biome-ignore lint/suspicious/noThenProperty: the runtime accepts any thenable, which is what this checks
        then(resolve: (value: unknown) => void) {
          resolve(ok('thenable'));
        },
      });
      const { http } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('thenable');
    });

    it('a rejected promise is a 502', async () => {
      const { http, log } = await serve(mounting, async () => {
        throw new TypeError('no such order');
      });
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe('the handler failed: TypeError: no such order');
      expect(entries(log, 'HANDLER_ERROR')).toHaveLength(1);
    });

    it('a promise rejected with undefined is a 502', async () => {
      const { http } = await serve(mounting, () => Promise.reject(undefined));
      expectAlb502(await http.get('/'));
    });

    it('40: a thrown Error("[404] nope") is a 502 with the ALB page, not a 404, and no stack or message in the body', async () => {
      const handler: Handler = () => {
        throw new Error('[404] nope');
      };
      const { http, log } = await serve(mounting, handler);
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.text).not.toContain('nope');
      expect(response.text).not.toContain('errorMessage');
      expect(response.text).not.toMatch(/at .*\.ts/);
      const [entry] = entries(log, 'HANDLER_ERROR');
      expect(entry.message).toContain('the handler failed: Error: [404] nope');
      expect(entry.message).toMatch(/\n\s+at /);
    });
  });

  describe('callback handlers', () => {
    it('callback(null, result) answers with the result', async () => {
      const handler: Handler = (_event, _context, callback) => {
        setTimeout(() => callback(null, ok('callback')), 5);
      };
      const { http } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('callback');
    });

    it('callback(error) is a 502', async () => {
      const handler: Handler = (_event, _context, callback) => {
        callback(new Error('callback failure'));
      };
      const { http } = await serve(mounting, handler);
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe('the handler failed: Error: callback failure');
    });

    it('callback("text") with a non-Error value is a 502 of that type', async () => {
      const handler: Handler = (_event, _context, callback) => {
        callback('plain failure');
      };
      const { http } = await serve(mounting, handler);
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe('the handler failed: string: plain failure');
    });

    it('a callback handler that throws is a 502', async () => {
      const handler: Handler = (_event, _context, _callback) => {
        throw new RangeError('thrown');
      };
      const { http } = await serve(mounting, handler);
      expect((await http.get('/')).headers['x-lambda-bridge-reason']).toBe(
        'the handler failed: RangeError: thrown',
      );
    });

    it('context.succeed(result) answers with the result', async () => {
      const handler: Handler = (_event, context: Context) => {
        context.succeed(ok('succeed'));
      };
      const { http } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('succeed');
    });

    it('context.done(null, result) answers with the result', async () => {
      const handler: Handler = (_event, context: Context) => {
        context.done(undefined, ok('done'));
      };
      const { http } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('done');
    });

    it('context.done(error) is a 502', async () => {
      const handler: Handler = (_event, context: Context) => {
        context.done(new Error('done failure'));
      };
      const { http } = await serve(mounting, handler);
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe('the handler failed: Error: done failure');
    });

    it('context.fail(error) is a 502', async () => {
      const handler: Handler = (_event, context: Context) => {
        context.fail(new Error('fail failure'));
      };
      const { http } = await serve(mounting, handler);
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe('the handler failed: Error: fail failure');
    });
  });

  describe('18: the first completion wins', () => {
    it('18: callback, then a returned promise: the callback result is used and the second is a warning', async () => {
      const handler: Handler = (_event, _context, callback) => {
        callback(null, ok('first'));
        return Promise.resolve(ok('second'));
      };
      const { http, log } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('first');
      await sleep(10);
      const [warning] = entries(log, 'RUNTIME');
      expect(warning.message).toBe(ALREADY_DONE);
      expect(warning.level).toBe('warn');
      expect(warning.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('18: context.succeed in an async handler wins over its return value', async () => {
      const handler: Handler = async (_event, context: Context) => {
        context.succeed(ok('succeed'));
        return ok('returned');
      };
      const { http, log } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('succeed');
      await sleep(10);
      expect(entries(log, 'RUNTIME').map((entry) => entry.message)).toEqual([ALREADY_DONE]);
    });

    it('18: a second callback call is ignored with the warning', async () => {
      const handler: Handler = (_event, _context, callback) => {
        callback(null, ok('first'));
        callback(new Error('late failure'));
        callback(null, ok('third'));
      };
      const { http, log } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('first');
      expect(entries(log, 'RUNTIME').map((entry) => entry.message)).toEqual([ALREADY_DONE, ALREADY_DONE]);
    });

    it('18: a failure first wins over a later success', async () => {
      const handler: Handler = (_event, context: Context, callback) => {
        context.fail(new Error('failed first'));
        callback(null, ok('too late'));
      };
      const { http, log } = await serve(mounting, handler);
      expectAlb502(await http.get('/'));
      expect(entries(log, 'RUNTIME').map((entry) => entry.message)).toEqual([ALREADY_DONE]);
    });
  });

  describe('19: a handler that returns without completing', () => {
    it('19: a sync handler that returns a value and never calls back completes with null: 502', async () => {
      const handler: Handler = () => ok('ignored');
      const { http, log } = await serve(mounting, handler);
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe(
        'invalid result: the result must be an object with a numeric statusCode; the handler returned null',
      );
      expect(entries(log, 'INVALID_RESULT')).toHaveLength(1);
    });

    it('19: an async handler that returns undefined completes with null: 502', async () => {
      const { http } = await serve(mounting, async () => undefined);
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toMatch(/the handler returned null$/);
    });

    it('19: a sync handler may still complete through context.succeed in the same turn', async () => {
      const handler: Handler = (_event, context: Context) => {
        queueMicrotask(() => context.succeed(ok('microtask')));
      };
      const { http } = await serve(mounting, handler);
      expect((await http.get('/').expect(200)).text).toBe('microtask');
    });

    it('19: a callback handler that never calls back times out (in-process there is no drained event loop to detect)', async () => {
      const handler: Handler = (_event, _context, _callback) => {};
      const { http, log } = await serve(mounting, handler, { timeout: 150 });
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe('Task timed out after 0.15 seconds');
      expect(entries(log, 'TIMEOUT')).toHaveLength(1);
    });

    it('20: an async handler whose promise never settles is a timeout in-process, not Runtime.NodeJsExit', async () => {
      const { http, log } = await serve(mounting, () => new Promise(() => {}), { timeout: 150 });
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe('Task timed out after 0.15 seconds');
      expect(log.some((entry) => entry.message.includes('NodeJsExit'))).toBe(false);
    });
  });

  describe('21: the runtime option', () => {
    it('21: nodejs24.x fails a callback handler with 502', async () => {
      let called = false;
      const handler: Handler = (_event, _context, callback) => {
        called = true;
        callback(null, ok('never'));
      };
      const { http, log } = await serve(mounting, handler, { runtime: 'nodejs24.x' });
      const response = await http.get('/');
      expectAlb502(response);
      expect(called).toBe(false);
      expect(response.headers['x-lambda-bridge-reason']).toBe(
        'the handler failed: Runtime.CallbackHandlerDeprecated: ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
      );
      expect(entries(log, 'HANDLER_ERROR')).toHaveLength(1);
    });

    it('21: nodejs24.x refuses an async handler that declares three parameters, as its runtime client does', async () => {
      const handler: Handler = async (_event, _context, _callback) => ok('async with three');
      const { http } = await serve(mounting, handler, { runtime: 'nodejs24.x' });
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toMatch(
        /^the handler failed: Runtime\.CallbackHandlerDeprecated: /,
      );
    });

    it('21: nodejs24.x runs a two-parameter handler that returns a promise', async () => {
      const handler: Handler = (_event, _context) => Promise.resolve(ok('promise'));
      const { http } = await serve(mounting, handler, { runtime: 'nodejs24.x' });
      expect((await http.get('/').expect(200)).text).toBe('promise');
    });

    it.each(['nodejs20.x', 'nodejs22.x'] as const)('21: %s runs a callback handler', async (runtime) => {
      const handler: Handler = (_event, _context, callback) => callback(null, ok(runtime));
      const { http } = await serve(mounting, handler, { runtime });
      expect((await http.get('/').expect(200)).text).toBe(runtime);
    });
  });

  describe('22: the JSON round trip of the result', () => {
    it('22: undefined fields are dropped and a Date becomes its JSON string', async () => {
      const result = {
        statusCode: 200,
        headers: { 'x-when': new Date(0), 'x-gone': undefined, 'content-type': 'text/plain' },
        body: 'x',
        extra: undefined,
      };
      const { http, log } = await serve(mounting, async () => result);
      const response = await http.get('/').expect(200);
      expect(response.headers['x-when']).toBe('1970-01-01T00:00:00.000Z');
      expect(response.headers).not.toHaveProperty('x-gone');
      expect(response.text).toBe('x');
      expect(log).toEqual([]);
    });

    it('22: toJSON is honoured, as JSON.stringify does', async () => {
      const result = { toJSON: () => ({ statusCode: 201, body: 'from toJSON' }) };
      const { http } = await serve(mounting, async () => result);
      const response = await http.get('/');
      expect(response.status).toBe(201);
      expect(response.text).toBe('from toJSON');
    });

    it('22: a BigInt in the result is an invocation error: 502', async () => {
      const { http, log } = await serve(mounting, async () => ({ statusCode: 200, body: 'x', n: 1n }));
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toMatch(
        /^the handler failed: Runtime\.SerializationError: Unable to stringify response body/,
      );
      expect(entries(log, 'HANDLER_ERROR')).toHaveLength(1);
    });

    it('22: a circular result is an invocation error: 502', async () => {
      const result: Record<string, unknown> = { statusCode: 200 };
      result.self = result;
      const { http } = await serve(mounting, async () => result);
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toMatch(/Unable to stringify response body/);
    });

    it('22: a Buffer body becomes {type, data}, which is not a string: 502', async () => {
      const { http } = await serve(mounting, async () => ({ statusCode: 200, body: Buffer.from('bytes') }));
      const response = await http.get('/');
      expectAlb502(response);
      expect(response.headers['x-lambda-bridge-reason']).toBe(
        'invalid result: body must be a string; it is an object',
      );
    });

    it('22: a function-valued field is dropped', async () => {
      const { http } = await serve(mounting, async () => ({ statusCode: 204, helper: () => 1 }));
      expect((await http.get('/')).status).toBe(204);
    });
  });
});
