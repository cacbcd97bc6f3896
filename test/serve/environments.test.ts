import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type DevServer, type ServeOptions, serve } from '../../adapters/serve.js';
import type { LogEntry } from '../../lib/log.js';

// Execution environments as processes: what a hostile or buggy handler can do to them, and
// what the server answers meanwhile.

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const HOSTILE = join(FIXTURES, 'hostile.mjs');

interface Running {
  server: DevServer;
  log: LogEntry[];
  get(path: string, init?: RequestInit): Promise<Response>;
}

const open = new Set<DevServer>();

afterEach(async () => {
  await Promise.all([...open].map((server) => server.close()));
  open.clear();
});

async function start(options: Partial<ServeOptions> = {}): Promise<Running> {
  const log: LogEntry[] = [];
  const server = await serve({ handler: HOSTILE, port: 0, ...options, log: (entry) => log.push(entry) });
  open.add(server);
  return {
    server,
    log,
    get: (path, init) => fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(30_000), ...init }),
  };
}

const reasonOf = (response: Response) => response.headers.get('x-lambda-bridge-reason') ?? '';
const codes = (log: LogEntry[], code: string) => log.filter((entry) => entry.code === code);

/** The REPORT line of the invocation answered by the n-th request line whose message starts with `prefix`. */
function reportFor(log: LogEntry[], prefix: string): string {
  const request = log.find((entry) => entry.code === 'REQUEST' && entry.message.startsWith(prefix));
  const report = log.find((entry) => entry.code === 'REPORT' && entry.requestId === request?.requestId);
  expect(report, `a REPORT line for ${prefix}`).toBeDefined();
  return report?.message ?? '';
}

const maxMemoryUsed = (report: string) => Number(/Max Memory Used: (\d+) MB/.exec(report)?.[1]);

/** Whether the process is still there. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone (a killed process lingers until it is reaped); fails after 5 s. */
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 250 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(alive(pid), `process ${pid} is still running`).toBe(false);
}

describe('serve(): memory, as Lambda limits it (one process per environment)', () => {
  it('a V8 fatal out-of-memory error ends only its environment: 502 Runtime.OutOfMemory; a concurrent request and the next one answer 200', async () => {
    const { get, log } = await start({ memorySize: 128, timeout: 20_000 });
    const [oom, concurrent] = await Promise.all([get('/heap'), get('/?ms=1500')]);
    expect(oom.status).toBe(502);
    expect(oom.headers.get('server')).toBe('awselb/2.0');
    expect(reasonOf(oom)).toContain('Runtime.OutOfMemory');
    expect(reasonOf(oom)).toContain('Runtime exited with error: signal: killed');
    expect(concurrent.status).toBe(200);
    expect(Number(await concurrent.text())).not.toBe(process.pid);
    expect((await get('/next')).status).toBe(200);
    expect(
      codes(log, 'ENVIRONMENT_REPLACED')
        .map((entry) => entry.message)
        .join('\n'),
    ).toContain('Runtime.OutOfMemory');
    expect(maxMemoryUsed(reportFor(log, 'GET /heap'))).toBeGreaterThan(100);
  });

  it('memory outside the V8 heap (Buffers) counts too: 502 Runtime.OutOfMemory long before 1.5 GB; the server answers on', async () => {
    const { get, log } = await start({ memorySize: 128, timeout: 20_000 });
    const [oom, concurrent] = await Promise.all([get('/off-heap'), get('/?ms=1500')]);
    expect(oom.status).toBe(502);
    expect(reasonOf(oom)).toMatch(
      /Runtime\.OutOfMemory: .*resident memory reached \d+ MB, over the 128 MB memory size/,
    );
    expect(concurrent.status).toBe(200);
    expect((await get('/next')).status).toBe(200);
    const used = maxMemoryUsed(reportFor(log, 'GET /off-heap'));
    // Rounded to whole MB, as the REPORT line has it: a peak just past the limit reads 128.
    expect(used).toBeGreaterThanOrEqual(128);
    expect(used).toBeLessThan(1536);
  });

  it('memory held past the limit and released before a sample is caught at the end of the invocation', async () => {
    const { get } = await start({ memorySize: 128 });
    const response = await get('/just-over');
    expect(response.status).toBe(502);
    expect(reasonOf(response)).toContain('Runtime.OutOfMemory');
    // With more memory, the same handler answers.
    const roomy = await start({ memorySize: 512 });
    expect(await (await roomy.get('/just-over')).text()).toBe('held 200 MB');
  });

  it('REPORT gives the environment peak resident memory, which grows with what the handler holds', async () => {
    const { get, log } = await start({ memorySize: 512 });
    expect((await get('/small')).status).toBe(200);
    expect((await get('/just-over')).status).toBe(200);
    const small = maxMemoryUsed(reportFor(log, 'GET /small'));
    const big = maxMemoryUsed(reportFor(log, 'GET /just-over'));
    expect(small).toBeGreaterThan(10);
    expect(small).toBeLessThan(200);
    expect(big).toBeGreaterThanOrEqual(200);
  });
});

describe('serve(): whatever ends an environment ends only that environment', () => {
  it.each([
    ['/kill?signal=SIGTERM', 'Runtime.ExitError', 'signal: terminated'],
    ['/kill?signal=SIGKILL', 'Runtime.ExitError', 'signal: killed'],
    ['/kill?signal=SIGINT', 'Runtime.ExitError', 'signal: interrupt'],
    ['/kill?signal=SIGSEGV', 'Runtime.ExitError', 'signal: segmentation fault'],
    ['/abort', 'Runtime.ExitError', 'signal: aborted'],
    ['/exit', 'Runtime.ExitError', 'Runtime exited without providing a reason'],
    ['/uncaught', 'Runtime.ExitError', 'exit status 1'],
  ])('%s: 502 with %s (%s); the server and a concurrent request carry on', async (path, type, detail) => {
    const { get, log } = await start({ timeout: 20_000 });
    const [failed, concurrent] = await Promise.all([get(path), get('/?ms=1500')]);
    expect(failed.status).toBe(502);
    expect(reasonOf(failed)).toContain(type);
    expect(reasonOf(failed)).toContain(detail);
    expect(concurrent.status).toBe(200);
    expect((await get('/next')).status).toBe(200);
    const replaced = codes(log, 'ENVIRONMENT_REPLACED').map((entry) => entry.message);
    expect(replaced.join('\n')).toContain(detail);
  });
});

describe('serve(): timeouts stop the process', () => {
  it('a handler blocked in native code (execSync) is killed at its timeout: 502 within the timeout plus a second', async () => {
    const { get, log } = await start({ timeout: 1500, concurrency: 1 });
    const pid = Number(await (await get('/warm')).text());
    const started = Date.now();
    const response = await get('/blocked');
    const elapsed = Date.now() - started;
    expect(response.status).toBe(502);
    expect(reasonOf(response)).toBe('Task timed out after 1.50 seconds');
    expect(elapsed).toBeLessThan(1500 + 1000);
    await gone(pid);
    expect(codes(log, 'TIMEOUT')).toHaveLength(1);
    // The next request gets a fresh environment.
    const next = Number(await (await get('/after')).text());
    expect(next).not.toBe(pid);
  });

  it('a handler spinning in JavaScript is killed at its timeout too', async () => {
    const { get } = await start({ timeout: 1000 });
    const response = await get('/spin');
    expect(response.status).toBe(502);
    expect(reasonOf(response)).toBe('Task timed out after 1.00 seconds');
    expect((await get('/after')).status).toBe(200);
  });
});

/** Sends a GET on its own connection; resolves with the status and body, or the error's code. */
function rawGet(url: string, path: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}${path}`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

describe('serve(): close() answers every request it accepted', () => {
  it('5: requests in flight finish; queued requests get 503 saying the server is stopping; so do requests on open connections', async () => {
    const { server, log } = await start({ concurrency: 2, timeout: 10_000 });
    const inFlight = [rawGet(server.url, '/?ms=1500'), rawGet(server.url, '/?ms=1500')];
    const starts = () => codes(log, 'START').length;
    for (let i = 0; i < 400 && starts() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const queued = Array.from({ length: 10 }, (_, i) => rawGet(server.url, `/queued-${i}`));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = server.close();
    const late = rawGet(server.url, '/late');
    const answers = await Promise.all([...inFlight, ...queued, late]);
    await closed;
    expect(answers.slice(0, 2).map((answer) => ('status' in answer ? answer.status : answer.error))).toEqual([
      200, 200,
    ]);
    for (const answer of answers.slice(2)) {
      expect(answer).toMatchObject({
        status: 503,
        body: expect.stringContaining('lambda-bridge is stopping'),
      });
    }
  });

  it('a handler blocked in native code does not hold up close() past its timeout plus a second', async () => {
    const { server, get } = await start({ timeout: 1500 });
    await get('/warm');
    const blocked = get('/blocked');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1500 + 1000);
    expect((await blocked).status).toBe(502);
  });

  it('stop() ends at once: environments are killed, the request in flight ends', async () => {
    const { server, get } = await start({ timeout: 20_000 });
    const pid = Number(await (await get('/warm')).text());
    const inFlight = get('/?ms=10000').then(
      (response) => response.status,
      () => 'closed',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.stop();
    expect(await inFlight).toBe('closed');
    await gone(pid);
  });
});

describe('serve(): request headers as an ALB takes them', () => {
  it('20: accepts 64 KB of request headers in lines of up to 16 KB, as an ALB does', async () => {
    const { server } = await start();
    const headers: Record<string, string> = {};
    for (let i = 0; i < 4; i++) headers[`x-big-${i}`] = String(i).repeat(15 * 1024);
    const response = await fetch(`${server.url}/headers`, { headers });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as Record<string, string>;
    expect(seen['x-big-3']).toBe('3'.repeat(15 * 1024));
  });

  it('20: one header over 16 KB, or all of them over 64 KB: 431 from the emulated ALB, the handler not invoked', async () => {
    const { server, log } = await start();
    const line = await fetch(`${server.url}/headers`, { headers: { 'x-big': 'a'.repeat(16 * 1024) } });
    expect(line.status).toBe(431);
    expect(line.headers.get('server')).toBe('awselb/2.0');
    expect(reasonOf(line)).toContain('16384-byte limit for one header');
    const many: Record<string, string> = {};
    for (let i = 0; i < 5; i++) many[`x-big-${i}`] = 'b'.repeat(14 * 1024);
    const total = await fetch(`${server.url}/headers`, { headers: many });
    expect(total.status).toBe(431);
    expect(reasonOf(total)).toContain('65536-byte limit for all headers');
    expect(codes(log, 'START')).toHaveLength(0);
    expect(codes(log, 'HEADERS_TOO_LARGE')).toHaveLength(2);
  });
});

describe('serve(): export names', () => {
  it.each([
    ['handler.cjs', 'constructor'],
    ['handler.cjs', 'toString'],
    ['handler.cjs', 'hasOwnProperty'],
    ['handler.mjs', 'constructor'],
    ['handler.mjs', 'toString'],
  ])(
    '24: %s#%s is not found (exports are own properties): 502 Runtime.HandlerNotFound',
    async (file, name) => {
      for (const isolate of [true, false]) {
        const { get, log } = await start({ handler: `${join(FIXTURES, file)}#${name}`, isolate });
        const response = await get('/');
        expect(response.status).toBe(502);
        expect(reasonOf(response)).toContain('Runtime.HandlerNotFound');
        expect(reasonOf(response)).toContain(`no export named "${name}"`);
        expect(codes(log, 'HANDLER_ERROR')).toHaveLength(1);
      }
    },
  );
});

describe('serve(): isolate: false', () => {
  it('14: a handler that is merely slow answers 502 at its timeout, as isolated; close() then ends promptly', async () => {
    const { server, get, log } = await start({ isolate: false, timeout: 500 });
    const started = Date.now();
    const response = await get('/?ms=5000');
    expect(response.status).toBe(502);
    expect(reasonOf(response)).toBe('Task timed out after 0.50 seconds');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(codes(log, 'TIMEOUT')).toHaveLength(1);
    const slow = get('/?ms=5000');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.close();
    expect((await slow).status).toBe(502);
  });
});
