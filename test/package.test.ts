import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albEvent } from './fixtures/alb-event.js';

// What a user gets: the packed tarball, installed into a fresh project, loaded with import and require.

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/** The child processes get the environment without coverage collection. */
const env = { ...process.env };
delete env.NODE_V8_COVERAGE;

async function exec(file: string, args: string[], cwd: string, timeout = 30_000) {
  const { stdout } = await run(file, args, { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

// A bare listener that reports what it saw, so the output shows the request went through the bridge.
const consumer = (load: string, resolveSelf: string) => `${load}
const event = ${JSON.stringify(albEvent)};
const handler = toLambda((req, res) => {
  const invocation = getInvocation(req);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ method: req.method, url: req.url, arn: invocation.event.requestContext.elb.targetGroupArn }));
});
handler(event).then((result) => {
  console.log(JSON.stringify({
    result,
    arity: handler.length,
    binary: [defaultIsBinary('image/png', ''), defaultIsBinary('application/json', '')],
    resolved: ${resolveSelf},
  }));
});
`;

const expected = {
  result: {
    statusCode: 200,
    statusDescription: '200 OK',
    isBase64Encoded: false,
    headers: expect.objectContaining({ 'content-type': 'application/json' }),
    body: JSON.stringify({
      method: 'GET',
      url: '/lambda?query=1234ABCD',
      arn: albEvent.requestContext.elb.targetGroupArn,
    }),
  },
  arity: expect.any(Number),
  binary: [true, false],
};

let temp: string;
let project: string;

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/esm/index.js')) || !existsSync(join(root, 'dist/cjs/index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  }
  temp = mkdtempSync(join(tmpdir(), 'lambda-bridge-pack-'));
  project = join(temp, 'consumer');
  const packed = JSON.parse(await exec('npm', ['pack', '--json', '--pack-destination', temp], root));
  const tarball = join(temp, packed[0].filename);

  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2),
  );
  const install = ['install', '--no-audit', '--no-fund', '--no-package-lock'];
  try {
    // Zero runtime dependencies: installing the tarball needs no registry.
    await exec('npm', [...install, '--offline', tarball], project, 45_000);
  } catch {
    await exec('npm', [...install, tarball], project, 45_000);
  }
  writeFileSync(
    join(project, 'esm.mjs'),
    consumer(
      "import { toLambda, getInvocation, defaultIsBinary } from 'lambda-bridge';",
      "import.meta.resolve('lambda-bridge')",
    ),
  );
  writeFileSync(
    join(project, 'cjs.cjs'),
    consumer(
      "const { toLambda, getInvocation, defaultIsBinary } = require('lambda-bridge');",
      "require.resolve('lambda-bridge')",
    ),
  );
}, 60_000);

afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds the builds and no tests, examples or TypeScript sources', { timeout: 60_000 }, async () => {
    const [listing] = JSON.parse(await exec('npm', ['pack', '--dry-run', '--json'], root));
    const files: string[] = listing.files.map((file: { path: string }) => file.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/esm/index.js',
        'dist/esm/index.d.ts',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/cjs/package.json',
      ]),
    );
    expect(files.filter((path) => /^(test|examples)\//.test(path))).toEqual([]);
    expect(files.filter((path) => /\.[cm]?ts$/.test(path) && !/\.d\.[cm]?ts$/.test(path))).toEqual([]);
  });

  it('works with import from an installed tarball', { timeout: 60_000 }, async () => {
    const output = JSON.parse(await exec(process.execPath, ['esm.mjs'], project));
    expect(output).toEqual({
      ...expected,
      resolved: expect.stringMatching(/\/node_modules\/lambda-bridge\/dist\/esm\/index\.js$/),
    });
    expect(output.arity).toBeLessThanOrEqual(2);
  });

  it('works with require from an installed tarball', { timeout: 60_000 }, async () => {
    const output = JSON.parse(await exec(process.execPath, ['cjs.cjs'], project));
    expect(output).toEqual({
      ...expected,
      resolved: expect.stringMatching(/[/\\]node_modules[/\\]lambda-bridge[/\\]dist[/\\]cjs[/\\]index\.js$/),
    });
    expect(output.arity).toBeLessThanOrEqual(2);
  });

  it('exposes its package.json', { timeout: 60_000 }, async () => {
    const output = await exec(
      process.execPath,
      ['-p', "require('lambda-bridge/package.json').version"],
      project,
    );
    expect(output.trim()).toBe(version);
  });
});
