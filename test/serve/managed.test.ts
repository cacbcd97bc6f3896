import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type DevServer, type ServeOptions, serve } from '../../adapters/serve.js';
import { InvalidOptionError } from '../../lib/errors.js';
import { handlerInvoker } from '../../lib/invoke/handler.js';
import { CALLBACK_ERROR_NODEJS22 } from '../../lib/invoke/ric4.js';
import type { LogEntry } from '../../lib/log.js';

// Lambda Managed Instances (serve maxConcurrency): several invocations at once in one environment
// process, sharing its module state, never frozen, each with its own InvokeStore.

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => join(FIXTURES, name);

const open = new Set<DevServer>();

afterEach(async () => {
  await Promise.all([...open].map((server) => server.close()));
  open.clear();
});

async function start(options: ServeOptions) {
  const log: LogEntry[] = [];
  const server = await serve({ port: 0, ...options, log: (entry) => log.push(entry) });
  open.add(server);
  const get = (path: string) => fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(30_000) });
  const json = async <T>(path: string) => (await (await get(path)).json()) as T;
  return { server, log, get, json };
}

interface StateReply {
  user: string;
  pid: number;
  maxConcurrency: string | null;
  traceInEnvironment: string | null;
}

const users = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const reasonOf = (response: Response) => response.headers.get('x-lambda-bridge-reason') ?? '';
const codes = (log: LogEntry[], code: string) => log.filter((entry) => entry.code === code);

/** The scheduler state of a process: `T` while it is stopped. */
function processState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1][0];
}

describe('serve({ maxConcurrency }): Lambda Managed Instances', () => {
  it("--max-concurrency 8: 8 overlapping requests share one process, and AWS's module-level state leaks between them", async () => {
    const { json, log } = await start({ handler: fixture('managed.mjs'), maxConcurrency: 8 });
    const replies = await Promise.all(users(8).map((user) => json<StateReply>(`/?user=${user}`)));
    // One environment took all eight, although up to 10 could have started.
    expect(new Set(replies.map((reply) => reply.pid)).size).toBe(1);
    const wrong = replies.filter((reply, i) => reply.user !== `u${i}`);
    expect(wrong.length).toBeGreaterThan(0);
    for (const reply of replies) {
      expect(reply.maxConcurrency).toBe('8');
      expect(reply.traceInEnvironment).toBeNull();
    }
    // Init once per environment: one REPORT line carries the Init Duration.
    const reports = codes(log, 'REPORT').map((entry) => entry.message);
    expect(reports).toHaveLength(8);
    expect(reports.filter((line) => line.includes('Init Duration'))).toHaveLength(1);
    // Never frozen, even when idle.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processState(replies[0].pid)).not.toBe('T');
  });

  it('without it, overlapping requests take turns in the one environment, and each reads its own state', async () => {
    const { json } = await start({ handler: fixture('managed.mjs'), concurrency: 1 });
    const replies = await Promise.all(users(3).map((user) => json<StateReply>(`/?user=${user}&ms=100`)));
    expect(replies.map((reply) => reply.user)).toEqual(users(3));
    expect(new Set(replies.map((reply) => reply.pid)).size).toBe(1);
    expect(replies[0].maxConcurrency).toBeNull();
    expect(replies[0].traceInEnvironment).toMatch(/^Root=1-/);
  });

  it('the InvokeStore and getInvocation(req) answer 1,000 of 1,000 overlapping requests each in one process', async () => {
    const store = await start({ handler: fixture('managed.mjs'), concurrency: 1, maxConcurrency: 64 });
    const app = await start({ handler: fixture('managed-app.ts'), concurrency: 1, maxConcurrency: 64 });
    const all = users(1000);
    const storeReplies: Array<{ user: string; ownRequestId: boolean; ownTraceId: boolean }> = [];
    const appReplies: Array<{ user: string; requestId: string }> = [];
    for (let batch = 0; batch < all.length; batch += 100) {
      const part = all.slice(batch, batch + 100);
      const [fromStore, fromApp] = await Promise.all([
        Promise.all(part.map((user) => store.json<(typeof storeReplies)[0]>(`/store?user=${user}`))),
        Promise.all(part.map((user) => app.json<(typeof appReplies)[0]>(`/?user=${user}`))),
      ]);
      storeReplies.push(...fromStore);
      appReplies.push(...fromApp);
    }
    expect(
      storeReplies.filter((reply, i) => reply.user === all[i] && reply.ownRequestId && reply.ownTraceId),
    ).toHaveLength(1000);
    expect(appReplies.filter((reply, i) => reply.user === all[i])).toHaveLength(1000);
    expect(new Set(appReplies.map((reply) => reply.requestId)).size).toBe(1000);
    // One process each, initialized once.
    for (const { log } of [store, app]) {
      expect(codes(log, 'REPORT').filter((entry) => entry.message.includes('Init Duration'))).toHaveLength(1);
      expect(codes(log, 'ENVIRONMENT_REPLACED')).toEqual([]);
    }
  }, 120_000);

  it('a timeout fails only its own invocation: the others and the process run on', async () => {
    const { get, json, log } = await start({
      handler: fixture('managed.mjs'),
      concurrency: 1,
      maxConcurrency: 4,
      timeout: 2000,
    });
    const { pid } = await json<StateReply>('/?user=warm&ms=0');
    const late = get('/?user=late&ms=6000');
    // Still running when the first one times out, and done well before its own timeout.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const onTime = get('/?user=ok&ms=1200');
    const timedOut = await late;
    expect(timedOut.status).toBe(502);
    expect(reasonOf(timedOut)).toBe('Task timed out after 2.00 seconds');
    const answered = await onTime;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as StateReply).pid).toBe(pid);
    const [timeout] = codes(log, 'TIMEOUT');
    expect(timeout.message).toContain('Task timed out after 2.00 seconds');
    expect((await json<StateReply>('/?user=after&ms=0')).pid).toBe(pid);
    expect(codes(log, 'ENVIRONMENT_REPLACED')).toEqual([]);
  });

  it('an uncaught exception ends the process and fails every invocation running in it', async () => {
    const { get, json, log } = await start({
      handler: fixture('managed.mjs'),
      concurrency: 1,
      maxConcurrency: 4,
      timeout: 10_000,
    });
    const { pid } = await json<StateReply>('/?user=warm&ms=0');
    const [crashed, bystander] = await Promise.all([get('/crash?ms=3000'), get('/?user=b&ms=3000')]);
    for (const response of [crashed, bystander]) {
      expect(response.status).toBe(502);
      expect(reasonOf(response)).toContain('Runtime.ExitError');
      expect(reasonOf(response)).toContain('Runtime exited with error: exit status 1');
    }
    expect(codes(log, 'ENVIRONMENT_REPLACED')).toHaveLength(1);
    expect((await json<StateReply>('/?user=next&ms=0')).pid).not.toBe(pid);
  });

  it('an invocation that blocks the event loop past its timeout stops the process, failing the others', async () => {
    const { get, json, log } = await start({
      handler: fixture('managed.mjs'),
      concurrency: 1,
      maxConcurrency: 4,
      timeout: 1000,
    });
    const { pid } = await json<StateReply>('/?user=warm&ms=0');
    // The spinning invocation first, so that its timeout is the one that comes due first.
    const spin = get('/spin?ms=8000');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [spinning, bystander] = await Promise.all([spin, get('/?user=b&ms=500')]);
    expect(spinning.status).toBe(502);
    expect(reasonOf(spinning)).toBe('Task timed out after 1.00 seconds');
    expect(bystander.status).toBe(502);
    expect(reasonOf(bystander)).toContain('blocked the event loop past its timeout');
    expect((await json<StateReply>('/?user=next&ms=0')).pid).not.toBe(pid);
    expect(codes(log, 'ENVIRONMENT_REPLACED')).toHaveLength(1);
  });

  it('nodejs22.x runs with the runtime client 4 rules on a managed instance: its own callback message', async () => {
    const { get } = await start({
      handler: `${fixture('managed.mjs')}#callback`,
      runtime: 'nodejs22.x',
      maxConcurrency: 2,
    });
    const response = await get('/');
    expect(response.status).toBe(502);
    expect(reasonOf(response)).toContain(`Runtime.CallbackHandlerDeprecated: ${CALLBACK_ERROR_NODEJS22}`);
  });

  it('nodejs22.x on a managed instance builds the runtime client 4 context', async () => {
    const keys = (managed: boolean) =>
      handlerInvoker(
        async (_event: never, context) => Object.keys(context),
        { runtime: 'nodejs22.x' },
        1000,
        managed,
      )({}, { awsRequestId: 'r', warn: () => {} });
    const managed = await keys(true);
    const standard = await keys(false);
    expect(managed.ok && managed.result).toContain('xRayTraceId');
    expect(managed.ok && managed.result).not.toContain('succeed');
    expect(standard.ok && standard.result).toContain('succeed');
  });

  it.each([
    [{ maxConcurrency: 0 }, /whole number of at least 1; it got the number 0\./],
    [{ maxConcurrency: 1.5 }, /whole number of at least 1; it got the number 1\.5\./],
    [{ maxConcurrency: 4, runtime: 'nodejs20.x' as const }, /Node\.js 22 and later/],
    [{ maxConcurrency: 4, isolate: false }, /needs isolated environments/],
  ])('%o is refused with InvalidOptionError', async (options, message) => {
    const refused = serve({ handler: fixture('managed.mjs'), port: 0, ...options });
    await expect(refused).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(refused).rejects.toThrow(message);
  });
});
