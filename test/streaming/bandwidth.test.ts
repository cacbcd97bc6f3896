import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toListener } from '../../adapters/node.js';
import { type DevServer, serve } from '../../adapters/serve.js';
import { streamifyResponse } from '../../lib/invoke/streaming.js';
import { closeServers, fetchRaw, listen, type Received } from './support.js';

const MB = 1024 * 1024;
const running: DevServer[] = [];
afterEach(async () => {
  await closeServers();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** Milliseconds between the arrival of the byte at 6 MB and the last byte. */
function throttledSpan(got: Received): number {
  let total = 0;
  let atSix: number | undefined;
  for (const [chunk, at] of got.chunks) {
    total += chunk.length;
    if (atSix === undefined && total > 6 * MB) atSix = at;
  }
  const last = got.chunks[got.chunks.length - 1]?.[1] ?? 0;
  return last - (atSix ?? last);
}

describe('streamBandwidth: true', () => {
  it('one end(7 MB) write: the last MB arrives at 2 MB/s after the first 6 MB, not at once', async () => {
    const base = await listen(
      toListener(
        streamifyResponse((async (_e: unknown, stream: import('node:stream').Writable) => {
          stream.end(Buffer.alloc(7 * MB, 'w'));
        }) as never) as never,
        { format: 'function-url', streamBandwidth: true, timeout: 30_000 },
      ),
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.body.length).toBe(7 * MB);
    // 1 MB at 2 MB/s is 500 ms; a lower bound only (with room for the first 6 MB in flight).
    const span = throttledSpan(got);
    expect(span).toBeGreaterThanOrEqual(350);
    expect(span).toBeLessThan(20_000);
  });

  it('serve({ streamBandwidth: true }) sends the bytes past 6 MB at 2 MB/s', async () => {
    const server = await serve({
      handler: join(import.meta.dirname, 'fixtures', 'raw-handler.ts'),
      port: 0,
      format: 'function-url',
      isolate: false,
      streamBandwidth: true,
      timeout: 30_000,
    });
    running.push(server);
    const got = await fetchRaw(`${server.url}/big?mb=7`);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(7 * MB);
    expect(throttledSpan(got)).toBeGreaterThanOrEqual(350);
  });
});
