import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DevServer, serve } from '../../adapters/serve.js';
import type { LogEntry } from '../../lib/log.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const API = join(FIXTURES, 'api.mjs');
const open: DevServer[] = [];
const folders: string[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((server) => server.close()));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

async function invoke(server: DevServer, name: string, payload: unknown, type = 'RequestResponse') {
  const response = await fetch(`${server.invokeUrl}/2015-03-31/functions/${name}/invocations`, {
    method: 'POST',
    headers: { 'x-amz-invocation-type': type },
    body: JSON.stringify(payload),
  });
  return { status: response.status, body: await response.text() };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const limit = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > limit) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('functions from "functions"', () => {
  it('reload with watch when their files change', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'lb-invoke-watch-'));
    folders.push(folder);
    writeFileSync(join(folder, 'package.json'), '{"type":"module"}\n');
    const worker = join(folder, 'worker.mjs');
    writeFileSync(worker, 'export const handler = async () => "v1";\n');
    const log: LogEntry[] = [];
    const server = await serve({
      handler: API,
      port: 0,
      invokePort: 0,
      watch: true,
      functions: { worker },
      log: (entry) => log.push(entry),
    });
    open.push(server);
    expect(await invoke(server, 'worker', {})).toEqual({ status: 200, body: '"v1"' });
    writeFileSync(worker, 'export const handler = async () => "v2";\n');
    await until(
      () => log.some((entry) => entry.code === 'RELOAD' && entry.message.startsWith('[worker] reloading')),
      'the reload',
    );
    await until(
      () => log.filter((entry) => entry.message.startsWith('[worker] INIT')).length >= 2,
      'the INIT',
    );
    expect(await invoke(server, 'worker', {})).toEqual({ status: 200, body: '"v2"' });
  });

  it('write their output with their name before each line', async () => {
    const server = await serve({
      handler: API,
      port: 0,
      invokePort: 0,
      functions: { other: API },
    });
    open.push(server);
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write);
    expect((await invoke(server, 'other', { log: 'first line\nsecond line' })).status).toBe(200);
    await until(() => written.join('').includes('second line'), 'the output');
    expect(written.join('')).toContain('[other] first line\n[other] second line\n');
  });
});

describe('closing with Event invocations queued', () => {
  it('lets the running one finish and logs the queued one as not run', async () => {
    const log: LogEntry[] = [];
    const server = await serve({
      handler: API,
      port: 0,
      invokePort: 0,
      concurrency: 1,
      log: (entry) => log.push(entry),
    });
    const running = await invoke(server, 'api', { sleep: 500 }, 'Event');
    const queued = await invoke(server, 'api', { sleep: 500 }, 'Event');
    expect([running.status, queued.status]).toEqual([202, 202]);
    await until(() => log.some((entry) => entry.code === 'START'), 'the first invocation to start');
    await server.close();
    const notRun = log.filter((entry) => entry.code === 'EVENT_NOT_RUN');
    expect(notRun).toHaveLength(1);
    expect(log.filter((entry) => entry.code === 'REPORT')).toHaveLength(1);
    expect(log.some((entry) => entry.code === 'EVENT_FAILED')).toBe(false);
  });
});
