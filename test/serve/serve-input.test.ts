import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DevServer, serve } from '../../adapters/serve.js';
import { parseEnvFile, parseHandlerSpec, readEnvFile, watchRoot } from '../../adapters/serve-input.js';
import { InvalidOptionError, LambdaBridgeError } from '../../lib/errors.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'lambda-bridge.mjs');
const HANDLER =
  'export const handler = async () => ({ statusCode: 200, body: JSON.stringify(process.env.ORDER ?? null) });\n';

let dir: string;
const at = (...parts: string[]) => join(dir, ...parts);
function put(path: string, text = HANDLER): void {
  mkdirSync(dirname(at(path)), { recursive: true });
  writeFileSync(at(path), text);
}

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'lb-input-')));
  put('handler.js');
  put('src/api.mjs');
  put('both.js');
  put('both.mjs');
  put('lib/legacy.cjs');
  put('typed.ts');
  put('bare');
  put('app/index.js');
  put('dotted.name.js');
  put('app.env', 'BROKEN\nORDER=kept\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseHandlerSpec', () => {
  describe("Lambda's handler string, as SAM and the console write it", () => {
    it.each([
      ['handler.handler', 'handler.js', 'handler'],
      ['src/api.main', 'src/api.mjs', 'main'],
      ['lib/legacy.run', 'lib/legacy.cjs', 'run'],
      ['both.handler', 'both.js', 'handler'],
      ['bare.handler', 'bare', 'handler'],
      ['typed.handler', 'typed.ts', 'handler'],
      ['app/index.handler', 'app/index.js', 'handler'],
    ])('%s is the file %s, export %s', (spec, file, exportName) => {
      expect(parseHandlerSpec(at(spec))).toEqual({ file: at(file), exportName });
    });

    it('the module name ends at the first dot of the last segment, as the Node.js runtime reads it', () => {
      expect(() => parseHandlerSpec(at('dotted.name.handler'))).toThrow(
        /module "dotted", export "name.handler"/,
      );
      expect(() => parseHandlerSpec(at('handler.a.b'))).toThrow(InvalidOptionError);
      expect(() => parseHandlerSpec(at('handler.a.b'))).toThrow(/nested export \("a.b"\)/);
    });

    it('a missing file with a module extension is named as a missing file', () => {
      expect(() => parseHandlerSpec(at('absent.mjs'))).toThrow(
        `The handler file ${at('absent.mjs')} does not exist.`,
      );
    });

    it('names the module and export it looked for when no file matches', () => {
      expect(() => parseHandlerSpec(at('absent.handler'))).toThrow(
        /does not exist, and read as Lambda's handler string \(module "absent", export "handler"\) neither does .*absent with \.js, \.mjs, \.cjs or \.ts/,
      );
    });
  });

  describe('paths', () => {
    it('a file that exists is the module, export "handler", even with a dot in its name', () => {
      expect(parseHandlerSpec(at('handler.js'))).toEqual({ file: at('handler.js'), exportName: 'handler' });
      expect(parseHandlerSpec(at('dotted.name.js'))).toEqual({
        file: at('dotted.name.js'),
        exportName: 'handler',
      });
    });

    it('file#export names the export', () => {
      expect(parseHandlerSpec(`${at('src/api.mjs')}#main`)).toEqual({
        file: at('src/api.mjs'),
        exportName: 'main',
      });
    });

    it.each([
      ['a folder', () => at('app')],
      ['a folder with #export', () => `${at('app')}#main`],
    ])('%s says it is a directory and how to name the module', (_name, spec) => {
      const error = (() => {
        try {
          parseHandlerSpec(spec());
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(LambdaBridgeError);
      expect(error).toMatchObject({ code: 'LAMBDA_BRIDGE_HANDLER_FILE_MISSING' });
      expect(String((error as Error).message)).toContain(`${at('app')} is a directory, not a file`);
      expect(String((error as Error).message)).toContain(join(at('app'), 'index.handler'));
    });

    it('relative paths resolve against the working directory', () => {
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        expect(parseHandlerSpec('src/api.main')).toEqual({ file: at('src/api.mjs'), exportName: 'main' });
        expect(parseHandlerSpec('./handler.js')).toEqual({ file: at('handler.js'), exportName: 'handler' });
      } finally {
        process.chdir(cwd);
      }
    });
  });
});

describe('watchRoot', () => {
  it("is the handler's package root: the nearest folder above it with a package.json", () => {
    put('pkg/package.json', '{}');
    put('pkg/src/handlers/api.mjs');
    put('pkg/src/lib/deep/x.mjs');
    expect(watchRoot(at('pkg/src/handlers/api.mjs'))).toBe(at('pkg'));
    expect(watchRoot(at('pkg/src/lib/deep/x.mjs'))).toBe(at('pkg'));
  });

  it("is the handler's own folder when no package.json is above it", () => {
    // The temporary folder has no package.json up to the root.
    expect(watchRoot(at('src/api.mjs'))).toBe(at('src'));
  });
});

describe('parseEnvFile', () => {
  it('a line without "=" is reported with its number, and the next variable is kept', () => {
    const text = 'FIRST=1\nBROKEN LINE\nNEXT=2\nLAST=3\n';
    expect(parseEnvFile(text)).toEqual({
      variables: { FIRST: '1', NEXT: '2', LAST: '3' },
      problems: [{ line: 2, reason: 'no "=" in "BROKEN LINE"' }],
    });
    // Node's own parser joins the broken line to the next variable's name.
    expect(parseEnv(text)).not.toHaveProperty('NEXT');
  });

  it.each([
    ['comments and blank lines', '# a comment\n\n  A=1 # trailing\n', { A: '1' }],
    ['export prefixes', 'export A=1\nexport  B = two words \n', { A: '1', B: 'two words' }],
    ['quoted values keep # and spaces', `A="x # y"\nB='  z  '\nC=\`q\``, { A: 'x # y', B: '  z  ', C: 'q' }],
    ['a double-quoted value expands \\n', 'A="a\\nb"\nB=\'a\\nb\'', { A: 'a\nb', B: 'a\\nb' }],
    ['a quoted value spans lines', 'A="one\ntwo"\nB=3', { A: 'one\ntwo', B: '3' }],
    ['an empty value', 'A=\nB=""', { A: '', B: '' }],
    ['a later line wins', 'A=1\nA=2', { A: '2' }],
    ['CRLF line ends', 'A=1\r\nB=2\r\n', { A: '1', B: '2' }],
  ])('%s', (_name, text, variables) => {
    expect(parseEnvFile(text)).toEqual({ variables, problems: [] });
  });

  it('an unclosed quote is reported, and the lines after it are read on their own', () => {
    expect(parseEnvFile('A="never closed\nB=2\nC=3')).toEqual({
      variables: { B: '2', C: '3' },
      problems: [{ line: 1, reason: 'the " quote that opens the value of A is never closed' }],
    });
  });

  it('a name that is not a variable name is reported', () => {
    expect(parseEnvFile('1ABC=1\nOK=2').problems).toEqual([
      { line: 1, reason: '"1ABC" is not a variable name' },
    ]);
  });

  it('readEnvFile names the file and line of each problem', () => {
    put('bad.env', 'A=1\nnot a variable\nB=2\n');
    const problems: string[] = [];
    expect(readEnvFile(at('bad.env'), (message) => problems.push(message))).toEqual({ A: '1', B: '2' });
    expect(problems).toEqual([
      `${at('bad.env')}:2: line ignored, no "=" in "not a variable"; a line is NAME=value (the next line is read on its own).`,
    ]);
  });
});

// The command as a user runs it: the bin file itself, started through its #! line.
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

function runBin(args: string[]) {
  const child = spawn(BIN, args, {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const output = { out: '', err: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output.out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output.err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, ms = 15_000): Promise<RegExpExecArray> => {
    const until = Date.now() + ms;
    for (;;) {
      const found = pattern.exec(output.out + output.err);
      if (found) return found;
      if (child.exitCode !== null || Date.now() > until)
        throw new Error(`no match for ${pattern}:\n${output.out}${output.err}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { child, output, exited, waitFor };
}

describe('the lambda-bridge command owns its options', () => {
  beforeAll(() => {
    // The bin runs the built package; `npm test` builds first, a lone run of this file may not have.
    if (!existsSync(join(ROOT, 'dist', 'esm', 'cli.js')))
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
  });

  it("a missing --env-file gets its own message and exit code 2, not Node's", async () => {
    const run = runBin(['serve', 'handler.js', '--port', '0', '--env-file', './nope.env']);
    expect(await run.exited).toBe(2);
    expect(run.output.err).toBe(`lambda-bridge: The env file ${at('nope.env')} cannot be read.\n`);
  });

  it('--env-file=path works too, and a malformed line is a warning that keeps the next variable', async () => {
    const run = runBin(['serve', 'handler.handler', '--port', '0', '--env-file=app.env']);
    const [, url] = await run.waitFor(/serving \S+ at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(run.output.err).toContain(`WARN ${at('app.env')}:1: line ignored, no "=" in "BROKEN"`);
    const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    expect(await response.json()).toBe('kept');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it("Lambda's handler syntax and a folder, from the command line", async () => {
    const folder = runBin(['serve', 'app', '--port', '0']);
    expect(await folder.exited).toBe(2);
    expect(folder.output.err).toMatch(/^lambda-bridge: The handler .*app is a directory, not a file/);
    const lambda = runBin(['serve', 'handler.handler', '--port', '0', '--env-file', 'app.env']);
    const [, url] = await lambda.waitFor(/serving handler\.handler at (http:\/\/127\.0\.0\.1:\d+)/);
    expect(await (await fetch(url, { signal: AbortSignal.timeout(15_000) })).json()).toBe('kept');
    lambda.child.kill('SIGTERM');
    expect(await lambda.exited).toBe(0);
  });
});

describe('serve() from code', () => {
  let server: DevServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('resolves a relative handler against process.cwd() and logs nothing without a log option', async () => {
    put('invalid.mjs', 'export const handler = async () => "not a result";\n');
    const cwd = process.cwd();
    const writes: string[] = [];
    const spies = [process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, 'write').mockImplementation((chunk) => writes.push(String(chunk)) > 0),
    );
    try {
      process.chdir(dir);
      server = await serve({ handler: 'invalid.mjs', port: 0 });
      process.chdir(cwd);
      const response = await fetch(server.url, { signal: AbortSignal.timeout(15_000) });
      expect(response.status).toBe(502);
      await response.text();
    } finally {
      process.chdir(cwd);
      for (const spy of spies) spy.mockRestore();
    }
    expect(writes).toEqual([]);
  });
});
