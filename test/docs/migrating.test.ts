import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configure as serverlessExpress } from '@codegenie/serverless-express';
import type { ALBResult, APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import express from 'express';
import serverless from 'serverless-http';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type AppSource, toLambda } from '../../adapters/lambda.js';
import { createAlbEvent, createApiGatewayEvent } from '../../lib/events.js';
import { createContext } from '../../lib/invoke/context.js';
import { png } from '../fixtures/png.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GUIDE = readFileSync(join(ROOT, 'docs', 'migrating.md'), 'utf8');
const require = createRequire(import.meta.url);

type Handler = (event: unknown, context?: Context) => Promise<ALBResult>;

/** The keys of a TypeScript type or interface body named `name` in a declaration file. */
function declaredKeys(file: string, name: string): string[] {
  const text = readFileSync(require.resolve(file), 'utf8');
  const start = text.search(new RegExp(`(interface|type) ${name}\\b[^{]*\\{`));
  expect(start, `${name} in ${file}`).toBeGreaterThanOrEqual(0);
  const body = text.slice(text.indexOf('{', start) + 1, text.indexOf('}', start));
  return [...body.matchAll(/^\s*(\w+)\??:/gm)].map((m) => m[1]);
}

describe('docs/migrating.md', () => {
  it('is linked from the README', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('(docs/migrating.md)');
  });

  it.each([
    ['serverless-http', 'serverless-http/serverless-http.d.ts', 'Options', ''],
    [
      '@codegenie/serverless-express 5',
      '@codegenie/serverless-express/src/configure.d.ts',
      'ConfigureParams',
      '',
    ],
    [
      '@codegenie/serverless-express 5',
      '@codegenie/serverless-express/src/configure.d.ts',
      'BinarySettings',
      'binarySettings.',
    ],
    ['@codegenie/serverless-express 4.17', 'codegenie4/src/configure.d.ts', 'ConfigureParams', ''],
    [
      '@codegenie/serverless-express 4.17',
      'codegenie4/src/configure.d.ts',
      'BinarySettings',
      'binarySettings.',
    ],
  ])('maps every option %s declares (%s, %s)', (_name, file, type, prefix) => {
    const keys = declaredKeys(file, type);
    expect(keys.length).toBeGreaterThan(1);
    for (const key of keys) expect(GUIDE, `${prefix}${key}`).toMatch(new RegExp(`\`${prefix}${key}\\b`));
  });
});

// Each runnable sample in the guide starts with a `// name.mjs` line; it is written out with
// 'lambda-bridge' pointing at this checkout and imported as a module.
const samples = new Map<string, string>();
for (const [, code] of GUIDE.matchAll(/```js\n([\s\S]*?)```/g)) {
  const name = /^\/\/ ([\w-]+\.mjs)\n/.exec(code)?.[1];
  if (name) samples.set(name, code);
}
const folder = mkdtempSync(join(ROOT, 'test', 'docs', '.samples-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function sample(name: string): Promise<{ handler: Handler }> {
  const code = samples.get(name);
  if (code === undefined) throw new Error(`docs/migrating.md has no sample ${name}`);
  const file = join(folder, name);
  writeFileSync(file, code.replaceAll("'lambda-bridge'", JSON.stringify(join(ROOT, 'index.ts'))));
  return import(pathToFileURL(file).href);
}

const restEvent = (url: string, extra: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent => ({
  ...createApiGatewayEvent({ url }, { format: 'apigw-v1' }),
  ...extra,
});

describe('the samples in docs/migrating.md run as written', () => {
  it('holds the five samples', () => {
    expect([...samples.keys()].sort()).toEqual([
      'app-errors.mjs',
      'handler.mjs',
      'hooks.mjs',
      'other-events.mjs',
      'request-id.mjs',
    ]);
  });

  it('handler.mjs answers ALB and API Gateway events', async () => {
    const { handler } = await sample('handler.mjs');
    const alb = (await handler(createAlbEvent({ url: '/hello?name=ann' }))) as ALBResult;
    expect(JSON.parse(alb.body ?? '')).toEqual({ hello: 'ann' });
    const rest = (await handler(restEvent('/hello'))) as APIGatewayProxyResult;
    expect(JSON.parse(rest.body)).toEqual({ hello: 'world' });
  });

  it("request-id.mjs: API Gateway's request id, the client's own, or the Lambda request id", async () => {
    const { handler } = await sample('request-id.mjs');
    const event = restEvent('/id');
    const fromGateway = await handler(event, createContext());
    expect(JSON.parse(String(fromGateway.body))).toEqual({ id: event.requestContext.requestId });
    const sent = restEvent('/id', {
      headers: { 'x-request-id': 'client-1' },
      multiValueHeaders: { 'x-request-id': ['client-1'] },
    });
    expect(JSON.parse(String((await handler(sent)).body))).toEqual({ id: 'client-1' });
    const context = createContext();
    const alb = await handler(createAlbEvent({ url: '/id' }), context);
    expect(JSON.parse(String(alb.body))).toEqual({ id: context.awsRequestId });
  });

  it('hooks.mjs: the request hook reaches the app and the response hook the result', async () => {
    const { handler } = await sample('hooks.mjs');
    const rest = (await handler(restEvent('/stage'))) as APIGatewayProxyResult;
    expect(JSON.parse(rest.body)).toEqual({ stage: 'prod' });
    expect(rest.multiValueHeaders?.['x-served-by']).toEqual(['lambda']);
    const alb = (await handler(createAlbEvent({ url: '/stage' }))) as ALBResult;
    expect(alb.headers?.['x-served-by']).toBe('lambda');
    expect(JSON.parse(alb.body ?? '')).toEqual({});
  });

  it('other-events.mjs: records go to their own function, requests to the app', async () => {
    const { handler } = await sample('other-events.mjs');
    expect(await handler({ Records: [{ eventSource: 'aws:sqs', body: '{}' }] })).toEqual({
      batchItemFailures: [],
      count: 1,
    });
    expect((await handler(createAlbEvent({ url: '/' }))).body).toBe('hello');
  });

  it('app-errors.mjs: an app error is answered 500, logged with its code and counted as a metric', async () => {
    const { handler } = await sample('app-errors.mjs');
    const out: string[] = [];
    const err: string[] = [];
    const stdout = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk) => out.push(String(chunk)) > 0);
    const stderr = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk) => err.push(String(chunk)) > 0);
    try {
      const result = await handler(createAlbEvent({ url: '/' }), createContext());
      expect(result.statusCode).toBe(500);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^lambda-bridge APP_ERROR: answered 500: .*boom/);
    expect(out).toHaveLength(1);
    const metric = JSON.parse(out[0]);
    expect(metric.AppErrors).toBe(1);
    expect(metric._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'AppErrors', Unit: 'Count' }]);
  });

  it('the default warning line is what the metric filter pattern matches', async () => {
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    try {
      const handler = toLambda((_req, _res) => {
        throw new Error('boom');
      });
      expect((await handler(createAlbEvent())).statusCode).toBe(500);
    } finally {
      spy.mockRestore();
    }
    const pattern = /--filter-pattern '"([^"]+)"'/.exec(GUIDE)?.[1];
    expect(pattern).toBe('lambda-bridge APP_ERROR');
    expect(err).toHaveLength(1);
    expect(err[0].startsWith(`${pattern}: `)).toBe(true);
  });
});

// The rows of "Behaviour that differs", held against the peers themselves.
const quiet = { info() {}, debug() {}, error() {}, warn() {}, verbose() {} };
const peers = {
  'serverless-http': (app: AppSource) => serverless(app as never) as unknown as Handler,
  codegenie: (app: AppSource) =>
    serverlessExpress({ app: app as never, log: quiet as never }) as unknown as Handler,
  'lambda-bridge': (app: AppSource) => toLambda(app as never, { log: () => {} }) as unknown as Handler,
};
const run = (name: keyof typeof peers, app: AppSource, event: unknown) =>
  peers[name](app)(event, createContext()).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
async function resultOf(name: keyof typeof peers, app: AppSource, event: unknown): Promise<ALBResult> {
  const ran = await run(name, app, event);
  if ('error' in ran) throw ran.error;
  return ran.result;
}

describe('the differences the guide states, against serverless-http 4 and @codegenie/serverless-express 5', () => {
  it('an error thrown by a listener: serverless-http fails the invocation, the others answer 500', async () => {
    const app = () => {
      throw new Error('boom');
    };
    const event = createAlbEvent();
    expect(await run('serverless-http', app, event)).toHaveProperty('error');
    expect(await run('codegenie', app, event)).toMatchObject({ result: { statusCode: 500 } });
    expect(await run('lambda-bridge', app, event)).toMatchObject({ result: { statusCode: 500 } });
  });

  it('several cookies in an ALB single-value result: all dropped, the first, the last', async () => {
    const app = express().get('/', (_req, res) => {
      res.cookie('a', '1').cookie('b', '2').send('ok');
    });
    const event = createAlbEvent();
    const cookie = async (name: keyof typeof peers) =>
      (await resultOf(name, app, event)).headers?.['set-cookie'];
    expect(await cookie('serverless-http')).toBeUndefined();
    expect(await cookie('codegenie')).toBe('a=1; Path=/');
    expect(await cookie('lambda-bridge')).toBe('b=2; Path=/');
  });

  it('an image/png body with no configuration: text in serverless-http, base64 in the others', async () => {
    const app = express().get('/', (_req, res) => {
      res.type('png').send(png);
    });
    const event = createAlbEvent();
    const result = (name: keyof typeof peers) => resultOf(name, app, event);
    expect((await result('serverless-http')).isBase64Encoded).toBe(false);
    for (const name of ['codegenie', 'lambda-bridge'] as const) {
      const r = await result(name);
      expect(r.isBase64Encoded).toBe(true);
      expect(Buffer.from(r.body ?? '', 'base64').equals(png)).toBe(true);
    }
  });

  it('req.body before any parser: a Buffer in both peers, not set here', async () => {
    const seen: Record<string, unknown> = {};
    const make = (name: string) => (req: { body?: unknown }, res: { end(): void }) => {
      seen[name] = req.body;
      res.end();
    };
    const event = createAlbEvent({ method: 'POST', body: 'raw', headers: { 'content-type': 'text/plain' } });
    for (const name of Object.keys(peers) as (keyof typeof peers)[])
      await run(name, make(name) as AppSource, event);
    expect(Buffer.isBuffer(seen['serverless-http'])).toBe(true);
    expect(Buffer.isBuffer(seen.codegenie)).toBe(true);
    expect(seen['lambda-bridge']).toBeUndefined();
  });

  it('a hand-written event: read by serverless-http and here, refused by codegenie', async () => {
    const app = (_req: unknown, res: { end(text: string): void }) => res.end('ok');
    // serverless-http fills in the event it is given, so each gets its own.
    const event = () => ({ httpMethod: 'GET', path: '/' });
    expect(await run('serverless-http', app as AppSource, event())).toMatchObject({
      result: { statusCode: 200 },
    });
    expect(await run('codegenie', app as AppSource, event())).toHaveProperty('error');
    expect(await run('lambda-bridge', app as AppSource, event())).toMatchObject({
      result: { statusCode: 200 },
    });
  });

  it('an SQS event: a GET / for serverless-http, UnknownEventError here', async () => {
    let reached = '';
    const app = (req: { method: string; url: string }, res: { end(): void }) => {
      reached = `${req.method} ${req.url}`;
      res.end();
    };
    const event = () => ({ Records: [{ eventSource: 'aws:sqs', body: '{}' }] });
    await run('serverless-http', app as AppSource, event());
    expect(reached).toBe('GET /');
    expect(await run('lambda-bridge', app as AppSource, event())).toMatchObject({
      error: { code: 'LAMBDA_BRIDGE_UNKNOWN_EVENT' },
    });
  });

  it('the caller event: changed in place by serverless-http, unchanged here', async () => {
    const app = (_req: unknown, res: { end(): void }) => res.end();
    const original = createAlbEvent({ url: '/?q=a+b' });
    const copy = structuredClone(original);
    await run('lambda-bridge', app as AppSource, copy);
    expect(copy).toEqual(original);
    await run('serverless-http', app as AppSource, copy);
    expect(copy).not.toEqual(original);
  });
});
