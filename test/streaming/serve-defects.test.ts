import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DevServer, serve } from '../../adapters/serve.js';
import type { LogEntry } from '../../lib/log.js';
import { fetchRaw } from './support.js';

const handler = join(import.meta.dirname, 'fixtures', 'raw-handler.ts');
const running: DevServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe.each([
  ['in process', false],
  ['isolated environment', true],
] as const)('lambda-bridge serve, %s, with a raw streaming handler', (_name, isolate) => {
  it.each([
    ['/bad-header', /header "x-bad"/],
    ['/bad-type', /content type/],
  ])('a head Node refuses (%s) answers the service failure and the server runs on', async (path, reason) => {
    const entries: LogEntry[] = [];
    const server = await serve({
      handler,
      port: 0,
      format: 'function-url',
      isolate,
      timeout: 10_000,
      log: (e) => entries.push(e),
    });
    running.push(server);
    const got = await fetchRaw(`${server.url}${path}`);
    expect(got.status).toBe(500);
    expect(got.body.toString()).not.toContain('never');
    expect(entries.find((e) => e.code === 'INVALID_STREAM')?.message).toMatch(reason);
    const next = await fetchRaw(`${server.url}/`);
    expect(next.status).toBe(200);
    expect(next.body.toString()).toBe('ok');
  });
});

describe('lambda-bridge serve, isolated environment, memory', () => {
  it('a single 20 MB write at the default 128 MB arrives whole (no false Runtime.OutOfMemory)', async () => {
    const server = await serve({ handler, port: 0, format: 'function-url', timeout: 30_000, log: () => {} });
    running.push(server);
    const got = await fetchRaw(`${server.url}/big?mb=20`);
    expect(got.status).toBe(200);
    expect(got.aborted).toBe(false);
    expect(got.body.length).toBe(20 * 1024 * 1024);
    expect(got.body.every((b) => b === 0x7a)).toBe(true);
  }, 60_000);
});
