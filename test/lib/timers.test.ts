import { spawnSync } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAlbEvent, toLambda } from '../../index.js';
import { clearDeadline, startDeadline } from '../../lib/timers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ref'd timers: what keeps the process alive. */
const liveTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('deadlines sharing one timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fire in the order they fall due, an earlier one set after a later one included', async () => {
    const fired: string[] = [];
    const late = startDeadline(120, () => fired.push('late'));
    const middle = startDeadline(60, () => fired.push('middle'));
    const early = startDeadline(20, () => fired.push('early'));
    await sleep(45);
    expect(fired).toEqual(['early']);
    await sleep(200);
    expect(fired).toEqual(['early', 'middle', 'late']);
    // Already fired: clearing them is harmless.
    clearDeadline(late);
    clearDeadline(middle);
    clearDeadline(early);
  });

  it('a cleared deadline never fires, and the others still do', async () => {
    const fired: string[] = [];
    const first = startDeadline(20, () => fired.push('first'));
    startDeadline(40, () => fired.push('second'));
    clearDeadline(first);
    await sleep(120);
    expect(fired).toEqual(['second']);
  });

  it('no deadline fires before its time', async () => {
    const started = performance.now();
    let at = 0;
    startDeadline(50, () => {
      at = performance.now();
    });
    await sleep(150);
    expect(at - started).toBeGreaterThanOrEqual(49);
  });

  it('the shared timer keeps the process alive only while a deadline is pending', async () => {
    const before = liveTimers();
    const one = startDeadline(60_000, () => {});
    const two = startDeadline(30_000, () => {});
    expect(liveTimers()).toBe(before + 1);
    clearDeadline(one);
    expect(liveTimers()).toBe(before + 1);
    clearDeadline(two);
    expect(liveTimers()).toBe(before);
    // A later deadline reuses the armed timer, which holds the loop again.
    const three = startDeadline(90_000, () => {});
    expect(liveTimers()).toBe(before + 1);
    clearDeadline(three);
    expect(liveTimers()).toBe(before);
  });

  it('a deadline that throws does not stop the others due with it, and its error is still thrown', () => {
    const script = `
      import { startDeadline } from './lib/timers.ts';
      const fired = [];
      process.on('uncaughtException', (error) => {
        console.log(JSON.stringify({ fired, error: error.message }));
      });
      startDeadline(10, () => { fired.push('a'); throw new Error('boom'); });
      startDeadline(10, () => fired.push('b'));
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim())).toEqual({ fired: ['a', 'b'], error: 'boom' });
  });

  it("toLambda's deadline fires under fake timers that leave performance.now() alone", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const warnings: string[] = [];
    const handler = toLambda(
      (_req: IncomingMessage, _res: ServerResponse) => {
        // Never answers.
      },
      { log: (entry) => warnings.push(entry.code) },
    );
    const context = { awsRequestId: 'fake-timers', getRemainingTimeInMillis: () => 3000 };
    const pending = handler(createAlbEvent({ url: '/slow' }), context as never);
    await vi.advanceTimersByTimeAsync(3000);
    const result = await pending;
    expect(result.statusCode).toBe(504);
    expect(warnings).toEqual(['APP_TIMEOUT']);
  });
});
