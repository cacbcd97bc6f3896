import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { functionUrlEvent } from '../fixtures/apigw-v2-event.js';

const require = createRequire(import.meta.url);
const ric = require.resolve('aws-lambda-ric');
const lambdaModule = pathToFileURL(new URL('../../adapters/lambda.ts', import.meta.url).pathname).href;
const expressModule = pathToFileURL(require.resolve('express')).href;

interface Posted {
  headers: http.IncomingHttpHeaders;
  /** Each chunk with the milliseconds since the invocation was handed out. */
  chunks: [Buffer, number][];
  trailers: NodeJS.Dict<string>;
}

/**
 * A Runtime API on 127.0.0.1 that hands out one invocation and records the streamed response
 * the runtime posts back.
 */
function runtimeApi(event: unknown) {
  let handedOut = 0;
  let resolvePosted: (posted: Posted) => void = () => {};
  const posted = new Promise<Posted>((r) => {
    resolvePosted = r;
  });
  const errors: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url.endsWith('/invocation/next')) {
      if (handedOut++ > 0) return; // the runtime waits here for the next invocation
      handedAt = performance.now();
      res.writeHead(200, {
        'content-type': 'application/json',
        'lambda-runtime-aws-request-id': 'req-1',
        'lambda-runtime-deadline-ms': String(Date.now() + 30_000),
        'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:f',
        'lambda-runtime-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1',
      });
      return res.end(JSON.stringify(event));
    }
    if (url.includes('/invocation/req-1/response')) {
      const chunks: [Buffer, number][] = [];
      req.on('data', (chunk: Buffer) => chunks.push([chunk, performance.now() - handedAt]));
      req.on('end', () => {
        res.writeHead(202).end('{"status":"OK"}');
        resolvePosted({ headers: req.headers, chunks, trailers: req.trailers });
      });
      return;
    }
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      errors.push(`${url} ${body}`);
      res.writeHead(202).end('{"status":"OK"}');
    });
  });
  let handedAt = 0;
  return { server, posted, errors };
}

const children: ChildProcess[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((r) => {
          s.closeAllConnections();
          s.close(r);
        }),
    ),
  );
});

async function runUnderRic(handlerSource: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lb-ric-'));
  writeFileSync(join(dir, 'handler.mjs'), handlerSource);
  const api = runtimeApi({ ...functionUrlEvent, rawPath: '/ab' });
  servers.push(api.server);
  await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', r));
  const port = (api.server.address() as AddressInfo).port;
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', ric], {
    env: {
      ...process.env,
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      _HANDLER: 'handler.handler',
      LAMBDA_TASK_ROOT: dir,
      AWS_LAMBDA_FUNCTION_NAME: 'f',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/f',
      AWS_LAMBDA_LOG_STREAM_NAME: 'stream',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout?.on('data', (c) => {
    output += c;
  });
  child.stderr?.on('data', (c) => {
    output += c;
  });
  const posted = await Promise.race([
    api.posted,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`no response posted; runtime output:\n${output}\n${api.errors.join('\n')}`)),
        15_000,
      ),
    ),
  ]);
  return { posted, output };
}

const abHandler = `
import express from ${JSON.stringify(expressModule)};
import { toLambda } from ${JSON.stringify(lambdaModule)};
const app = express();
app.get('/ab', (req, res) => {
  res.cookie('a', '1');
  res.cookie('b', '2');
  res.type('text/plain');
  res.write('a');
  setTimeout(() => res.end('b'), 300);
});
export const handler = toLambda(app, { streaming: true });
`;

function split(posted: Posted) {
  const all = Buffer.concat(posted.chunks.map(([c]) => c));
  const at = all.indexOf(Buffer.alloc(8));
  return { prelude: JSON.parse(all.subarray(0, at).toString()), body: all.subarray(at + 8), all, at };
}

describe('the forward streaming handler under aws-lambda-ric 4 and a Runtime API on 127.0.0.1', () => {
  it.each([
    ["with the runtime's awslambda global", {}],
    [
      "with the library's own marking (AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA=1)",
      { AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA: '1' },
    ],
  ])('%s: posts prelude JSON + 8 NULs + body, incrementally', async (_name, env) => {
    const { posted } = await runUnderRic(abHandler, env);
    expect(posted.headers['lambda-runtime-function-response-mode']).toBe('streaming');
    expect(posted.headers['content-type']).toBe('application/vnd.awslambda.http-integration-response');
    expect(posted.headers['transfer-encoding']).toBe('chunked');
    const { prelude, body, all, at } = split(posted);
    expect(prelude).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      cookies: ['a=1; Path=/', 'b=2; Path=/'],
    });
    expect([...all.subarray(at, at + 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(body.toString()).toBe('ab');
    // 'a' reached the Runtime API while the app was still waiting to write 'b'.
    const a = posted.chunks.find(([c]) => c.toString().endsWith('a'));
    const b = posted.chunks.find(([c]) => c.toString() === 'b');
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect((b?.[1] ?? 0) - (a?.[1] ?? 0)).toBeGreaterThanOrEqual(250);
    expect(posted.trailers['lambda-runtime-function-error-type']).toBeUndefined();
  });

  it('an app error after the first byte ends the stream with the error trailers', async () => {
    const { posted } = await runUnderRic(`
import { toLambda } from ${JSON.stringify(lambdaModule)};
export const handler = toLambda((req, res) => {
  res.write('part');
  return new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 20));
}, { streaming: true, log: () => {} });
`);
    const { body } = split(posted);
    expect(body.toString()).toBe('part');
    expect(posted.trailers['lambda-runtime-function-error-type']).toBe('StreamAbortedError');
    const error = JSON.parse(
      Buffer.from(posted.trailers['lambda-runtime-function-error-body'] ?? '', 'base64').toString(),
    );
    expect(error.errorMessage).toContain('late');
  });
});
