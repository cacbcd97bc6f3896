import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// A one-round run of the benchmark with tiny durations, so the suite cannot rot. It measures the
// built package, as `npm run bench` does.

const root = resolve(import.meta.dirname, '..');
const temp = mkdtempSync(join(tmpdir(), 'lambda-bridge-bench-'));
const jsonFile = join(temp, 'bench.json');

const ADAPTERS = [
  'lambda-bridge',
  'serverless-http',
  '@codegenie/serverless-express',
  '@h4ad/serverless-adapter',
];
const FORWARD = ['1', '2', '3', '4', '5', '6'];
/** The framework scenarios and the adapter each is compared with. */
const FRAMEWORKS: Array<[string, string]> = [
  ['8', '@fastify/aws-lambda'],
  ['9', 'hono/aws-lambda'],
];

interface Entry {
  adapter?: string;
  id?: string;
  correct: boolean;
  wrong?: string;
  error?: string;
}

interface Report {
  sections: Record<string, { adapters?: Entry[]; servers?: Entry[] }>;
}

/** The child processes get the environment without coverage collection. */
const env = { ...process.env };
delete env.NODE_V8_COVERAGE;

function runSmoke(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'bench', 'run.mjs'), '--smoke', '--json', jsonFile],
      { cwd: root, env, timeout: 110_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

describe('the benchmark, smoke run', () => {
  it('prints every scenario for every adapter and finds lambda-bridge correct', {
    timeout: 120_000,
  }, async () => {
    if (!existsSync(join(root, 'dist/esm/index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
    }
    const { code, stdout, stderr } = await runSmoke();
    expect(code, stderr).toBe(0);

    const blocks = stdout.split('\n\n');
    for (const id of [...FORWARD, '7', 'Memory']) {
      const heading = id === 'Memory' ? 'Memory:' : `Scenario ${id}:`;
      const block = blocks.find((b) => b.startsWith(heading));
      expect(block, heading).toBeDefined();
      for (const name of ADAPTERS) expect(block, heading).toContain(name);
    }
    expect(stdout).toContain('Reverse:');
    expect(stdout).toContain('express().use(toExpress(handler))');
    expect(stdout).toMatch(/lambda-bridge serve \(isolated\)\s+[\d,]+\s+[\d.]+\s+[\d.]+× of native\s+ok/);

    const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as Report;
    for (const id of [...FORWARD, '7']) {
      const section = report.sections[`scenario${id}`];
      expect(section?.adapters?.map((e) => e.adapter)).toEqual(expect.arrayContaining(ADAPTERS));
      const self = section?.adapters?.find((e) => e.adapter === 'lambda-bridge');
      expect(self, `scenario ${id}`).toMatchObject({ correct: true });
    }
    const forwardOnly = report.sections.scenario7?.adapters?.find(
      (e) => e.adapter === 'lambda-bridge/lambda (forward only)',
    );
    expect(forwardOnly).toMatchObject({ correct: true });
    for (const [id, peer] of FRAMEWORKS) {
      const section = report.sections[`scenario${id}`];
      expect(section?.adapters?.map((e) => e.adapter)).toEqual(['lambda-bridge', peer]);
      for (const entry of section?.adapters ?? [])
        expect(entry, `scenario ${id}`).toMatchObject({ correct: true });
    }
    const middleware = report.sections.reverse?.servers?.find((e) => e.id === 'middleware');
    expect(middleware).toMatchObject({ correct: true });
    const memory = report.sections.memory?.adapters?.find((e) => e.adapter === 'lambda-bridge');
    expect(memory).toMatchObject({ correct: true });
    expect(stdout).toContain('Time to first byte:');
    const ttfb = report.sections.ttfb?.adapters?.find((e) => e.adapter === 'lambda-bridge');
    expect(ttfb).toMatchObject({ correct: true });
  });
});
