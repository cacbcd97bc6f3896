import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DevServer,
  parseHandlerSpec,
  readEnvFile,
  type ServeOptions,
  serve,
} from '../../adapters/serve.js';
import type { LogEntry } from '../../lib/log.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => join(FIXTURES, name);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What `fixtures/handler.mjs` answers. */
interface Reply {
  count: number;
  path: string;
  /** The process the handler ran in. */
  pid: number;
  multi: boolean;
  query: Record<string, string | string[]>;
  traceHeader: string | undefined;
  env: Record<string, string | undefined>;
}

interface Running {
  server: DevServer;
  /** Everything sent to the log hook, in order. */
  log: LogEntry[];
  get(path: string): Promise<Response>;
  json<T = Reply>(path: string): Promise<T>;
}

const open = new Set<DevServer>();
const temporary: string[] = [];

async function start(options: Omit<ServeOptions, 'port' | 'log'> & { port?: number }): Promise<Running> {
  const log: LogEntry[] = [];
  const server = await serve({ port: 0, ...options, log: (entry) => log.push(entry) });
  open.add(server);
  const get = (path: string) => fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(15_000) });
  return {
    server,
    log,
    get,
    async json<T>(path: string) {
      const response = await get(path);
      expect(response.status, `${path} answered ${response.status}`).toBe(200);
      return (await response.json()) as T;
    },
  };
}

/** Polls until `check` returns a value other than undefined or false; fails after `ms`. */
async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether a message lists the exports of `fixtures/exports.mjs` (in any order). */
function listsExports(message: string): boolean {
  const listed = /it exports ((?:"\w+"(?:, )?)+)/.exec(message)?.[1];
  return listed?.split(', ').sort().join(', ') === '"answer", "api", "settings"';
}

const entries = (log: LogEntry[], code: string) => log.filter((entry) => entry.code === code);
const messages = (log: LogEntry[]) => log.map((entry) => entry.message).join('\n');

/** The log entry of a given code for the request answered with the given request id. */
function entryFor(log: LogEntry[], code: string, requestId: string): LogEntry | undefined {
  return log.find((entry) => entry.code === code && entry.requestId === requestId);
}

/** The request id of the n-th request line (0-based). */
function requestId(log: LogEntry[], n: number): string {
  const id = entries(log, 'REQUEST')[n]?.requestId;
  expect(id).toMatch(UUID);
  return id as string;
}

/** Child processes (execution environments) this process holds. */
function workerResources(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'ProcessWrap').length;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-bridge-serve-'));
  temporary.push(dir);
  return dir;
}

let baseline = 0;

beforeEach(() => {
  baseline = workerResources();
});

afterEach(async () => {
  await Promise.all([...open].map((server) => server.close()));
  open.clear();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
  expect(workerResources()).toBeLessThanOrEqual(baseline);
});

describe('serve(): handler files', () => {
  it('serves an ES module (.mjs) handler behind the emulated ALB, in a process of its own', async () => {
    const { json, log } = await start({ handler: fixture('handler.mjs') });
    const reply = await json('/orders?id=7');
    expect(reply).toMatchObject({ count: 1, path: '/orders', multi: false });
    expect(reply.pid).not.toBe(process.pid);
    expect(reply.query).toEqual({ id: '7' });
    expect((await json('/again')).count).toBe(2);

    const id = requestId(log, 0);
    expect(entries(log, 'REQUEST')[0].message).toMatch(/^GET \/orders\?id=7 200 \d+\.\d\d ms$/);
    expect(entryFor(log, 'START', id)?.message).toBe(`START RequestId: ${id} Version: $LATEST`);
    expect(entryFor(log, 'END', id)?.message).toBe(`END RequestId: ${id}`);
    expect(entryFor(log, 'REPORT', id)?.message).toMatch(
      new RegExp(
        `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms$`,
      ),
    );
    const order = log.filter((entry) => entry.requestId === id).map((entry) => entry.code);
    expect(order).toEqual(['START', 'END', 'REPORT', 'REQUEST']);
    // A warm invocation reports no Init Duration.
    expect(entryFor(log, 'REPORT', requestId(log, 1))?.message).not.toContain('Init Duration');
  });

  it('serves a CommonJS (.cjs) handler', async () => {
    const { json } = await start({ handler: fixture('handler.cjs') });
    expect(await json('/a')).toEqual({ kind: 'commonjs', count: 1, path: '/a', moduleType: 'object' });
    expect(await json('/b')).toMatchObject({ count: 2 });
  });

  it('serves a TypeScript (.ts) handler through tsx, by the default export name', async () => {
    const { json } = await start({ handler: fixture('handler.ts') });
    expect(await json('/ts')).toEqual({ kind: 'typescript', count: 1, path: '/ts' });
  });

  it('serves the export named after "#"', async () => {
    const ts = await start({ handler: `${fixture('handler.ts')}#main` });
    expect(await ts.json('/main')).toEqual({ kind: 'typescript', count: 1, path: '/main' });
    const js = await start({ handler: `${fixture('exports.mjs')}#api` });
    const response = await js.get('/named');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('api /named');
  });

  it('reports a missing export with the names the module exports: 502 on every request', async () => {
    const { get, log } = await start({ handler: `${fixture('exports.mjs')}#nope` });
    for (let i = 0; i < 2; i++) {
      const response = await get('/');
      expect(response.status).toBe(502);
      expect(response.headers.get('server')).toBe('awselb/2.0');
      expect(response.headers.get('x-lambda-bridge-reason')).toContain('no export named "nope"');
    }
    const errors = entries(log, 'HANDLER_ERROR');
    expect(errors).toHaveLength(2);
    for (const error of errors) {
      expect(error.level).toBe('warn');
      expect(error.message).toContain('Runtime.HandlerNotFound');
      expect(error.message).toContain('LAMBDA_BRIDGE_HANDLER_NOT_FOUND');
      expect(error.message).toContain('no export named "nope"');
      expect(listsExports(error.message)).toBe(true);
    }
  });

  it('reports an export that is not a function with the names the module exports', async () => {
    const { get, log } = await start({ handler: `${fixture('exports.mjs')}#answer` });
    expect((await get('/')).status).toBe(502);
    const [error] = entries(log, 'HANDLER_ERROR');
    expect(error.message).toContain('LAMBDA_BRIDGE_HANDLER_NOT_FOUND');
    expect(error.message).toContain('"answer", but it is number, not a function');
    expect(listsExports(error.message)).toBe(true);
  });

  it('rejects a handler file that does not exist with LAMBDA_BRIDGE_HANDLER_FILE_MISSING', async () => {
    await expect(serve({ handler: fixture('absent.mjs'), port: 0 })).rejects.toMatchObject({
      code: 'LAMBDA_BRIDGE_HANDLER_FILE_MISSING',
      message: expect.stringContaining('absent.mjs'),
    });
    await expect(serve({ handler: FIXTURES, port: 0 })).rejects.toMatchObject({
      code: 'LAMBDA_BRIDGE_HANDLER_FILE_MISSING',
    });
  });

  it('rejects a handler spec that is empty or names no identifier, and bad options', async () => {
    await expect(serve({ handler: '', port: 0 })).rejects.toMatchObject({
      code: 'LAMBDA_BRIDGE_INVALID_OPTION',
    });
    await expect(serve({ handler: `${fixture('handler.mjs')}#not-a-name`, port: 0 })).rejects.toMatchObject({
      code: 'LAMBDA_BRIDGE_INVALID_OPTION',
    });
    const before = { ...process.env };
    for (const bad of [
      { port: -1 },
      { port: 1.5 },
      { concurrency: 0 },
      { host: '' },
      { memorySize: 64 },
      { timeout: 0, isolate: false },
      { region: 'eu west', isolate: false, env: { FROM_OPTION: 'x' } },
    ]) {
      await expect(serve({ handler: fixture('handler.mjs'), port: 0, ...bad })).rejects.toMatchObject({
        code: 'LAMBDA_BRIDGE_INVALID_OPTION',
      });
    }
    // Nothing set for an in-process handler stays behind after a rejected option.
    expect({ ...process.env }).toEqual(before);
  });

  it('parseHandlerSpec splits the export name, and reads "handler" by default', () => {
    expect(parseHandlerSpec(`${fixture('handler.ts')}#main`)).toEqual({
      file: fixture('handler.ts'),
      exportName: 'main',
    });
    expect(parseHandlerSpec(fixture('handler.mjs'))).toEqual({
      file: fixture('handler.mjs'),
      exportName: 'handler',
    });
  });
});

describe('serve(): failures as the Lambda runtime has them', () => {
  it('times out: 502, "Task timed out after 0.30 seconds", and the next request runs on a fresh module', async () => {
    const { get, json, log } = await start({ handler: fixture('handler.mjs'), timeout: 300 });
    expect((await json('/warm')).count).toBe(1);
    const response = await get('/hang');
    expect(response.status).toBe(502);
    expect(response.headers.get('x-lambda-bridge-reason')).toBe('Task timed out after 0.30 seconds');
    const [timeout] = entries(log, 'TIMEOUT');
    expect(timeout.level).toBe('warn');
    expect(timeout.message).toContain('Task timed out after 0.30 seconds');
    expect(timeout.requestId).toBe(requestId(log, 1));
    expect(messages(entries(log, 'ENVIRONMENT_REPLACED'))).toContain('Task timed out after 0.30 seconds');

    const fresh = await json('/after');
    expect(fresh.count).toBe(1);
    expect(entryFor(log, 'REPORT', requestId(log, 2))?.message).toContain('Init Duration');
  });

  it('freeze: false: an exception thrown in a timer after the response: the next invocation is a cold start', async () => {
    const { json, log } = await start({ handler: fixture('handler.mjs'), freeze: false });
    expect((await json('/warm')).count).toBe(1);
    expect((await json('/crash-later')).count).toBe(2);
    // nodejs24.x: the runtime process ends with Node's own report and exit status 1.
    await waitFor('the crashed environment to be replaced', () =>
      entries(log, 'ENVIRONMENT_REPLACED').find((entry) => entry.message.includes('exit status 1')),
    );

    expect((await json('/next')).count).toBe(1);
    expect(entryFor(log, 'REPORT', requestId(log, 2))?.message).toMatch(/\tInit Duration: \d+\.\d\d ms$/);
  });

  it.each([
    ['nodejs22.x', 'Runtime.UnhandledPromiseRejection: Error: nobody handles this'],
    ['nodejs24.x', 'Runtime.ExitError: RequestId: <id> Error: Runtime exited with error: exit status 1'],
  ] as const)('%s: an unhandled rejection fails the invocation with %s', async (runtime, reason) => {
    const { get, json, log } = await start({ handler: fixture('handler.mjs'), runtime });
    expect((await json('/warm')).count).toBe(1);
    expect((await get('/reject')).status).toBe(502);
    const [error] = entries(log, 'HANDLER_ERROR');
    expect(error.message).toContain(reason.replace('<id>', requestId(log, 1)));
    expect(error.requestId).toBe(requestId(log, 1));
    expect((await json('/next')).count).toBe(1);
  });

  it('a module that throws while loading: 502 on every request, with the thrown error and the file', async () => {
    const { get, log } = await start({ handler: fixture('throws-at-import.mjs') });
    for (let i = 0; i < 3; i++) expect((await get(`/${i}`)).status).toBe(502);
    const errors = entries(log, 'HANDLER_ERROR');
    expect(errors).toHaveLength(3);
    for (const error of errors) {
      // nodejs24.x posts the thrown error as it is; its stack names the file.
      expect(error.message).toContain('the handler failed: Error: configuration is missing at load time');
      expect(error.message).toContain('throws-at-import.mjs:2');
      expect(error.message).toContain('configuration is missing at load time');
    }
    expect(entries(log, 'REQUEST').map((entry) => entry.message)).toEqual([
      expect.stringMatching(/^GET \/0 502 /),
      expect.stringMatching(/^GET \/1 502 /),
      expect.stringMatching(/^GET \/2 502 /),
    ]);
  });
});

describe('serve(): the Node.js runtime rules, in an isolated environment', () => {
  const runtime = (name: string) => `${fixture('runtime.mjs')}#${name}`;

  it('19: nodejs22.x: a synchronous handler that returns a value answers null: 502', async () => {
    const { get, log } = await start({ handler: runtime('sync'), runtime: 'nodejs22.x' });
    expect((await get('/')).status).toBe(502);
    expect(messages(entries(log, 'INVALID_RESULT'))).toContain('answered 502');
  });

  it('nodejs24.x (the default): the return value of a synchronous handler is awaited and answered', async () => {
    const { get } = await start({ handler: runtime('sync') });
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('"never sent"');
  });

  it('18: nodejs22.x: callback and promise both complete: the first wins, the second is logged', async () => {
    const { get, log } = await start({ handler: runtime('twice'), runtime: 'nodejs22.x' });
    const response = await get('/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('"callback"');
    const [warning] = entries(log, 'RUNTIME');
    expect(warning.message).toContain('Invocation has already been reported as done');
    expect(warning.requestId).toBe(requestId(log, 0));
  });

  it('25, 26: nodejs22.x: the context has the function settings and counts down from the timeout', async () => {
    const { json, log } = await start({
      handler: runtime('context'),
      functionName: 'orders',
      timeout: 2000,
      runtime: 'nodejs22.x',
    });
    const context = await json<Record<string, unknown>>('/');
    expect(context).toMatchObject({
      awsRequestId: requestId(log, 0),
      functionName: 'orders',
      functionVersion: '$LATEST',
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/orders',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.invokedFunctionArn).toMatch(/^arn:aws:lambda:us-east-1:\d{12}:function:orders$/);
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(2000);
  });

  it('nodejs24.x: the 12-key context, xRayTraceId is the trace id of the event, and awslambda.InvokeStore holds the invocation', async () => {
    const { json, log } = await start({ handler: runtime('context'), functionName: 'orders' });
    const context = await json<Record<string, unknown>>('/');
    expect(context.keys).toEqual([
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
    ]);
    expect(context.xRayTraceId).toMatch(/^Root=1-/);
    expect(context.xRayTraceId).toBe(context.eventTraceId);
    expect(context.storeTraceId).toBe(context.eventTraceId);
    expect(context.storeRequestId).toBe(requestId(log, 0));
    expect(context.awsRequestId).toBe(requestId(log, 0));
  });

  it('22: a result JSON.stringify cannot serialize fails the invocation', async () => {
    const { get, log } = await start({ handler: runtime('bigint'), runtime: 'nodejs22.x' });
    expect((await get('/')).status).toBe(502);
    expect(messages(entries(log, 'HANDLER_ERROR'))).toContain('Runtime.SerializationError');
    const current = await start({ handler: runtime('bigint') });
    expect((await current.get('/')).status).toBe(502);
    expect(messages(entries(current.log, 'HANDLER_ERROR'))).toContain(
      'Runtime.JSONStringifyError: Unable to stringify response body',
    );
  });

  it('process.exit in the handler fails the invocation with Runtime.ExitError and replaces the environment', async () => {
    const { get, log } = await start({ handler: runtime('exits') });
    expect((await get('/')).status).toBe(502);
    expect(messages(entries(log, 'HANDLER_ERROR'))).toContain('Runtime.ExitError');
    expect(messages(entries(log, 'HANDLER_ERROR'))).toContain('Runtime exited with error: exit status 3');
    expect((await get('/')).status).toBe(502);
    expect(entryFor(log, 'REPORT', requestId(log, 1))?.message).toContain('Init Duration');
  });

  it('21: nodejs24.x refuses a callback-style handler; nodejs22.x runs it', async () => {
    const refused = await start({ handler: runtime('callbackStyle'), runtime: 'nodejs24.x' });
    expect((await refused.get('/')).status).toBe(502);
    expect(messages(entries(refused.log, 'HANDLER_ERROR'))).toContain('Runtime.CallbackHandlerDeprecated');
    const allowed = await start({ handler: runtime('callbackStyle'), runtime: 'nodejs22.x' });
    expect(await (await allowed.get('/')).text()).toBe('"called back"');
  });
});

describe('serve(): execution environments', () => {
  it('two overlapping requests run in two environments: each sees its own module counter', async () => {
    const { json } = await start({ handler: fixture('handler.mjs') });
    const replies = await Promise.all([json('/sleep'), json('/sleep')]);
    expect(replies.map((reply) => reply.count)).toEqual([1, 1]);
  });

  it('concurrency 1: the second request waits for the first environment, then runs in it', async () => {
    const { json, log } = await start({ handler: fixture('handler.mjs'), concurrency: 1 });
    const finished: string[] = [];
    const first = json('/sleep').then((reply) => {
      finished.push('first');
      return reply;
    });
    await waitFor('the first invocation to start', () => entries(log, 'START').length === 1);
    const second = json('/sleep').then((reply) => {
      finished.push('second');
      return reply;
    });
    const [a, b] = await Promise.all([first, second]);
    expect(finished).toEqual(['first', 'second']);
    expect(a.count).toBe(1);
    expect(b.count).toBe(2);
  });

  it('sets the Lambda environment variables, with envFile and env', async () => {
    const { json } = await start({
      handler: fixture('handler.mjs'),
      functionName: 'orders',
      memorySize: 256,
      region: 'eu-west-1',
      envFile: fixture('test.env'),
      env: { SHARED_NAME: 'option value', FROM_OPTION: 'yes' },
    });
    const reply = await json('/env');
    expect(reply.env).toEqual({
      AWS_LAMBDA_FUNCTION_NAME: 'orders',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      _HANDLER: 'handler.handler',
      LAMBDA_TASK_ROOT: FIXTURES,
      TZ: 'UTC',
      _X_AMZN_TRACE_ID: reply.traceHeader,
      FROM_ENV_FILE: 'from the file',
      SHARED_NAME: 'option value',
      FROM_OPTION: 'yes',
    });
    expect(reply.traceHeader).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const next = await json('/env');
    expect(next.env._X_AMZN_TRACE_ID).toBe(next.traceHeader);
    expect(next.traceHeader).not.toBe(reply.traceHeader);
  });

  it('defaults: the function is named after the file, 128 MB, us-east-1; the export name is in _HANDLER', async () => {
    const { json } = await start({ handler: `${fixture('handler.mjs')}#handler` });
    const { env } = await json('/');
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'handler',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      _HANDLER: 'handler.handler',
    });
    expect(env.FROM_ENV_FILE).toBeUndefined();
  });

  it('readEnvFile reads dotenv variables, and names an unreadable file', () => {
    expect(readEnvFile(fixture('test.env'))).toEqual({
      FROM_ENV_FILE: 'from the file',
      SHARED_NAME: 'file value',
    });
    expect(() => readEnvFile(fixture('absent.env'))).toThrow(
      expect.objectContaining({ code: 'LAMBDA_BRIDGE_ENV_FILE_MISSING' }),
    );
  });

  it('multiValueHeaders: true sends the multi-value fields and serves multi-value results', async () => {
    const { get } = await start({ handler: fixture('handler.mjs'), multiValueHeaders: true });
    const response = await get('/multi?a=1&a=2');
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const reply = (await response.json()) as Reply;
    expect(reply.multi).toBe(true);
    expect(reply.query).toEqual({ a: ['1', '2'] });
    expect(reply.env._X_AMZN_TRACE_ID).toBe(reply.traceHeader);
  });

  it.each(['apigw-v2', 'function-url'] as const)(
    'format: %s builds payload 2.0 events in the environments',
    async (format) => {
      const { get } = await start({ handler: fixture('echo-event.mjs'), format });
      const response = await get('/p?a=1&a=2');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      const event = (await response.json()) as {
        version: string;
        rawPath: string;
        queryStringParameters: unknown;
        requestContext: { domainName: string };
      };
      expect(event).toMatchObject({ version: '2.0', rawPath: '/p', queryStringParameters: { a: '1,2' } });
      expect(event.requestContext.domainName).toMatch(
        format === 'function-url' ? /\.lambda-url\./ : /\.execute-api\./,
      );
    },
  );

  it.each(['lattice-v1', 'lattice-v2', 'edge-viewer-request', 'edge-origin-request'] as const)(
    'format: %s builds its events in the environments',
    async (format) => {
      const { get } = await start({ handler: fixture('echo-front-door.mjs'), format });
      const response = await get('/p?a=1&a=2');
      expect(response.status).toBe(200);
      const event = (await response.json()) as Record<string, unknown>;
      if (format === 'lattice-v1') {
        expect(event).toMatchObject({ raw_path: '/p', method: 'GET', query_string_parameters: { a: '2' } });
      } else if (format === 'lattice-v2') {
        expect(event).toMatchObject({ version: '2.0', path: '/p', queryStringParameters: { a: ['1', '2'] } });
      } else {
        const { cf } = (event as { Records: Array<{ cf: Record<string, unknown> }> }).Records[0];
        expect(cf).toMatchObject({
          config: { eventType: format.slice(5) },
          request: { method: 'GET', uri: '/p', querystring: 'a=1&a=2' },
        });
      }
    },
  );

  it("format: edge-viewer-request answers a failed invocation with CloudFront's 503", async () => {
    const { get } = await start({ handler: fixture('echo-front-door.mjs'), format: 'edge-viewer-request' });
    const response = await get('/throw');
    expect(response.status).toBe(503);
    expect(response.headers.get('x-cache')).toBe('LambdaExecutionError from cloudfront');
  });

  it('format: apigw-v1 answers a failed invocation with 502 {"message": "Internal server error"}', async () => {
    const { get } = await start({ handler: fixture('handler.mjs'), format: 'apigw-v1' });
    const response = await get('/reject');
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal server error' });
  });

  it('a module that never finishes loading is stopped after the 10 s init limit, with 502', async () => {
    const { get, log } = await start({ handler: fixture('never-loads.mjs'), timeout: 300 });
    const response = await get('/');
    expect(response.status).toBe(502);
    expect(messages(log)).toMatch(
      /Runtime\.InitTimeout: The handler module did not finish loading within 10\.00 seconds/,
    );
  }, 20_000);

  it('isolate: false runs the handler in this process, sharing module state between requests', async () => {
    const before = { ...process.env };
    const { json } = await start({
      handler: fixture('handler.mjs'),
      isolate: false,
      functionName: 'in-process',
      env: { FROM_OPTION: 'here' },
    });
    const replies = await Promise.all([json('/sleep'), json('/sleep')]);
    expect(replies.map((reply) => reply.count).sort()).toEqual([1, 2]);
    expect(replies.every((reply) => reply.pid === process.pid)).toBe(true);
    const third = await json('/third');
    expect(third.count).toBe(3);
    expect(third.env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'in-process',
      FROM_OPTION: 'here',
      TZ: 'UTC',
      _X_AMZN_TRACE_ID: third.traceHeader,
    });
    await Promise.all([...open].map((server) => server.close()));
    // The variables set for the handler are taken back when the server closes.
    expect({ ...process.env }).toEqual(before);
  });

  it('isolate: false reports a load failure as 502 on every request', async () => {
    const { get, log } = await start({ handler: `${fixture('exports.mjs')}#nope`, isolate: false });
    expect((await get('/')).status).toBe(502);
    expect((await get('/')).status).toBe(502);
    const errors = entries(log, 'HANDLER_ERROR');
    expect(errors).toHaveLength(2);
    expect(errors[1].message).toContain('LAMBDA_BRIDGE_HANDLER_NOT_FOUND');
    expect(listsExports(errors[1].message)).toBe(true);
  });
});

describe('serve(): watch', () => {
  function watchedCopy(name = 'versioned.mjs'): {
    dir: string;
    file: string;
    edit(from: string, to: string): void;
  } {
    const dir = tempDir();
    const file = join(dir, name);
    copyFileSync(fixture(name), file);
    return {
      dir,
      file,
      edit: (from, to) => writeFileSync(file, readFileSync(file, 'utf8').replace(from, to)),
    };
  }

  it('reloads after an edit; a request in flight during the edit finishes on the old code', async () => {
    const copy = watchedCopy();
    const { json, log } = await start({ handler: copy.file, watch: true, timeout: 10_000 });
    expect(await json('/')).toEqual({ version: 'first', count: 1 });

    const held = json<{ version: string; count: number }>('/held');
    await waitFor('the held invocation to start', () => entries(log, 'START').length === 2);
    copy.edit("const version = 'first'", "const version = 'second'");
    const reload = await waitFor('the reload', () => entries(log, 'RELOAD')[0]);
    expect(reload.message).toBe('reloading: versioned.mjs changed');
    writeFileSync(join(copy.dir, '.release'), '');
    expect(await held).toEqual({ version: 'first', count: 2 });

    expect(await json('/')).toEqual({ version: 'second', count: 1 });
    expect(new Set(messages(entries(log, 'RELOAD')).split('\n'))).toEqual(new Set([reload.message]));
  });

  it('reloads an idle environment at once', async () => {
    const copy = watchedCopy();
    const { json, log } = await start({ handler: copy.file, watch: true });
    expect(await json('/')).toEqual({ version: 'first', count: 1 });
    copy.edit("const version = 'first'", "const version = 'third'");
    await waitFor('the reload', () => entries(log, 'RELOAD').length > 0);
    expect(await json('/')).toEqual({ version: 'third', count: 1 });
    expect(await json('/')).toEqual({ version: 'third', count: 2 });
  });

  it('watches subfolders, new ones too, but not node_modules or dot-folders', async () => {
    const copy = watchedCopy();
    for (const folder of ['lib', 'node_modules/dep', '.cache'])
      mkdirSync(join(copy.dir, folder), { recursive: true });
    writeFileSync(join(copy.dir, 'node_modules/dep/index.js'), 'module.exports = 1;\n');
    writeFileSync(join(copy.dir, '.cache/state'), '1');
    writeFileSync(join(copy.dir, 'lib/helper.mjs'), 'export const helper = 1;\n');
    const watchers = () => process.getActiveResourcesInfo().filter((name) => name === 'FSEventWrap').length;
    const before = watchers();
    const { log } = await start({ handler: copy.file, watch: true });
    // One watcher for the handler's folder and one for lib/; none for the files or the rest.
    expect(watchers() - before).toBe(2);
    const reloads = () => entries(log, 'RELOAD').map((entry) => entry.message);

    writeFileSync(join(copy.dir, 'node_modules/dep/index.js'), 'module.exports = 2;\n');
    writeFileSync(join(copy.dir, 'node_modules/dep/new.js'), 'module.exports = 3;\n');
    writeFileSync(join(copy.dir, '.cache/state'), '2');
    writeFileSync(join(copy.dir, '.env.local'), 'A=1\n');
    // Long enough for a reload of those edits to be logged, were there one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(join(copy.dir, 'lib/helper.mjs'), 'export const helper = 2;\n');
    const helper = `reloading: ${join('lib', 'helper.mjs')} changed`;
    await waitFor('the reload for lib/helper.mjs', () => reloads().length > 0);
    expect(new Set(reloads())).toEqual(new Set([helper]));

    mkdirSync(join(copy.dir, 'routes'));
    await waitFor('the reload for the new folder', () => reloads().includes('reloading: routes changed'));
    writeFileSync(join(copy.dir, 'routes/orders.mjs'), 'export const orders = [];\n');
    const orders = `reloading: ${join('routes', 'orders.mjs')} changed`;
    await waitFor('the reload for routes/orders.mjs', () => reloads().includes(orders));
  });

  it('reloads the handler in this process with isolate: false', async () => {
    const copy = watchedCopy();
    const { json, log } = await start({ handler: copy.file, watch: true, isolate: false });
    expect(await json('/')).toEqual({ version: 'first', count: 1 });
    copy.edit("const version = 'first'", "const version = 'fourth'");
    await waitFor('the reload', () => entries(log, 'RELOAD').length > 0);
    expect(await json('/')).toEqual({ version: 'fourth', count: 1 });
  });

  it.each([true, false])('reloads a CommonJS handler (isolate: %s)', async (isolate) => {
    const copy = watchedCopy('versioned.cjs');
    const { json, log } = await start({ handler: copy.file, watch: true, isolate });
    expect(await json('/')).toEqual({ version: 'first', count: 1 });
    expect(await json('/')).toEqual({ version: 'first', count: 2 });
    copy.edit("const version = 'first'", "const version = 'fifth'");
    await waitFor('the reload', () => entries(log, 'RELOAD').length > 0);
    expect(await json('/')).toEqual({ version: 'fifth', count: 1 });
  });
});

describe('serve(): listening and closing', () => {
  it('a port in use rejects with LAMBDA_BRIDGE_PORT_IN_USE, naming --port', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const error = await serve({ handler: fixture('handler.mjs'), port, log: () => {} }).then(
        () => undefined,
        (reason: unknown) => reason as { code: string; message: string },
      );
      expect(error?.code).toBe('LAMBDA_BRIDGE_PORT_IN_USE');
      expect(error?.message).toContain(`Port ${port}`);
      expect(error?.message).toContain('--port');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('reports its url and port on 127.0.0.1', async () => {
    const { server } = await start({ handler: fixture('handler.mjs') });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('close() lets a request in flight finish, then stops accepting', async () => {
    const { server, json, log, get } = await start({ handler: fixture('handler.mjs') });
    const inFlight = json('/sleep');
    await waitFor('the invocation to start', () => entries(log, 'START').length === 1);
    const closed = server.close();
    expect((await inFlight).count).toBe(1);
    await closed;
    await expect(get('/after')).rejects.toThrow();
    expect(server.close()).toBe(closed);
  });

  it('close() leaves no environment process behind, after timeouts and crashes too', async () => {
    const { server, get, json } = await start({ handler: fixture('handler.mjs'), timeout: 500 });
    const [, rejected, hung] = await Promise.all([json('/a'), get('/reject'), get('/hang'), json('/b')]);
    expect([rejected.status, hung.status]).toEqual([502, 502]);
    expect(workerResources()).toBeGreaterThan(baseline);
    await server.close();
    expect(workerResources()).toBeLessThanOrEqual(baseline);
  });
});
