import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, main, parseCli, USAGE, version } from '../../adapters/cli.js';
import type { DevServer } from '../../adapters/serve.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const BIN = join(ROOT, 'bin', 'lambda-bridge.mjs');
/** Fixture paths as a user types them, relative to the working directory (the repository). */
const fixture = (name: string) => relative(ROOT, join(HERE, 'fixtures', name));
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SERVING = /^lambda-bridge: serving (\S+) at http:\/\/127\.0\.0\.1:(\d+) \((.*)\)$/;

interface Reply {
  count: number;
  path: string;
  /** The process the handler ran in. */
  pid: number;
  multi: boolean;
  query: Record<string, string | string[]>;
  traceHeader: string;
  env: Record<string, string | undefined>;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `lambda-bridge` process: its output lines so far, and waits on them. */
interface Cli {
  child: ChildProcess;
  out: string[];
  err: string[];
  exited: Promise<Exit>;
  /** Resolves with the first line (from line `from` on) that matches; fails after `ms` or on exit. */
  line(stream: 'out' | 'err', pattern: RegExp, options?: { from?: number; ms?: number }): Promise<string>;
}

const children = new Set<ChildProcess>();
const temporary: string[] = [];

function launch(args: string[]): Cli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines = { out: [] as string[], err: [] as string[] };
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  for (const [name, stream] of [
    ['out', child.stdout],
    ['err', child.stderr],
  ] as const) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines[name].push(...parts);
      notify();
    });
    stream?.on('end', () => {
      if (partial !== '') lines[name].push(partial);
      partial = '';
      notify();
    });
  }
  let ended = false;
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      ended = true;
      children.delete(child);
      resolve({ code, signal });
      notify();
    });
  });
  return {
    child,
    out: lines.out,
    err: lines.err,
    exited,
    line(stream, pattern, { from = 0, ms = 15_000 } = {}) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no ${stream} line matched ${pattern} within ${ms} ms:\n${lines[stream].join('\n')}`),
          );
        }, ms);
        function check() {
          const found = lines[stream].slice(from).find((text) => pattern.test(text));
          if (found !== undefined || ended) {
            waiters.delete(check);
            clearTimeout(timer);
            if (found !== undefined) resolve(found);
            else
              reject(
                new Error(
                  `exited before an ${stream} line matched ${pattern}:\n${[...lines.out, ...lines.err].join('\n')}`,
                ),
              );
          }
        }
        waiters.add(check);
        check();
      });
    },
  };
}

/** Resolves with how a process ended; fails after `ms`. */
function ended(cli: Cli, ms = 10_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the process did not exit within ${ms} ms`)), ms);
    void cli.exited.then((exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
}

/** Runs a command that ends by itself. */
async function run(args: string[]): Promise<Exit & { out: string[]; err: string[] }> {
  const cli = launch(args);
  const exit = await ended(cli);
  return { ...exit, out: cli.out.filter(Boolean), err: cli.err.filter(Boolean) };
}

interface Served {
  cli: Cli;
  port: number;
  url: string;
  /** What the ready line says about the mode, e.g. `ALB, single-value headers, …`. */
  mode: string;
  get(path: string): Promise<Response>;
  json<T = Reply>(path: string): Promise<T>;
}

async function serveCli(args: string[]): Promise<Served> {
  const cli = launch(['serve', ...args, '--port', '0']);
  const ready = await cli.line('out', /^(\{.*"LISTENING"|lambda-bridge: serving )/);
  const url = ready.startsWith('{')
    ? (JSON.parse(ready) as { url: string }).url
    : `http://127.0.0.1:${SERVING.exec(ready)?.[2]}`;
  const port = Number(new URL(url).port);
  expect(port).toBeGreaterThan(0);
  const get = (path: string) => fetch(`${url}${path}`, { signal: AbortSignal.timeout(15_000) });
  return {
    cli,
    port,
    url,
    mode: SERVING.exec(ready)?.[3] ?? '',
    get,
    async json<T>(path: string) {
      const response = await get(path);
      expect(response.status, `${path} answered ${response.status}`).toBe(200);
      return (await response.json()) as T;
    },
  };
}

/** Whether something accepts connections on the port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(5000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** SIGTERM, as a process manager stops the server: exit code 0 and the port closed. */
async function stop(served: Served): Promise<void> {
  served.cli.child.kill('SIGTERM');
  const exit = await ended(served.cli);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(await portOpen(served.port)).toBe(false);
}

/** The per-request line for a path, and the START, END and REPORT lines of its request id. */
async function invocationLines(cli: Cli, method: string, path: string, status: number) {
  const escaped = path.replace(/[?.*+()[\]\\^$|{}]/g, '\\$&');
  const request = await cli.line(
    'out',
    new RegExp(`^${method} ${escaped} ${status} \\d+\\.\\d\\d ms ${UUID}$`),
  );
  const id = request.split(' ').at(-1) as string;
  const index = (prefix: string) => cli.out.findIndex((text) => text.startsWith(prefix) && text.includes(id));
  const start = cli.out[index('START ')];
  const report = cli.out[index('REPORT ')];
  expect(start).toBe(`START RequestId: ${id} Version: $LATEST`);
  expect(cli.out[index('END ')]).toBe(`END RequestId: ${id}`);
  expect(report).toMatch(
    new RegExp(
      `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: \\d+ MB\\tMax Memory Used: \\d+ MB`,
    ),
  );
  expect([index('START '), index('END '), index('REPORT '), cli.out.indexOf(request)]).toEqual(
    [index('START '), index('END '), index('REPORT '), cli.out.indexOf(request)].sort((a, b) => a - b),
  );
  return { id, request, report };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-bridge-cli-'));
  temporary.push(dir);
  return dir;
}

async function killAll(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(resolve, 5000);
          child.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGKILL');
        }),
    ),
  );
  children.clear();
}

beforeAll(() => {
  // The bin runs the built package; `npm test` builds first, a lone run of this file may not have.
  if (!existsSync(join(ROOT, 'dist', 'esm', 'cli.js'))) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  }
});

afterEach(async () => {
  await killAll();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

afterAll(killAll);

describe('lambda-bridge serve, as a user runs it', () => {
  it('serves a JS handler: a line per request, START/END/REPORT lines, SIGTERM exits 0', async () => {
    const served = await serveCli([fixture('handler.mjs')]);
    expect(served.cli.out[0]).toMatch(SERVING);
    expect(served.cli.out[0]).toContain(`serving ${fixture('handler.mjs')} at ${served.url}`);
    expect(served.mode).toBe('ALB, single-value headers, timeout 3 s, up to 10 environments');

    const reply = await served.json('/x?name=1');
    expect(reply).toMatchObject({ count: 1, path: '/x', query: { name: '1' } });
    expect(reply.pid).not.toBe(served.cli.child.pid);
    const first = await invocationLines(served.cli, 'GET', '/x?name=1', 200);
    expect(first.report).toMatch(/\tMemory Size: 128 MB\t/);
    expect(first.report).toMatch(/\tInit Duration: \d+\.\d\d ms$/);

    const second = await served.get('/y');
    expect(second.status).toBe(200);
    const warm = await invocationLines(served.cli, 'GET', '/y', 200);
    expect(warm.id).not.toBe(first.id);
    expect(warm.report).not.toContain('Init Duration');
    expect(served.cli.err).toEqual([]);
    await stop(served);
  });

  it('serves a TypeScript handler by its export name', async () => {
    const served = await serveCli([`${fixture('handler.ts')}#main`]);
    expect(await served.json('/ts')).toEqual({ kind: 'typescript', count: 1, path: '/ts' });
    await invocationLines(served.cli, 'GET', '/ts', 200);
    await stop(served);
  });

  it('--timeout 0.3: 502, "Task timed out after 0.30 seconds", then a fresh module', async () => {
    const served = await serveCli([fixture('handler.mjs'), '--timeout', '0.3']);
    expect(served.mode).toContain('timeout 0.3 s');
    expect((await served.json('/warm')).count).toBe(1);
    expect((await served.get('/hang')).status).toBe(502);
    await served.cli.line(
      'err',
      /^WARN answered 502: Task timed out after 0\.30 seconds \(the function timeout: raise it with --timeout <seconds>\)$/,
    );
    await invocationLines(served.cli, 'GET', '/hang', 502);

    expect((await served.json('/after')).count).toBe(1);
    const fresh = await invocationLines(served.cli, 'GET', '/after', 200);
    expect(fresh.report).toContain('Init Duration');
    await stop(served);
  });

  it('--no-freeze: a crash after the response replaces the environment; the next request is a cold start', async () => {
    const served = await serveCli([fixture('handler.mjs'), '--no-freeze']);
    expect((await served.json('/warm')).count).toBe(1);
    expect((await served.json('/crash-later')).count).toBe(2);
    await served.cli.line('out', /^environment stopped \(Runtime exited with error: exit status 1\)/);
    expect((await served.json('/next')).count).toBe(1);
    expect((await invocationLines(served.cli, 'GET', '/next', 200)).report).toContain('Init Duration');
    await stop(served);
  });

  it('a module that throws while loading: 502 on every request, the reason on stderr', async () => {
    const served = await serveCli([fixture('throws-at-import.mjs')]);
    expect((await served.get('/a')).status).toBe(502);
    expect((await served.get('/b')).status).toBe(502);
    await invocationLines(served.cli, 'GET', '/b', 502);
    const reasons = served.cli.err.filter((text) => text.startsWith('WARN answered 502'));
    expect(reasons).toHaveLength(2);
    for (const reason of reasons) {
      expect(reason).toContain('the handler failed: Error: configuration is missing at load time');
    }
    // The error's stack, on the lines that follow, names the file.
    expect(served.cli.err.some((text) => text.includes('throws-at-import.mjs:2'))).toBe(true);
    await stop(served);
  });

  it('two overlapping requests each see their own environment', async () => {
    const served = await serveCli([fixture('handler.mjs')]);
    const replies = await Promise.all([served.json('/sleep'), served.json('/sleep')]);
    expect(replies.map((reply) => reply.count)).toEqual([1, 1]);
    await stop(served);
  });

  it('--concurrency 1: overlapping requests take turns in one environment', async () => {
    const served = await serveCli([fixture('handler.mjs'), '--concurrency', '1']);
    expect(served.mode).toContain('up to 1 environments');
    const replies = await Promise.all([served.json('/sleep'), served.json('/sleep')]);
    expect(replies.map((reply) => reply.count).sort()).toEqual([1, 2]);
    await stop(served);
  });

  it('--json: every line is a JSON object', async () => {
    const served = await serveCli([fixture('handler.mjs'), '--json']);
    expect((await served.json('/j')).count).toBe(1);
    await served.cli.line('out', /"code":"REQUEST".*"message":"GET \/j 200 /);
    await stop(served);
    const entries = served.cli.out
      .filter(Boolean)
      .map((text) => JSON.parse(text) as { time: string; code: string; message: string; requestId?: string });
    expect(entries[0]).toMatchObject({ code: 'LISTENING', level: 'info', url: served.url });
    for (const entry of entries) expect(Date.parse(entry.time)).not.toBeNaN();
    const request = entries.find(
      (entry) => entry.code === 'REQUEST' && entry.message.startsWith('GET /j 200'),
    );
    expect(request?.requestId).toMatch(new RegExp(`^${UUID}$`));
    const codes = entries
      .filter((entry) => entry.requestId === request?.requestId)
      .map((entry) => entry.code);
    expect(codes).toEqual(['START', 'END', 'REPORT', 'REQUEST']);
    expect(served.cli.err).toEqual([]);
  });

  it('--env-file, --function-name, --region and --memory reach the handler', async () => {
    const served = await serveCli([
      fixture('handler.mjs'),
      '--env-file',
      fixture('test.env'),
      '--function-name',
      'orders',
      '--region',
      'eu-central-1',
      '--memory',
      '512',
    ]);
    const { env, traceHeader } = await served.json('/env');
    expect(env).toEqual({
      AWS_LAMBDA_FUNCTION_NAME: 'orders',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_REGION: 'eu-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      _HANDLER: 'handler.handler',
      LAMBDA_TASK_ROOT: join(HERE, 'fixtures'),
      TZ: 'UTC',
      _X_AMZN_TRACE_ID: traceHeader,
      FROM_ENV_FILE: 'from the file',
      SHARED_NAME: 'file value',
    });
    expect((await invocationLines(served.cli, 'GET', '/env', 200)).report).toContain(
      '\tMemory Size: 512 MB\t',
    );
    await stop(served);
  });

  it.each([
    ['versioned.mjs', []],
    ['versioned.cjs', []],
    ['versioned.cjs', ['--no-isolate']],
  ])('--watch: an edit to %s %j reloads the handler, and one line names the file', async (name, more) => {
    const dir = tempDir();
    const file = join(dir, name);
    copyFileSync(join(HERE, 'fixtures', name), file);
    const served = await serveCli([file, '--watch', ...more]);
    expect(served.mode).toContain('watching for changes');
    expect(await served.json('/')).toEqual({ version: 'first', count: 1 });
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace("const version = 'first'", "const version = 'edited'"),
    );
    await served.cli.line('out', new RegExp(`^reloading: ${name.replace('.', '\\.')} changed$`));
    expect(await served.json('/')).toEqual({ version: 'edited', count: 1 });
    const reloads = served.cli.out.filter((text) => text.startsWith('reloading:'));
    expect(new Set(reloads)).toEqual(new Set([`reloading: ${name} changed`]));
    await stop(served);
  });

  it('--multi-value: multi-value fields in the event and in the result', async () => {
    const served = await serveCli([fixture('handler.mjs'), '--multi-value']);
    expect(served.mode).toContain('multi-value headers');
    const response = await served.get('/m?a=1&a=2');
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toMatchObject({ multi: true, query: { a: ['1', '2'] } });
    await stop(served);
  });

  it('--no-isolate: the handler runs in the server process, with state shared by requests', async () => {
    const served = await serveCli([fixture('handler.mjs'), '--no-isolate']);
    expect(served.mode).toContain('not isolated');
    const replies = await Promise.all([served.json('/sleep'), served.json('/sleep')]);
    expect(replies.map((reply) => reply.count).sort()).toEqual([1, 2]);
    expect(replies.every((reply) => reply.pid === served.cli.child.pid)).toBe(true);
    expect(replies[0].env.AWS_LAMBDA_FUNCTION_NAME).toBe('handler');
    await stop(served);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s lets a request in flight finish, then exits 0',
    async (signal) => {
      const served = await serveCli([fixture('handler.mjs')]);
      const inFlight = served.json('/sleep');
      await served.cli.line('out', /^START RequestId: /);
      served.cli.child.kill(signal);
      expect((await inFlight).count).toBe(1);
      expect(await ended(served.cli)).toEqual({ code: 0, signal: null });
      await invocationLines(served.cli, 'GET', '/sleep', 200);
      expect(await portOpen(served.port)).toBe(false);
    },
  );

  it('a port in use: one line that names --port, exit code 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const result = await run(['serve', fixture('handler.mjs'), '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.out).toEqual([]);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toMatch(new RegExp(`^lambda-bridge: Port ${port} .*in use.*--port`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

/** A GET on a connection of its own; resolves once it is written, then with the answer (or the error code). */
function sendGet(url: string): { sent: Promise<void>; answer: Promise<number | string> } {
  let sent!: () => void;
  const written = new Promise<void>((resolve) => {
    sent = resolve;
  });
  const answer = new Promise<number | string>((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      sent();
      resolve(error.code ?? 'error');
    });
    req.end(() => sent());
  });
  return { sent: written, answer };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('lambda-bridge serve: stopping', () => {
  it('5: SIGTERM with 100 requests queued answers every one (in flight 200, queued 503), then exits 0', async () => {
    const served = await serveCli([fixture('hostile.mjs'), '--concurrency', '2', '--timeout', '10']);
    const inFlight = [sendGet(`${served.url}/?ms=1500`), sendGet(`${served.url}/?ms=1500`)];
    await served.cli.line('out', /^START RequestId: /);
    await served.cli.line('out', /^START RequestId: /, {
      from: served.cli.out.findIndex((l) => l.startsWith('START')) + 1,
    });
    const queued = Array.from({ length: 100 }, (_, i) => sendGet(`${served.url}/queued-${i}`));
    await Promise.all(queued.map((request) => request.sent));
    await new Promise((resolve) => setTimeout(resolve, 300));
    served.cli.child.kill('SIGTERM');
    const statuses = await Promise.all([...inFlight, ...queued].map((request) => request.answer));
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses.slice(2)).toEqual(Array(100).fill(503));
    expect(await ended(served.cli)).toEqual({ code: 0, signal: null });
    expect(await portOpen(served.port)).toBe(false);
  });

  it('a second SIGTERM exits at once (code 143), killing the environments', async () => {
    const served = await serveCli([fixture('hostile.mjs'), '--timeout', '30']);
    const pid = Number(await (await served.get('/warm')).text());
    expect(processAlive(pid)).toBe(true);
    const slow = sendGet(`${served.url}/?ms=20000`);
    await served.cli.line('out', /^START RequestId: /, {
      from: served.cli.out.findIndex((l) => l.startsWith('REPORT')) + 1,
    });
    served.cli.child.kill('SIGTERM');
    await served.cli.line('out', /^SIGTERM: stopping/);
    served.cli.child.kill('SIGTERM');
    expect(await ended(served.cli, 5000)).toEqual({ code: 143, signal: null });
    expect(await slow.answer).toMatch(/^E/);
    for (let i = 0; i < 100 && processAlive(pid); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(processAlive(pid)).toBe(false);
  });

  it('a handler blocked in native code: SIGTERM exits 0 within the timeout plus a second, the request answered 502', async () => {
    const served = await serveCli([fixture('hostile.mjs'), '--timeout', '1.5']);
    expect((await served.get('/warm')).status).toBe(200);
    const blocked = sendGet(`${served.url}/blocked`);
    await served.cli.line('out', /^START RequestId: /, {
      from: served.cli.out.findIndex((l) => l.startsWith('REPORT')) + 1,
    });
    const started = Date.now();
    served.cli.child.kill('SIGTERM');
    expect(await ended(served.cli)).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(1500 + 1000);
    expect(await blocked.answer).toBe(502);
  });

  it('14: --no-isolate: a slow handler answers 502 at its timeout; SIGTERM meanwhile exits 0 after answering', async () => {
    const served = await serveCli([fixture('hostile.mjs'), '--no-isolate', '--timeout', '0.5']);
    expect((await served.get('/?ms=5000')).status).toBe(502);
    const slow = sendGet(`${served.url}/?ms=5000`);
    await slow.sent;
    await new Promise((resolve) => setTimeout(resolve, 100));
    served.cli.child.kill('SIGTERM');
    expect(await slow.answer).toBe(502);
    expect(await ended(served.cli)).toEqual({ code: 0, signal: null });
  });
});

describe('lambda-bridge: arguments', () => {
  it.each([
    [
      'an unknown option',
      ['serve', fixture('handler.mjs'), '--bogus'],
      /^lambda-bridge: Unknown option '--bogus'/,
    ],
    [
      'a missing handler file',
      ['serve', fixture('absent.mjs')],
      /^lambda-bridge: The handler file .*absent\.mjs does not exist\.$/,
    ],
    [
      '--port abc',
      ['serve', fixture('handler.mjs'), '--port', 'abc'],
      /^lambda-bridge: --port takes .*"abc"/,
    ],
    ['no command', [], /^lambda-bridge: Missing command/],
    ['an unknown command', ['start', fixture('handler.mjs')], /^lambda-bridge: Unknown command "start"/],
    ['no handler file', ['serve'], /^lambda-bridge: Missing handler file/],
  ])('%s: one line on stderr, exit code 2', async (_name, args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(message);
  });

  it('--help prints the usage with every option, exit code 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    const text = result.out.join('\n');
    expect(text).toBe(USAGE.split('\n').filter(Boolean).join('\n'));
    for (const option of [
      '--port',
      '--host',
      '--multi-value',
      '--timeout',
      '--memory',
      '--function-name',
      '--region',
      '--runtime',
      '--env-file',
      '--watch',
      '--concurrency',
      '--max-concurrency',
      '--no-isolate',
      '--no-freeze',
      '--json',
      '--help',
      '--version',
    ]) {
      expect(text).toContain(option);
    }
  });

  it('--version prints the package version, exit code 0', async () => {
    const result = await run(['--version']);
    expect(result).toMatchObject({ code: 0, out: [PACKAGE_VERSION], err: [] });
  });
});

describe('parseCli', () => {
  it('reads a serve command with the defaults', () => {
    expect(parseCli(['serve', './handler.js'])).toEqual({
      command: 'serve',
      json: false,
      quiet: false,
      options: {
        handler: './handler.js',
        port: 3000,
        host: undefined,
        multiValueHeaders: false,
        timeout: undefined,
        memorySize: undefined,
        functionName: undefined,
        region: undefined,
        envFile: undefined,
        watch: false,
        concurrency: undefined,
        isolate: true,
        freeze: true,
        strict: true,
        streamBandwidth: false,
      },
    });
  });

  it('reads every option', () => {
    const parsed = parseCli([
      'serve',
      './src/api.ts#main',
      '--port',
      '0',
      '--host',
      '0.0.0.0',
      '--multi-value',
      '--timeout',
      '0.3',
      '--memory',
      '256',
      '--function-name',
      'orders',
      '--region',
      'eu-west-1',
      '--runtime',
      'nodejs22.x',
      '--env-file',
      '.env',
      '--watch',
      '--concurrency',
      '2',
      '--max-concurrency',
      '8',
      '--no-isolate',
      '--no-freeze',
      '--no-strict',
      '--stream-bandwidth',
      '--json',
    ]);
    expect(parsed).toEqual({
      command: 'serve',
      json: true,
      quiet: false,
      options: {
        handler: './src/api.ts#main',
        port: 0,
        host: '0.0.0.0',
        multiValueHeaders: true,
        timeout: 300,
        memorySize: 256,
        functionName: 'orders',
        region: 'eu-west-1',
        runtime: 'nodejs22.x',
        envFile: '.env',
        watch: true,
        concurrency: 2,
        maxConcurrency: 8,
        isolate: false,
        freeze: false,
        strict: false,
        streamBandwidth: true,
      },
    });
  });

  it('takes the timeout in seconds and gives it in milliseconds', () => {
    const timeout = (text: string) => {
      const parsed = parseCli(['serve', 'h.js', '--timeout', text]);
      return parsed.command === 'serve' ? parsed.options.timeout : undefined;
    };
    expect(timeout('10')).toBe(10_000);
    expect(timeout('1.5')).toBe(1500);
  });

  it.each(['lattice-v1', 'lattice-v2', 'edge-viewer-request', 'edge-origin-request'])(
    'takes --format %s',
    (format) => {
      const parsed = parseCli(['serve', 'h.js', '--format', format]);
      expect(parsed.command === 'serve' ? parsed.options.format : undefined).toBe(format);
    },
  );

  it('reads --help, -h, --version and -v before anything else', () => {
    expect(parseCli(['--help'])).toEqual({ command: 'help' });
    expect(parseCli(['-h'])).toEqual({ command: 'help' });
    expect(parseCli(['serve', 'h.js', '--help'])).toEqual({ command: 'help' });
    expect(parseCli(['--version'])).toEqual({ command: 'version' });
    expect(parseCli(['-v'])).toEqual({ command: 'version' });
  });

  it.each([
    [['serve', 'h.js', '--bogus'], /^Unknown option '--bogus' \(see lambda-bridge --help\)$/],
    [['serve', 'h.js', '--port'], /--port/],
    [['serve', 'h.js', '--port', 'abc'], /^--port takes a whole number from 0 to 65535; got "abc"\.$/],
    [['serve', 'h.js', '--port', '1.5'], /^--port takes a whole number/],
    [['serve', 'h.js', '--port', '70000'], /^--port takes a whole number from 0 to 65535; got "70000"\.$/],
    [['serve', 'h.js', '--port', '0x10'], /^--port takes a whole number/],
    [['serve', 'h.js', '--timeout', '0'], /^--timeout takes a number from 0\.001 to 900/],
    [['serve', 'h.js', '--timeout', '901'], /^--timeout takes a number from 0\.001 to 900/],
    [
      ['serve', 'h.js', '--format', 'soap'],
      /^--format is one of alb, apigw-v1, apigw-v2, function-url, lattice-v1, lattice-v2, edge-viewer-request, edge-origin-request; got "soap"\.$/,
    ],
    [['serve', 'h.js', '--timeout', ''], /^--timeout takes a number/],
    [
      ['serve', 'h.js', '--runtime', 'nodejs18.x'],
      /^--runtime is one of nodejs24\.x, nodejs22\.x, nodejs20\.x; got "nodejs18\.x"\.$/,
    ],
    [['serve', 'h.js', '--memory', '64'], /^--memory takes a whole number from 128 to 10240/],
    [['serve', 'h.js', '--concurrency', '0'], /^--concurrency takes a whole number of at least 1/],
    [[], /^Missing command: lambda-bridge serve <handler-file>$/],
    [['start'], /^Unknown command "start"; the command is "serve"\.$/],
    [['serve'], /^Missing handler file/],
    [['serve', 'a.js', 'b.js'], /^Unexpected argument "b\.js"\.$/],
  ])('rejects %j with a one-line reason', (argv, message) => {
    let error: unknown;
    try {
      parseCli(argv);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'LAMBDA_BRIDGE_INVALID_OPTION',
      message: expect.stringMatching(message),
    });
    expect((error as Error).message).not.toContain('\n');
  });

  it('version() is the package version', () => {
    expect(version()).toBe(PACKAGE_VERSION);
  });
});

describe('main, in this process', () => {
  const servers: DevServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  function io(color = false): CliIo & { out: (line: string) => void; lines: string[]; errors: string[] } {
    const lines: string[] = [];
    const errors: string[] = [];
    return { lines, errors, color, out: (line) => lines.push(line), err: (line) => errors.push(line) };
  }

  it('prints help and the version, and answers bad arguments with code 2', async () => {
    const help = io();
    expect(await main(['--help'], help)).toBe(0);
    expect(help.lines).toEqual([USAGE]);
    const shown = io();
    expect(await main(['--version'], shown)).toBe(0);
    expect(shown.lines).toEqual([PACKAGE_VERSION]);
    const bad = io();
    expect(await main(['serve', 'h.js', '--port', 'abc'], bad)).toBe(2);
    expect(bad.errors).toEqual(['lambda-bridge: --port takes a whole number from 0 to 65535; got "abc".']);
    const missing = io();
    expect(await main(['serve', fixture('absent.mjs'), '--port', '0'], missing)).toBe(2);
    expect(missing.errors).toHaveLength(1);
    expect(missing.errors[0]).toMatch(/^lambda-bridge: The handler file .*absent\.mjs does not exist\.$/);
  });

  it('serves, with text lines: requests on out, warnings on err', async () => {
    const text = io();
    const server = await main(['serve', fixture('handler.mjs'), '--port', '0', '--timeout', '0.5'], text);
    if (typeof server === 'number') throw new Error(`main ended with ${server}: ${text.errors.join('\n')}`);
    servers.push(server);
    expect(text.lines[0]).toBe(
      `lambda-bridge: serving ${fixture('handler.mjs')} at ${server.url} (ALB, single-value headers, timeout 0.5 s, up to 10 environments)`,
    );
    expect((await fetch(`${server.url}/a`)).status).toBe(200);
    expect((await fetch(`${server.url}/hang`)).status).toBe(502);
    expect(text.lines.some((line) => new RegExp(`^GET /a 200 \\d+\\.\\d\\d ms ${UUID}$`).test(line))).toBe(
      true,
    );
    expect(text.errors[0]).toBe(
      'WARN answered 502: Task timed out after 0.50 seconds (the function timeout: raise it with --timeout <seconds>)',
    );
  });

  it('serves with --json, and colours lines only when asked', async () => {
    const json = io();
    const server = await main(['serve', fixture('handler.mjs'), '--port', '0', '--json'], json);
    if (typeof server === 'number') throw new Error(`main ended with ${server}: ${json.errors.join('\n')}`);
    servers.push(server);
    expect(JSON.parse(json.lines[0])).toMatchObject({ code: 'LISTENING', url: server.url });
    expect((await fetch(`${server.url}/a`)).status).toBe(200);
    for (const line of json.lines) expect(() => JSON.parse(line)).not.toThrow();

    const colored = io(true);
    const other = await main(['serve', fixture('handler.mjs'), '--port', '0', '--no-isolate'], colored);
    if (typeof other === 'number') throw new Error(`main ended with ${other}: ${colored.errors.join('\n')}`);
    servers.push(other);
    expect((await fetch(`${other.url}/a`)).status).toBe(200);
    expect(colored.lines.find((line) => line.includes('GET /a 200'))).toMatch(
      /^\u001b\[36mGET \/a 200 .*\u001b\[0m$/,
    );
  });

  it('a port in use ends with code 1 and names --port', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const out = io();
      expect(await main(['serve', fixture('handler.mjs'), '--port', String(port)], out)).toBe(1);
      expect(out.errors).toHaveLength(1);
      expect(out.errors[0]).toContain('--port');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
