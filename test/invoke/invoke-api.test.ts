import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, serve } from '../../adapters/serve.js';
import type { LogEntry } from '../../lib/log.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: DevServer;
let client: LambdaClient;
const log: LogEntry[] = [];
const folder = mkdtempSync(join(tmpdir(), 'lb-invoke-'));

beforeAll(async () => {
  server = await serve({
    handler: join(FIXTURES, 'api.mjs'),
    port: 0,
    invokePort: 0,
    functions: {
      worker: { handler: `${join(FIXTURES, 'worker.mjs')}#run`, memorySize: 256 },
      streamer: join(FIXTURES, 'streamer.mjs'),
    },
    eventRetries: 1,
    log: (entry) => log.push(entry),
  });
  // Any credentials work: the Invoke API does not check signatures.
  client = new LambdaClient({
    endpoint: server.invokeUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
});

const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const json = (bytes: Uint8Array | undefined) => JSON.parse(text(bytes));

async function waitFor(check: () => boolean, what: string, limit = 15_000): Promise<void> {
  const until = Date.now() + limit;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A raw request to the Invoke API: status, headers and body. */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.invokeUrl}${path}`,
      { method: options.method ?? 'POST', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('Invoke through @aws-sdk/client-lambda', () => {
  it('serves the URL on its own port', () => {
    expect(server.invokeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.invokeUrl).not.toBe(server.url);
    expect(server.functionName).toBe('api');
  });

  it('RequestResponse: 200, the payload, ExecutedVersion $LATEST', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'api', Payload: JSON.stringify({ a: 1 }) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(out.FunctionError).toBeUndefined();
    const body = json(out.Payload);
    expect(body.event).toEqual({ a: 1 });
    expect(body.functionName).toBe('api');
    expect(body.envName).toBe('api');
    // The SDKs inside the functions are pointed at this Invoke API.
    expect(body.endpoint).toBe(server.invokeUrl);
    // The response's request id is the invocation's.
    expect(body.awsRequestId).toBe(out.$metadata.requestId);
    expect(body.awsRequestId).toMatch(UUID);
  });

  it('an empty payload invokes with {}', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'api' }));
    expect(json(out.Payload).event).toEqual({});
  });

  it('a throwing handler: 200 with FunctionError Unhandled and the error payload', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'api', Payload: '{"throw":"no stock"}' }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const error = json(out.Payload);
    expect(error.errorType).toBe('TypeError');
    expect(error.errorMessage).toBe('no stock');
    expect(error.trace[0]).toBe('TypeError: no stock');
    expect(log.some((entry) => entry.code === 'FUNCTION_ERROR' && entry.message.includes('no stock'))).toBe(
      true,
    );
  });

  it('Event: 202 before the handler finishes; the handler still runs to completion', async () => {
    const record = join(folder, 'event.txt');
    const started = Date.now();
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'worker',
        InvocationType: 'Event',
        Payload: JSON.stringify({ sleep: 1000, record }),
      }),
    );
    const elapsed = Date.now() - started;
    expect(out.StatusCode).toBe(202);
    expect(text(out.Payload)).toBe('');
    expect(existsSync(record)).toBe(false);
    expect(elapsed).toBeLessThan(1000);
    await waitFor(() => existsSync(record), 'the Event invocation to finish');
    expect(readFileSync(record, 'utf8').trim()).toBe(out.$metadata.requestId);
  });

  it('a failed Event invocation is logged and run again with the same request id (eventRetries)', async () => {
    const record = join(folder, 'failed.txt');
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'worker',
        InvocationType: 'Event',
        Payload: JSON.stringify({ record, fail: 'boom' }),
      }),
    );
    const id = out.$metadata.requestId;
    await waitFor(
      () => log.filter((entry) => entry.code === 'EVENT_FAILED' && entry.requestId === id).length === 2,
      'two EVENT_FAILED lines',
    );
    const failures = log.filter((entry) => entry.code === 'EVENT_FAILED' && entry.requestId === id);
    expect(failures[0].message).toMatch(
      /^\[worker\] the Event invocation failed: Error: boom; running it again/,
    );
    expect(failures[1].message).toContain('no retries left');
    expect(readFileSync(record, 'utf8').trim().split('\n')).toEqual([id, id]);
  });

  it('DryRun: 204 for a function that exists, ResourceNotFoundException otherwise', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'worker', InvocationType: 'DryRun' }));
    expect(out.StatusCode).toBe(204);
    await expect(
      client.send(new InvokeCommand({ FunctionName: 'ghost', InvocationType: 'DryRun' })),
    ).rejects.toThrow(ResourceNotFoundException);
  });

  it("LogType Tail: the log's START, the handler's output, END and REPORT with the request id", async () => {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'api',
        LogType: 'Tail',
        Payload: JSON.stringify({ log: 'tail-marker-7' }),
      }),
    );
    const id = out.$metadata.requestId as string;
    const lines = Buffer.from(out.LogResult as string, 'base64')
      .toString()
      .trimEnd()
      .split('\n');
    expect(lines[0]).toBe(`START RequestId: ${id} Version: $LATEST`);
    expect(lines).toContain('tail-marker-7');
    expect(lines.at(-2)).toBe(`END RequestId: ${id}`);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^REPORT RequestId: ${id}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms`),
    );
  });

  it('Tail keeps the last 4 KB of the log', async () => {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'api',
        LogType: 'Tail',
        Payload: JSON.stringify({ log: 'y'.repeat(5000) }),
      }),
    );
    const tail = Buffer.from(out.LogResult as string, 'base64');
    expect(tail.length).toBe(4096);
    expect(tail.toString()).toMatch(/^y+\nEND RequestId: /);
  });

  it('ClientContext reaches context.clientContext', async () => {
    const clientContext = { custom: { tenant: 'acme' }, env: { locale: 'en-GB' } };
    const out = await client.send(
      new InvokeCommand({
        FunctionName: 'api',
        ClientContext: Buffer.from(JSON.stringify(clientContext)).toString('base64'),
      }),
    );
    expect(json(out.Payload).clientContext).toEqual(clientContext);
  });

  it('an unknown function: ResourceNotFoundException (404) naming its ARN', async () => {
    const error = await client.send(new InvokeCommand({ FunctionName: 'ghost' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect((error as Error).message).toBe(
      'Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost',
    );
  });

  it('a second function from "functions": its own name, memory size and variables', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'worker', Payload: '{"job":1}' }));
    expect(json(out.Payload)).toEqual({
      worker: true,
      functionName: 'worker',
      memory: '256',
      event: { job: 1 },
    });
    expect(log.some((entry) => entry.code === 'REPORT' && entry.message.startsWith('[worker] REPORT'))).toBe(
      true,
    );
  });

  it('ARNs, partial ARNs and qualifiers name the function', async () => {
    for (const FunctionName of [
      'arn:aws:lambda:us-east-1:123456789012:function:worker',
      'arn:aws:lambda:us-east-1:123456789012:function:worker:$LATEST',
      '123456789012:function:worker',
      'worker:live',
    ]) {
      const out = await client.send(new InvokeCommand({ FunctionName, Payload: '{}' }));
      expect(json(out.Payload).functionName, FunctionName).toBe('worker');
    }
    const out = await client.send(new InvokeCommand({ FunctionName: 'worker', Qualifier: '$LATEST' }));
    expect(out.ExecutedVersion).toBe('$LATEST');
    await expect(
      client.send(new InvokeCommand({ FunctionName: 'worker:1', Qualifier: '2' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('a payload that is not JSON: InvalidRequestContentException (400)', async () => {
    await expect(
      client.send(new InvokeCommand({ FunctionName: 'api', Payload: '{"a":' })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('payloads over 6 MB (sync) and 1 MB (Event): RequestEntityTooLargeException (413)', async () => {
    const big = JSON.stringify({ s: 'x'.repeat(6 * 1024 * 1024) });
    await expect(client.send(new InvokeCommand({ FunctionName: 'api', Payload: big }))).rejects.toMatchObject(
      {
        name: 'RequestEntityTooLargeException',
        message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
        $metadata: { httpStatusCode: 413 },
      },
    );
    const event = JSON.stringify({ s: 'x'.repeat(1024 * 1024) });
    await expect(
      client.send(new InvokeCommand({ FunctionName: 'api', InvocationType: 'Event', Payload: event })),
    ).rejects.toMatchObject({
      name: 'RequestEntityTooLargeException',
      message: `${event.length} byte payload is too large for the Event invocation type (limit 1048576 bytes)`,
    });
    // Under the Event limit, the same size is fine synchronously.
    const out = await client.send(new InvokeCommand({ FunctionName: 'api', Payload: event }));
    expect(json(out.Payload).event.s.length).toBe(1024 * 1024);
  });

  it('a result over 6 MB: the function error Lambda gives', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'api', Payload: JSON.stringify({ big: 6291556 }) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(json(out.Payload)).toEqual({
      errorMessage:
        'Response payload size (6291558 bytes) exceeded maximum allowed payload size (6291556 bytes).',
      errorType: 'Function.ResponseSizeTooLarge',
    });
  });

  it('InvokeWithResponseStream: PayloadChunk events, then InvokeComplete', async () => {
    const out = await client.send(
      new InvokeWithResponseStreamCommand({ FunctionName: 'worker', Payload: '{"n":1}', LogType: 'Tail' }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe('$LATEST');
    const events: Array<Record<string, unknown>> = [];
    for await (const event of out.EventStream ?? []) events.push(event as unknown as Record<string, unknown>);
    const chunks = events.filter((event) => event.PayloadChunk);
    expect(chunks.length).toBeGreaterThan(0);
    const payload = Buffer.concat(
      chunks.map((event) => Buffer.from((event.PayloadChunk as { Payload: Uint8Array }).Payload)),
    );
    expect(JSON.parse(payload.toString()).event).toEqual({ n: 1 });
    const last = events.at(-1) as { InvokeComplete?: { ErrorCode?: string; LogResult?: string } };
    expect(last.InvokeComplete).toBeDefined();
    expect(last.InvokeComplete?.ErrorCode).toBeUndefined();
    expect(Buffer.from(last.InvokeComplete?.LogResult ?? '', 'base64').toString()).toMatch(
      /^START RequestId: /,
    );
  });

  it('InvokeWithResponseStream of a failing handler: InvokeComplete with ErrorCode and ErrorDetails', async () => {
    const out = await client.send(
      new InvokeWithResponseStreamCommand({ FunctionName: 'worker', Payload: '{"fail":"stream-fail"}' }),
    );
    const events: Array<Record<string, unknown>> = [];
    for await (const event of out.EventStream ?? []) events.push(event as unknown as Record<string, unknown>);
    expect(events).toHaveLength(1);
    const complete = events[0].InvokeComplete as { ErrorCode: string; ErrorDetails: string };
    expect(complete.ErrorCode).toBe('Error');
    expect(JSON.parse(complete.ErrorDetails)).toMatchObject({
      errorType: 'Error',
      errorMessage: 'stream-fail',
    });
  });
});

describe('a streaming handler (streamifyResponse)', () => {
  async function events(payload: unknown): Promise<string[]> {
    const out = await client.send(
      new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', Payload: JSON.stringify(payload) }),
    );
    expect(out.StatusCode).toBe(200);
    const seen: string[] = [];
    for await (const event of out.EventStream ?? []) {
      if (event.PayloadChunk) seen.push(`chunk:${text(event.PayloadChunk.Payload)}`);
      if (event.InvokeComplete) {
        const { ErrorCode, ErrorDetails } = event.InvokeComplete;
        seen.push(
          ErrorCode === undefined
            ? 'complete'
            : `complete:${ErrorCode}:${JSON.parse(ErrorDetails ?? '{}').errorMessage}`,
        );
      }
    }
    return seen;
  }

  it('InvokeWithResponseStream: a PayloadChunk per write, as the handler writes, then InvokeComplete', async () => {
    expect(await events({ parts: ['one ', 'two ', 'three'] })).toEqual([
      'chunk:one ',
      'chunk:two ',
      'chunk:three',
      'complete',
    ]);
  });

  it('a streaming handler that fails: what it wrote, then InvokeComplete with ErrorCode and ErrorDetails', async () => {
    expect(await events({ fail: 'mid-stream' })).toEqual(['chunk:partial', 'complete:Error:mid-stream']);
  });

  it('Invoke: the bytes it wrote, whole, as the payload', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'streamer', Payload: '{"parts":["a","b"]}' }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(text(out.Payload)).toBe('ab');
  });
});

describe('the Invoke API over raw HTTP', () => {
  it('an unknown route: 404 UnknownOperationException', async () => {
    const res = await raw('/2015-03-31/functions', { method: 'GET' });
    expect(res.status).toBe(404);
    expect(res.headers['x-amzn-errortype']).toBe('UnknownOperationException');
    expect(JSON.parse(res.body).Type).toBe('User');
  });

  it('a declared body over the limit is answered 413 before it is read', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.invokeUrl}/2015-03-31/functions/api/invocations`, {
        method: 'POST',
        headers: { 'content-length': 50 * 1024 * 1024 },
      });
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
      req.on('error', reject);
      // A small part of the declared body: the answer comes without the rest.
      req.write(Buffer.alloc(1024, 0x20));
    });
    expect(answer).toBe(413);
  });

  it('a client context that is not Base64 JSON: 400 InvalidRequestContentException', async () => {
    const res = await raw('/2015-03-31/functions/api/invocations', {
      headers: { 'x-amz-client-context': Buffer.from('[1,2]').toString('base64') },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(res.headers['x-amzn-errortype']).toBe('InvalidRequestContentException');
  });

  it('a client that goes away during InvokeWithResponseStream: the function runs on to its end, not into its timeout', async () => {
    const parts = Array.from({ length: 20 }, (_, i) => `part ${i} `);
    const requestId = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${server.invokeUrl}/2021-11-15/functions/streamer/response-streaming-invocations`,
        {
          method: 'POST',
        },
      );
      req.on('response', (res) => {
        res.once('data', () => {
          resolve(String(res.headers['x-amzn-requestid']));
          req.destroy();
        });
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ parts }));
      setTimeout(() => reject(new Error('no first chunk')), 10_000);
    });
    const report = () =>
      log.find(
        (entry) => entry.code === 'REPORT' && entry.message.includes(`REPORT RequestId: ${requestId}`),
      );
    await waitFor(() => report() !== undefined, 'the REPORT line');
    const duration = Number(/Duration: ([\d.]+) ms/.exec(report()?.message ?? '')?.[1]);
    // 20 writes 30 ms apart: well under the 3 s timeout the stuck stream ran into.
    expect(duration).toBeLessThan(2500);
    expect(log.some((entry) => entry.requestId === requestId && /timed out/.test(entry.message))).toBe(false);
  });

  it('a request whose body is cut short is logged as not answered, with no status', async () => {
    const marker = `/2015-03-31/functions/worker/invocations?cut=${Date.now()}`;
    await new Promise<void>((resolve) => {
      const req = request(`${server.invokeUrl}${marker}`, {
        method: 'POST',
        headers: { 'content-length': 100 },
      });
      req.on('error', () => resolve());
      req.write('{"a":');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    await waitFor(
      () => log.some((entry) => entry.code === 'INVOKE' && entry.path === marker),
      'the INVOKE line',
    );
    const line = log.find((entry) => entry.code === 'INVOKE' && entry.path === marker);
    expect(line?.message).toContain('not answered: the client went away');
    expect(line?.status).toBeUndefined();
  });

  it('an invocation type Lambda does not know: 400 ValidationException', async () => {
    const res = await raw('/2015-03-31/functions/api/invocations', {
      headers: { 'x-amz-invocation-type': 'Later' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(res.headers['x-amzn-errortype']).toBe('ValidationException');
  });
});
