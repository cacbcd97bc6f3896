import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SoakReport } from './soak-run.js';
import { guardProcess } from './support.js';

// The soak runs in a child process started with --expose-gc, so that a forced collection and the
// list of active resources measure the bridge alone. SOAK_FULL=1 runs the full 200,000.
const FULL = process.env.SOAK_FULL === '1';
const INVOCATIONS = FULL ? 200_000 : 10_000;
const HEAP_GROWTH_LIMIT = 5 * 1024 * 1024;

guardProcess();

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCRIPT = join(ROOT, 'test', 'hardening', 'soak-run.ts');

/** The environment without coverage collection or preloaded options. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_V8_COVERAGE;
  delete env.NODE_OPTIONS;
  return env;
}

function runSoak(invocations: number, timeoutMs: number): Promise<SoakReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', SCRIPT, String(invocations)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the soak did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`the soak exited with ${code}: ${err}`));
      else resolve(JSON.parse(out) as SoakReport);
    });
  });
}

describe(`soak: ${INVOCATIONS.toLocaleString('en')} mixed forward invocations in one process`, () => {
  const timeout = FULL ? 600_000 : 120_000;

  it(
    'every invocation answers as its scenario says, the heap grows by less than 5 MB, and no handle or timer is left',
    async () => {
      const report = await runSoak(INVOCATIONS, timeout - 5000);
      expect(report.invocations).toBe(INVOCATIONS);
      expect(report.mismatches).toEqual([]);
      // Every scenario ran, with its status.
      expect(Object.keys(report.statuses)).toHaveLength(13);
      expect(report.heapAfter - report.heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT);
      expect(report.resourcesAfter).toEqual(report.resourcesBefore);
      // The once-per-handler warning came once, in the warm-up.
      expect(report.warnings.SET_COOKIE_DROPPED).toBe(1);
    },
    timeout,
  );
});
