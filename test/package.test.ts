import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
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

/** The repository's TypeScript compiler, run in the user project: exit code and diagnostics. */
async function tsc(cwd: string, project: string): Promise<{ code: number; output: string }> {
  const bin = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  try {
    const stdout = await exec(process.execPath, [bin, '-p', project, '--pretty', 'false'], cwd, 60_000);
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, output: failed.stdout ?? '' };
  }
}

// A user's TypeScript project, CommonJS as `npm init` makes it, with nothing installed but the
// tarball (and @types/node, as any Node project has), checked with skipLibCheck off: the
// declarations compile as shipped, correct code compiles, and mistakes are errors (a missing
// types package would make every event and result `any`, and hide them under skipLibCheck).
const userProject = {
  'tsconfig.json': {
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      noEmit: true,
    },
    files: ['app.mts', 'server.cts', 'types.cts', 'wrong.mts', 'forward.mts', 'forward.cts'],
  },
  'app.mts': `import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAlbEvent, createContext, toLambda, toListener } from 'lambda-bridge';

export const handler = toLambda((req: IncomingMessage, res: ServerResponse) => res.end(req.url));
const result = await handler(createAlbEvent({ url: '/items' }), createContext());
const status: number = result.statusCode;
const body: string | undefined = result.body;
export const summary = { status, body, type: result.headers?.['content-type'] };
export const listener = toListener(async (event) => ({ statusCode: 200, body: event.path }));
`,
  'server.cts': `import { serve } from 'lambda-bridge/serve';
import { toLambda, type ALBHandlerLike } from './types.cjs';

export async function start(): Promise<string> {
  const server = await serve({ handler: './handler.cjs', port: 0, multiValueHeaders: true });
  await server.close();
  return server.url;
}
export const handler: ALBHandlerLike = toLambda((_req, res) => res.end());
`,
  'types.cts': `export { toLambda, type AlbHandler as ALBHandlerLike } from 'lambda-bridge';
`,
  'forward.mts': `import type { ALBEvent, ALBResult } from 'aws-lambda';
import {
  type AlbHandler,
  getInvocation,
  InvalidOptionError,
  LambdaBridgeError,
  type ToLambdaOptions,
  toLambda,
} from 'lambda-bridge/lambda';

const options: ToLambdaOptions = { binary: ['image/*'], singleSetCookie: 'fail' };
export const handler: AlbHandler = toLambda((req, res) => res.end(getInvocation(req)?.event.path), options);
export const answer = async (event: ALBEvent): Promise<ALBResult> => handler(event);
export const coded = (error: unknown): string | undefined =>
  error instanceof LambdaBridgeError || error instanceof InvalidOptionError ? error.code : undefined;
`,
  'forward.cts': `import { toLambda, type HttpHandler } from 'lambda-bridge/lambda';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export const handler: HttpHandler<APIGatewayProxyEventV2> = toLambda<APIGatewayProxyEventV2>((_req, res) => res.end());
`,
  'wrong.mts': `import { createAlbEvent, toLambda, toListener } from 'lambda-bridge';

const handler = toLambda((_req, res) => res.end());
const result = await handler(createAlbEvent());
export const nonsense = result.nonsense;
export const listener = toListener(async () => ({ statusCode: '200', body: {} }));
`,
};

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
  for (const [name, content] of Object.entries(userProject)) {
    writeFileSync(
      join(project, name),
      typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`,
    );
  }
  mkdirSync(join(project, 'node_modules/@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules/@types/node'), join(project, 'node_modules/@types/node'), 'dir');
  writeFileSync(
    join(project, 'handler.cjs'),
    "exports.handler = async (event) => ({ statusCode: 200, body: 'from cjs ' + event.path });\n",
  );
  writeFileSync(
    join(project, 'serve.cjs'),
    `const { serve } = require('lambda-bridge/serve');
serve({ handler: './handler.cjs', port: 0, log: () => {} }).then(async (server) => {
  const response = await fetch(server.url + '/hello');
  console.log(JSON.stringify({ status: response.status, body: await response.text() }));
  await server.close();
});
`,
  );
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
  writeFileSync(
    join(project, 'forward.mjs'),
    consumer(
      "import { toLambda, getInvocation, defaultIsBinary } from 'lambda-bridge/lambda';",
      "import.meta.resolve('lambda-bridge/lambda')",
    ),
  );
  writeFileSync(
    join(project, 'forward.cjs'),
    consumer(
      "const { toLambda, getInvocation, defaultIsBinary } = require('lambda-bridge/lambda');",
      "require.resolve('lambda-bridge/lambda')",
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
        'LICENSE',
        'dist/esm/index.js',
        'dist/esm/index.d.ts',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/cjs/package.json',
        'dist/esm/lambda.js',
        'dist/esm/lambda.d.ts',
        'dist/cjs/lambda.js',
        'dist/cjs/lambda.d.ts',
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

  it.each([
    ['import', 'forward.mjs', /\/node_modules\/lambda-bridge\/dist\/esm\/lambda\.js$/],
    ['require', 'forward.cjs', /[/\\]node_modules[/\\]lambda-bridge[/\\]dist[/\\]cjs[/\\]lambda\.js$/],
  ])('lambda-bridge/lambda answers an ALB event with %s', { timeout: 60_000 }, async (_how, file, path) => {
    const output = JSON.parse(await exec(process.execPath, [file], project));
    expect(output).toEqual({ ...expected, resolved: expect.stringMatching(path) });
    expect(output.arity).toBeLessThanOrEqual(2);
  });

  it.each([
    ['import', "import('lambda-bridge/lambda').then((m) => console.log(JSON.stringify(Object.keys(m))))"],
    ['require', "console.log(JSON.stringify(Object.keys(require('lambda-bridge/lambda'))))"],
  ])(
    'lambda-bridge/lambda carries the forward direction alone (%s)',
    { timeout: 60_000 },
    async (how, code) => {
      const names: string[] = JSON.parse(
        await exec(
          process.execPath,
          [how === 'import' ? '--input-type=module' : '--input-type=commonjs', '-e', code],
          project,
        ),
      );
      expect(names).toEqual(
        expect.arrayContaining(['toLambda', 'getInvocation', 'fromFetch', 'LambdaBridgeError']),
      );
      for (const reverse of [
        'toListener',
        'toExpress',
        'toKoa',
        'toFetch',
        'createAlbEvent',
        'invokeHandler',
        'createContext',
      ]) {
        expect(names).not.toContain(reverse);
      }
      const bundle = readFileSync(
        join(project, 'node_modules/lambda-bridge/dist', how === 'import' ? 'esm' : 'cjs', 'lambda.js'),
        'utf8',
      );
      // Neither the emulator, the runtime client models nor the dev server are in the file.
      expect(bundle).not.toMatch(
        /lib\/emulate\.ts|lib\/invoke\/ric[34]\.ts|lib\/pool\/|adapters\/(node|koa|fetch|serve)\.ts/,
      );
      expect(bundle).toMatch(/adapters\/lambda\.ts/);
    },
  );

  it('carries its license and links', () => {
    const installed = join(project, 'node_modules/lambda-bridge');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      license: 'MIT',
      repository: { type: 'git', url: 'git+https://github.com/lambda-bridge/lambda-bridge.git' },
      homepage: 'https://github.com/lambda-bridge/lambda-bridge#readme',
      bugs: { url: 'https://github.com/lambda-bridge/lambda-bridge/issues' },
      dependencies: { '@types/aws-lambda': expect.any(String) },
    });
    const license = readFileSync(join(installed, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the lambda-bridge authors\n/);
  });

  it('has examples that import the package by its name, so they can be copied as they are', () => {
    const sources = readdirSync(join(root, 'examples'), { recursive: true, encoding: 'utf8' }).filter(
      (path) => /\.[cm]?[jt]s$/.test(path),
    );
    expect(sources.length).toBeGreaterThan(5);
    const relative = sources.filter((path) =>
      /from '(\.\.\/)+(index|lib\/|adapters\/)/.test(readFileSync(join(root, 'examples', path), 'utf8')),
    );
    expect(relative).toEqual([]);
  });

  it.each([
    [
      'import',
      'global.mjs',
      "import 'lambda-bridge/global';\nimport { InvokeStore, invokeHandler } from 'lambda-bridge';",
    ],
    [
      'require',
      'global.cjs',
      "require('lambda-bridge/global');\nconst { InvokeStore, invokeHandler } = require('lambda-bridge');",
    ],
  ])(
    'lambda-bridge/global installs awslambda with %s; the main entry shares its store',
    { timeout: 60_000 },
    async (_how, file, load) => {
      writeFileSync(
        join(project, file),
        `${load}
const installed = globalThis.awslambda;
invokeHandler(async () => globalThis.awslambda.InvokeStore.getRequestId(), {}, { awsRequestId: 'req-g' }).then((outcome) => {
  console.log(JSON.stringify({ same: installed.InvokeStore === InvokeStore, outcome }));
});
`,
      );
      const output = JSON.parse(await exec(process.execPath, [file], project));
      expect(output).toEqual({ same: true, outcome: { result: 'req-g' } });
    },
  );

  it('exposes its package.json', { timeout: 60_000 }, async () => {
    const output = await exec(
      process.execPath,
      ['-p', "require('lambda-bridge/package.json').version"],
      project,
    );
    expect(output.trim()).toBe(version);
  });

  it('declares its types package: a user project type-checks against the packed declarations', {
    timeout: 120_000,
  }, async () => {
    expect(existsSync(join(project, 'node_modules/@types/aws-lambda/package.json'))).toBe(true);
    const { code, output } = await tsc(project, 'tsconfig.json');
    // Only the two deliberate mistakes: nothing inside node_modules, nothing in the correct files.
    const errors = output.split('\n').filter((line) => line.includes('error TS'));
    expect(errors).toEqual([
      expect.stringMatching(
        /^wrong\.mts\(5,\d+\): error TS2339: Property 'nonsense' does not exist on type 'ALBResult'/,
      ),
      // The handler parameter also takes a streaming handler, so the mistake is reported on the argument.
      expect.stringMatching(/^wrong\.mts\(6,\d+\): error TS2345: /),
    ]);
    expect(output).toMatch(
      /wrong\.mts\(6,\d+\): error TS2345: [^\n]*\n(?: {2,}[^\n]*\n)*? {2,}Types of property 'statusCode' are incompatible/,
    );
    expect(code).toBe(2);
  });

  it('serves from CommonJS: require("lambda-bridge/serve")', { timeout: 60_000 }, async () => {
    const output = JSON.parse(await exec(process.execPath, ['serve.cjs'], project));
    expect(output).toEqual({ status: 200, body: 'from cjs /hello' });
  });
});
