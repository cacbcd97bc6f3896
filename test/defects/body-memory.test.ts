import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const probe = new URL('./memory-probe.ts', import.meta.url).pathname;

/** One invocation in a fresh process; its peak Buffer memory is sampled with a GC every 2 MB. */
async function measure(kind: 'get' | 'get-gzip' | 'head', megabytes: number) {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', probe, kind, String(megabytes)],
    {
      timeout: 120_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    status: number;
    contentLength: string | null;
    producedMB: number;
    peakMB: number;
  };
}

describe('defect 3: with accept-encoding, a body that cannot fit is not buffered', () => {
  it('a 200 MB incompressible stream answers 502 after a few MB, holding no more', async () => {
    const gzip = await measure('get-gzip', 200);
    expect(gzip.status).toBe(502);
    expect(gzip.producedMB).toBeLessThan(20);
    expect(gzip.peakMB).toBeLessThan(40);
  }, 130_000);

  it('without accept-encoding it was already bounded, and stays so', async () => {
    const plain = await measure('get', 200);
    expect(plain.status).toBe(502);
    expect(plain.producedMB).toBeLessThan(20);
    expect(plain.peakMB).toBeLessThan(40);
  }, 130_000);
});

describe('defect 7: a HEAD body is counted for content-length, not kept', () => {
  it('200 MB written to a HEAD response: 200, content-length 209715200, little memory', async () => {
    const head = await measure('head', 200);
    expect(head.status).toBe(200);
    expect(head.contentLength).toBe(String(200 * 1024 * 1024));
    expect(head.peakMB).toBeLessThan(40);
  }, 130_000);
});
