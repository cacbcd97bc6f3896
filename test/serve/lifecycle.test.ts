import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type DevServer, type ServeOptions, serve } from '../../adapters/serve.js';
import type { LogEntry } from '../../lib/log.js';

// The life of an execution environment: INIT when the server starts, a freeze between
// invocations, and the warning for work a handler leaves running.

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => join(FIXTURES, name);

const open = new Set<DevServer>();
const temporary: string[] = [];

afterEach(async () => {
  await Promise.all([...open].map((server) => server.close()));
  open.clear();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(options: ServeOptions) {
  const log: LogEntry[] = [];
  const server = await serve({ port: 0, ...options, log: (entry) => log.push(entry) });
  open.add(server);
  const get = (path: string) => fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(20_000) });
  return { server, log, get };
}

async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const entry = (log: LogEntry[], code: string) => log.find((item) => item.code === code);
const reasonOf = (response: Response) => response.headers.get('x-lambda-bridge-reason') ?? '';

/** A handler file with a syntax error on line 2, column 28, in a folder of its own. */
function brokenFile(extension: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-bridge-init-'));
  temporary.push(dir);
  const file = join(dir, `broken${extension}`);
  const exporting = extension === '.cjs' ? 'exports.handler =' : 'export const handler =';
  writeFileSync(file, `${exporting} async () => {\n  return { statusCode: 200 ;\n};\n`);
  return file;
}

/** The scheduler state of a process: `T` while it is stopped. */
function processState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1][0];
}

/** Waits for a process to be stopped: a signal takes effect when the process is next scheduled. */
async function stoppedState(pid: number): Promise<string> {
  await waitFor('the process to be stopped', () => processState(pid) === 'T', 5000).catch(() => undefined);
  return processState(pid);
}

describe('serve(): INIT when the server starts', () => {
  it.each([true, false])(
    'a missing export is reported at once, before any request (isolate: %s); requests answer 502 with the reason',
    async (isolate) => {
      const { log, get } = await start({ handler: `${fixture('exports.mjs')}#nope`, isolate });
      const init = await waitFor('the INIT_ERROR line', () => entry(log, 'INIT_ERROR'));
      expect(log.filter((item) => item.code === 'REQUEST')).toHaveLength(0);
      expect(init.level).toBe('warn');
      expect(init.message).toContain('Runtime.HandlerNotFound');
      expect(init.message).toContain('no export named "nope"');
      const response = await get('/');
      expect(response.status).toBe(502);
      expect(reasonOf(response)).toContain('Runtime.HandlerNotFound');
    },
  );

  it.each(['.mjs', '.cjs'])(
    'a syntax error (%s) is Runtime.UserCodeSyntaxError with the file, line and column',
    async (extension) => {
      const file = brokenFile(extension);
      const { log, get } = await start({ handler: file });
      const init = await waitFor('the INIT_ERROR line', () => entry(log, 'INIT_ERROR'));
      expect(init.message).toContain(
        `Runtime.UserCodeSyntaxError: SyntaxError: ${file}:2:28: Unexpected token ';'`,
      );
      const response = await get('/');
      expect(response.status).toBe(502);
      expect(reasonOf(response)).toContain(`${file}:2:28`);
    },
  );

  it('a TypeScript syntax error names the file, line and column too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lambda-bridge-init-'));
    temporary.push(dir);
    const file = join(dir, 'broken.ts');
    writeFileSync(file, 'const x: number = ;\nexport const handler = async () => ({ statusCode: 200 });\n');
    const { log } = await start({ handler: file });
    const init = await waitFor('the INIT_ERROR line', () => entry(log, 'INIT_ERROR'));
    expect(init.message).toContain(`Runtime.UserCodeSyntaxError: SyntaxError: ${file}:1:18:`);
  });

  it('a handler that loads reports INIT with its duration, and the first REPORT carries the Init Duration', async () => {
    const { log, get } = await start({ handler: fixture('handler.mjs') });
    const init = await waitFor('the INIT line', () => entry(log, 'INIT'));
    expect(init.message).toMatch(/^INIT: the handler loaded in \d+\.\d\d ms$/);
    expect((await get('/a')).status).toBe(200);
    expect((await get('/b')).status).toBe(200);
    const reports = log.filter((item) => item.code === 'REPORT').map((item) => item.message);
    expect(reports[0]).toMatch(/\tInit Duration: \d+\.\d\d ms$/);
    expect(reports[1]).not.toContain('Init Duration');
  });

  it('an INIT that runs past 10 s is stopped with Runtime.InitTimeout, reported without a request', async () => {
    const { log } = await start({ handler: fixture('never-loads.mjs'), timeout: 300 });
    const init = await waitFor('the INIT_ERROR line', () => entry(log, 'INIT_ERROR'), 20_000);
    expect(init.message).toContain('Runtime.InitTimeout');
    expect(init.message).toContain('within 10.00 seconds');
    expect(log.filter((item) => item.code === 'REQUEST')).toHaveLength(0);
    expect(entry(log, 'ENVIRONMENT_REPLACED')?.message).toContain('Runtime.InitTimeout');
  }, 30_000);
});

describe('serve(): freeze between invocations', () => {
  it('the environment process is stopped between invocations; work left after the response runs only in the next one', async () => {
    const { log, get } = await start({ handler: fixture('left-work.mjs'), concurrency: 1 });
    const first = (await (await get('/leave')).json()) as { pid: number };
    expect(await stoppedState(first.pid)).toBe('T');
    await new Promise((resolve) => setTimeout(resolve, 700));
    const resumedAt = Date.now();
    await get('/look');
    // Give the timer the turn it waited for, then read when it ran.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = (await (await get('/look')).json()) as { pid: number; ranAt: number };
    expect(third.pid).toBe(first.pid);
    expect(third.ranAt).toBeGreaterThanOrEqual(resumedAt);

    const warning = entry(log, 'POST_RESPONSE_WORK');
    expect(warning?.level).toBe('warn');
    expect(warning?.message).toContain('timer (Timeout)');
    const leaveId = log.find(
      (item) => item.code === 'REQUEST' && item.message.startsWith('GET /leave'),
    )?.requestId;
    expect(warning?.requestId).toBe(leaveId);
    expect(log.filter((item) => item.code === 'POST_RESPONSE_WORK')).toHaveLength(1);
  });

  it('requests that queue for one environment run back to back in it; once none waits, it is stopped', async () => {
    const { log, get } = await start({ handler: fixture('left-work.mjs'), concurrency: 1 });
    const answers = await Promise.all(
      ['/look', '/look', '/look', '/look'].map(async (path) => (await get(path)).json()),
    );
    const pids = new Set(answers.map((answer) => (answer as { pid: number }).pid));
    expect(pids.size).toBe(1);
    const [pid] = pids;
    expect(await stoppedState(pid)).toBe('T');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(processState(pid)).toBe('T');
    const next = (await (await get('/look')).json()) as { pid: number };
    expect(next.pid).toBe(pid);
    expect(await stoppedState(pid)).toBe('T');
    expect(log.filter((item) => item.code === 'REQUEST' && item.status === 200)).toHaveLength(5);
  });

  it('freeze: false lets the work run right after the response; the warning still names it', async () => {
    const { log, get } = await start({ handler: fixture('left-work.mjs'), concurrency: 1, freeze: false });
    const first = (await (await get('/leave')).json()) as { pid: number; now: number };
    expect(processState(first.pid)).not.toBe('T');
    await new Promise((resolve) => setTimeout(resolve, 700));
    const resumedAt = Date.now();
    const second = (await (await get('/look')).json()) as { ranAt: number };
    expect(second.ranAt).toBeGreaterThan(0);
    expect(second.ranAt).toBeLessThan(resumedAt);
    expect(entry(log, 'POST_RESPONSE_WORK')?.message).toContain('timer (Timeout)');
  });

  it('an exception thrown by a timer left after the response fails the next invocation, as on Lambda', async () => {
    const { get, log } = await start({ handler: fixture('handler.mjs'), concurrency: 1 });
    expect((await get('/crash-later')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await get('/next');
    expect(next.status).toBe(502);
    expect(reasonOf(next)).toContain('Runtime.ExitError: RequestId: ');
    expect(reasonOf(next)).toContain('Runtime exited with error: exit status 1');
    expect(log.filter((item) => item.code === 'HANDLER_ERROR')).toHaveLength(1);
    expect((await get('/after')).status).toBe(200);
  });

  it('a frozen environment still stops on close()', async () => {
    const { server, get } = await start({ handler: fixture('left-work.mjs') });
    const { pid } = (await (await get('/leave')).json()) as { pid: number };
    expect(await stoppedState(pid)).toBe('T');
    await server.close();
    await waitFor('the process to be gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
