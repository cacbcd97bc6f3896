import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every JavaScript or TypeScript code block of README.md (info string js, javascript, mjs, cjs,
// ts, typescript) is checked, so the README cannot drift from the code. The words after the
// language in the info string say how:
//
//   ```js            type-checked (the default): strict TypeScript but for implicit any; checkJs for js
//   ```js run        type-checked, then run with Node in a scratch folder; the block must finish by
//                    itself. If it exports `handler`, that handler is invoked once with
//                    createAlbEvent() and must return an ALB result.
//
// A block is CommonJS when its language is cjs or it uses require() and no import; it is ESM
// otherwise. Blocks import the package by its name ('lambda-bridge', resolved to the built
// package) and may import './handler.js': an async ALB handler that answers 200 with
// `{ method, path }` as JSON. Blocks that start servers on fixed ports stay type-checked only.

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const require = createRequire(join(root, 'package.json'));

const LANGUAGES: Record<string, 'js' | 'ts' | 'cjs' | 'mjs'> = {
  js: 'js',
  javascript: 'js',
  mjs: 'mjs',
  cjs: 'cjs',
  ts: 'ts',
  typescript: 'ts',
};
const MODES = ['run'];

interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  language: 'js' | 'ts' | 'cjs' | 'mjs';
  commonjs: boolean;
  run: boolean;
  code: string;
  /** The file it is written to, relative to the scratch folder. */
  file: string;
}

/** The code blocks of a Markdown text, with their info strings. */
function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].trimStart().startsWith(fence); i++) body.push(lines[i]);
    const language = LANGUAGES[open[3].toLowerCase()];
    if (!language) continue;
    const words = open[4].trim().split(/\s+/).filter(Boolean);
    const unknown = words.filter((word) => !MODES.includes(word));
    if (unknown.length > 0) {
      throw new Error(
        `README.md line ${start + 1}: unknown word(s) ${unknown.join(', ')} after the language; use one of: ${MODES.join(', ')}.`,
      );
    }
    const code = body.join('\n');
    const commonjs =
      language === 'cjs' || (language !== 'mjs' && /\brequire\(/.test(code) && !/^\s*import\s/m.test(code));
    const extension = language === 'ts' ? (commonjs ? 'cts' : 'mts') : commonjs ? 'cjs' : 'mjs';
    blocks.push({
      line: start + 1,
      language,
      commonjs,
      run: words.includes('run'),
      code,
      file: `${commonjs ? 'cjs' : 'esm'}/block-${start + 1}.${extension}`,
    });
  }
  return blocks;
}

const HANDLER_JS = `async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ method: event.httpMethod, path: event.path }),
})`;
const HANDLER_DTS = `import type { AlbHandler } from 'lambda-bridge';
export declare const handler: AlbHandler;
`;

// Runs a block's module; invokes its `handler` export, if any, once.
const RUNNER = `import { pathToFileURL } from 'node:url';
import { createAlbEvent, createContext } from 'lambda-bridge';
const mod = await import(pathToFileURL(process.argv[2]).href);
if (typeof mod.handler === 'function') {
  const result = await mod.handler(createAlbEvent(), createContext());
  if (typeof result?.statusCode !== 'number') {
    throw new Error('the handler it exports returned ' + JSON.stringify(result));
  }
  console.log('handler answered ' + result.statusCode);
}
`;

/** Child processes get the environment without coverage collection. */
const env = { ...process.env };
delete env.NODE_V8_COVERAGE;

const blocks = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
let scratch: string;

beforeAll(() => {
  if (!existsSync(join(root, 'dist/esm/index.js')) || !existsSync(join(root, 'dist/cjs/index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  }
  // Inside the repository, so that express, koa and supertest resolve from its node_modules.
  mkdirSync(join(root, '.tmp'), { recursive: true });
  scratch = mkdtempSync(join(root, '.tmp', 'readme-'));
  mkdirSync(join(scratch, 'node_modules'));
  symlinkSync(root, join(scratch, 'node_modules/lambda-bridge'), 'dir');
  for (const [folder, type] of [
    ['esm', 'module'],
    ['cjs', 'commonjs'],
  ] as const) {
    mkdirSync(join(scratch, folder));
    writeFileSync(join(scratch, folder, 'package.json'), JSON.stringify({ type }));
    writeFileSync(
      join(scratch, folder, 'handler.js'),
      type === 'module' ? `export const handler = ${HANDLER_JS};\n` : `exports.handler = ${HANDLER_JS};\n`,
    );
    writeFileSync(join(scratch, folder, 'handler.d.ts'), HANDLER_DTS);
  }
  writeFileSync(join(scratch, 'run.mjs'), RUNNER);
  for (const block of blocks) {
    // A block without import or export would be a script sharing globals with the others.
    const isolated = block.commonjs ? block.code : `${block.code}\nexport {};\n`;
    writeFileSync(join(scratch, block.file), isolated);
  }
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        strict: true,
        // Plain JavaScript samples do not annotate their parameters.
        noImplicitAny: false,
        allowJs: true,
        checkJs: true,
        skipLibCheck: true,
        noEmit: true,
        types: ['node'],
      },
      files: blocks.map((block) => block.file),
    }),
  );
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('README.md code blocks', () => {
  it('finds the JavaScript and TypeScript blocks, both module systems among them', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    expect(blocks.some((block) => block.commonjs)).toBe(true);
    expect(blocks.some((block) => block.run)).toBe(true);
  });

  it('type-check as one program', { timeout: 180_000 }, async () => {
    const tsc = require.resolve('typescript/bin/tsc');
    let output = '';
    try {
      await run(process.execPath, [tsc, '-p', scratch, '--pretty', 'false'], { env, timeout: 170_000 });
    } catch (error) {
      output = (error as { stdout?: string }).stdout ?? String(error);
    }
    // Point each diagnostic at its README line.
    const readable = output.replace(
      /\S*(?:esm|cjs)\/block-(\d+)\.\w+\((\d+),(\d+)\)/g,
      (_all, start, line, column) => {
        return `README.md:${Number(start) + Number(line)}:${column}`;
      },
    );
    expect(readable).toBe('');
  });

  for (const block of blocks.filter((b) => b.run)) {
    it(`line ${block.line} (${block.commonjs ? 'CommonJS' : 'ESM'}) runs`, { timeout: 60_000 }, async () => {
      const loader = block.language === 'ts' ? ['--import', 'tsx'] : [];
      const { stderr } = await run(process.execPath, [...loader, 'run.mjs', block.file], {
        cwd: scratch,
        env,
        timeout: 50_000,
      });
      expect(stderr).toBe('');
    });
  }
});

describe('the README dispatch for non-HTTP events', () => {
  // The blocks that route warmers and EventBridge events before the bridge, in both module systems.
  const dispatch = blocks.filter((block) => block.run && /\{ warmed: true \}/.test(block.code));
  const scheduled = {
    version: '0',
    id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: '2026-11-27T12:00:00Z',
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/warmer'],
    detail: {},
  };

  it('is there in ESM and CommonJS', () => {
    expect(dispatch.map((block) => block.commonjs).sort()).toEqual([false, true]);
  });

  it('answers an EventBridge event itself, which the bridge alone refuses, and passes HTTP events on', {
    timeout: 60_000,
  }, async () => {
    const { UnknownEventError, createContext, toLambda } = await import('lambda-bridge');
    await expect(toLambda(() => {})(scheduled as never, createContext())).rejects.toThrow(UnknownEventError);
    for (const block of dispatch) {
      const script = `import { pathToFileURL } from 'node:url';
import { createAlbEvent, createContext } from 'lambda-bridge';
const { handler } = await import(pathToFileURL(process.argv[2]).href);
const event = ${JSON.stringify(scheduled)};
console.log(JSON.stringify([await handler(event, createContext()), await handler(createAlbEvent(), createContext())]));
`;
      writeFileSync(join(scratch, 'dispatch.mjs'), script);
      const { stdout } = await run(process.execPath, ['dispatch.mjs', block.file], {
        cwd: scratch,
        env,
        timeout: 50_000,
      });
      const [other, http] = JSON.parse(stdout);
      expect(other).toEqual({ warmed: true });
      expect(http).toMatchObject({ statusCode: 200, body: 'home' });
    }
  });
});

describe('readmeBlocks', () => {
  it('reads the language, the mode and the module system from each fence', () => {
    const markdown = [
      '```sh',
      'npm test',
      '```',
      '```js run',
      "import x from 'y';",
      '```',
      '```js',
      "const x = require('y');",
      '```',
      '```ts',
      'let a = 1;',
      '```',
    ].join('\n');
    expect(readmeBlocks(markdown)).toEqual([
      {
        line: 4,
        language: 'js',
        commonjs: false,
        run: true,
        code: "import x from 'y';",
        file: 'esm/block-4.mjs',
      },
      {
        line: 7,
        language: 'js',
        commonjs: true,
        run: false,
        code: "const x = require('y');",
        file: 'cjs/block-7.cjs',
      },
      { line: 10, language: 'ts', commonjs: false, run: false, code: 'let a = 1;', file: 'esm/block-10.mts' },
    ]);
  });

  it('refuses an unknown mode word, so a typo does not pass unchecked', () => {
    expect(() => readmeBlocks('```js runn\n1\n```')).toThrow(/line 1: unknown word\(s\) runn/);
  });
});
