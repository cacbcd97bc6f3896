import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DevServer, serve } from '../../adapters/serve.js';
import type { LogEntry } from '../../lib/log.js';
import { randomBody } from './fixtures/ab-handler.js';
import { fetchRaw } from './support.js';

const handler = join(import.meta.dirname, 'fixtures', 'ab-handler.ts');
const running: DevServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe('lambda-bridge serve with a streaming handler', () => {
  it.each(['function-url', 'apigw-v1'] as const)(
    'format %s, in process: the client receives "a" at least 300 ms before "b"',
    async (format) => {
      const server = await serve({ handler, port: 0, format, isolate: false, timeout: 10_000 });
      running.push(server);
      const got = await fetchRaw(`${server.url}/ab`);
      expect(got.status).toBe(200);
      expect(got.body.toString()).toBe('ab');
      const a = got.chunks.find(([c]) => c.toString() === 'a');
      const b = got.chunks.find(([c]) => c.toString() === 'b');
      expect(a).toBeDefined();
      expect((b?.[1] ?? 0) - (a?.[1] ?? 0)).toBeGreaterThanOrEqual(300);
    },
  );

  it("format alb, in process: the ALB's 502, the reason naming the ALB", async () => {
    const entries: LogEntry[] = [];
    const server = await serve({ handler, port: 0, isolate: false, log: (e) => entries.push(e) });
    running.push(server);
    const got = await fetchRaw(`${server.url}/ab`);
    expect(got.status).toBe(502);
    expect(got.headers['x-lambda-bridge-reason']).toMatch(/Application Load Balancer cannot stream/);
  });

  it.each(['function-url', 'apigw-v1'] as const)(
    'format %s, isolated environment (frozen between invocations, never mid-stream): the client receives "a" at least 300 ms before "b"',
    async (format) => {
      const server = await serve({ handler, port: 0, format, timeout: 10_000 });
      running.push(server);
      const got = await fetchRaw(`${server.url}/ab`);
      expect(got.status).toBe(200);
      expect(got.body.toString()).toBe('ab');
      const a = got.chunks.find(([c]) => c.toString() === 'a');
      const b = got.chunks.find(([c]) => c.toString() === 'b');
      expect(a).toBeDefined();
      expect((b?.[1] ?? 0) - (a?.[1] ?? 0)).toBeGreaterThanOrEqual(300);
    },
  );

  it('isolated environment: a 5 MiB random body crosses the process boundary byte-identical', async () => {
    const server = await serve({ handler, port: 0, format: 'function-url', timeout: 20_000 });
    running.push(server);
    const got = await fetchRaw(`${server.url}/random?seed=7`);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(5 * 1024 * 1024);
    expect(createHash('sha256').update(got.body).digest('hex')).toBe(
      createHash('sha256').update(randomBody(7)).digest('hex'),
    );
  });

  it("format alb, isolated environment: the ALB's 502, the reason naming the ALB", async () => {
    const server = await serve({ handler, port: 0, log: () => {} });
    running.push(server);
    const got = await fetchRaw(`${server.url}/ab`);
    expect(got.status).toBe(502);
    expect(got.headers['x-lambda-bridge-reason']).toMatch(/Application Load Balancer cannot stream/);
  });

  it('--max-concurrency: overlapping streams in one environment process each get their own bytes', async () => {
    const server = await serve({
      handler,
      port: 0,
      format: 'function-url',
      concurrency: 1,
      maxConcurrency: 4,
      timeout: 20_000,
    });
    running.push(server);
    const [first, second, random] = await Promise.all([
      fetchRaw(`${server.url}/ab`),
      fetchRaw(`${server.url}/ab`),
      fetchRaw(`${server.url}/random?seed=3`),
    ]);
    expect([first.status, second.status, random.status]).toEqual([200, 200, 200]);
    expect(first.body.toString()).toBe('ab');
    expect(second.body.toString()).toBe('ab');
    expect(createHash('sha256').update(random.body).digest('hex')).toBe(
      createHash('sha256').update(randomBody(3)).digest('hex'),
    );
  });
});
