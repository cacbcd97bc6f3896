import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogEntry } from 'lambda-bridge';
import { type DevServer, serve } from 'lambda-bridge/serve';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const log: LogEntry[] = [];
let server: DevServer;

// One command's worth: the app behind the front door, the worker behind the Invoke API.
beforeAll(async () => {
  server = await serve({
    handler: join(HERE, 'handler.ts'),
    port: 0,
    invokePort: 0,
    functions: { worker: join(HERE, 'worker.ts') },
    // Any credentials: the local Invoke API does not check signatures.
    env: { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    timeout: 10_000,
    log: (entry) => log.push(entry),
  });
});

afterAll(async () => {
  await server?.close();
});

describe('an Express app invoking a worker function through the AWS SDK', () => {
  it('answers with the worker’s result', async () => {
    const response = await request(server.url)
      .post('/reports')
      .send({ month: '2026-11', amounts: [3, 4, 5] })
      .expect(200);
    expect(response.body).toEqual({ month: '2026-11', count: 3, total: 12 });
    expect(log.some((entry) => entry.code === 'REPORT' && entry.message.startsWith('[worker] REPORT'))).toBe(
      true,
    );
  });

  it('turns the worker’s error into a 502', async () => {
    const response = await request(server.url).post('/reports').send({ month: '2026-11' }).expect(502);
    expect(response.body).toEqual({ error: 'amounts must be an array of numbers', type: 'TypeError' });
  });

  it('queues a report as an Event invocation that the worker then runs', async () => {
    const response = await request(server.url)
      .post('/reports/later')
      .send({ month: '2026-12', amounts: [1] })
      .expect(202);
    const id = response.body.queued as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const until = Date.now() + 15_000;
    while (!log.some((entry) => entry.code === 'REPORT' && entry.requestId === id)) {
      if (Date.now() > until) throw new Error('the Event invocation did not run');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(log.some((entry) => entry.code === 'EVENT_FAILED' && entry.requestId === id)).toBe(false);
  });
});
