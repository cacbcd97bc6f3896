import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, InvalidOptionError, LambdaBridgeError } from '../lib/errors.js';

// What `serve` reads from the user before anything runs: the handler to load and the env file.

/** One more function for `serve`: its handler, and its own timeout and memory size when they differ. */
export interface FunctionSpec {
  /** The handler module, as `handler`: `./worker.js` or `./src/jobs.ts#render`. */
  handler: string;
  /** The function timeout in milliseconds. @default the server's `timeout` */
  timeout?: number;
  /** The memory size in MB. @default the server's `memorySize` */
  memorySize?: number;
}

export interface HandlerTarget {
  /** The absolute path of the handler module. */
  file: string;
  exportName: string;
}

/** What Lambda's runtime tries after a handler string's module name, in its order; then TypeScript. */
const MODULE_EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function kind(path: string): 'file' | 'folder' | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : undefined;
  } catch {
    return undefined;
  }
}

function checkExportName(name: string, spec: string): void {
  if (IDENTIFIER.test(name)) return;
  throw new InvalidOptionError(
    name.includes('.')
      ? `The handler "${spec}" names a nested export (${JSON.stringify(name)}); export the function by name and serve it as file.js#name.`
      : `The export name in "${spec}" must be a JavaScript identifier; got ${JSON.stringify(name)}.`,
  );
}

function folderError(folder: string): LambdaBridgeError {
  return new LambdaBridgeError(
    'LAMBDA_BRIDGE_HANDLER_FILE_MISSING',
    `The handler ${folder} is a directory, not a file: name the module in it, as ${join(folder, 'index.js')} or as Lambda does, ${join(folder, 'index.handler')}.`,
  );
}

/**
 * Reads a handler as a path, resolved against the working directory, in one of three forms:
 * `./handler.js` (export `handler`), `./src/api.ts#main`, or Lambda's own handler string,
 * `handler.handler` or `src/api.main`: the module name up to the first dot of the last path
 * segment, tried with no extension, `.js`, `.mjs` and `.cjs` as the Node.js runtime tries them
 * (then `.ts`, `.mts`, `.cts`), and the export after the dot.
 */
export function parseHandlerSpec(spec: string): HandlerTarget {
  if (typeof spec !== 'string' || spec === '') {
    throw new InvalidOptionError(
      `The handler is a module path such as ./handler.js, ./src/api.ts#main or handler.handler; got ${describe(spec)}.`,
    );
  }
  const hash = spec.lastIndexOf('#');
  if (hash !== -1) {
    const file = resolve(spec.slice(0, hash));
    const exportName = spec.slice(hash + 1);
    const found = kind(file);
    if (found === 'folder') throw folderError(file);
    if (found === undefined) {
      throw new LambdaBridgeError(
        'LAMBDA_BRIDGE_HANDLER_FILE_MISSING',
        `The handler file ${file} does not exist.`,
      );
    }
    checkExportName(exportName, spec);
    return { file, exportName };
  }
  const path = resolve(spec);
  const found = kind(path);
  if (found === 'file') return { file: path, exportName: 'handler' };
  if (found === 'folder') throw folderError(path);
  const name = basename(path);
  const dot = name.indexOf('.');
  // `handler.js` names a file that is missing, not the export "js" of a module "handler".
  if (dot > 0 && dot < name.length - 1 && !MODULE_EXTENSIONS.includes(name.slice(dot))) {
    const base = join(dirname(path), name.slice(0, dot));
    const exportName = name.slice(dot + 1);
    for (const extension of MODULE_EXTENSIONS) {
      const kindOf = kind(base + extension);
      if (kindOf === 'file') {
        checkExportName(exportName, spec);
        return { file: base + extension, exportName };
      }
    }
    throw new LambdaBridgeError(
      'LAMBDA_BRIDGE_HANDLER_FILE_MISSING',
      `The handler file ${path} does not exist, and read as Lambda's handler string (module "${name.slice(0, dot)}", export "${exportName}") neither does ${base} with .js, .mjs, .cjs or .ts.`,
    );
  }
  throw new LambdaBridgeError(
    'LAMBDA_BRIDGE_HANDLER_FILE_MISSING',
    `The handler file ${path} does not exist.`,
  );
}

/** A line of an env file that was left out, with its 1-based number and why. */
export interface EnvFileProblem {
  line: number;
  reason: string;
}

const KEY = /^[A-Za-z_][\w.-]*$/;

/**
 * Reads dotenv text: `NAME=value` lines, with an optional `export ` before the name; `#` starts
 * a comment outside quotes; a value in single, double or back quotes may span lines, and `\n`
 * in double quotes is a line break. A line that is none of these is left out and reported, and
 * the line after it is read on its own.
 */
export function parseEnvFile(text: string): {
  variables: Record<string, string>;
  problems: EnvFileProblem[];
} {
  const variables: Record<string, string> = {};
  const problems: EnvFileProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const statement = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = statement.indexOf('=');
    if (eq === -1) {
      problems.push({ line: i + 1, reason: `no "=" in ${JSON.stringify(show(line))}` });
      continue;
    }
    const key = statement.slice(0, eq).trim();
    if (!KEY.test(key)) {
      problems.push({ line: i + 1, reason: `${JSON.stringify(show(key))} is not a variable name` });
      continue;
    }
    const rest = statement.slice(eq + 1).trimStart();
    const quote = rest[0];
    if (quote !== '"' && quote !== "'" && quote !== '`') {
      const hash = rest.indexOf('#');
      variables[key] = (hash === -1 ? rest : rest.slice(0, hash)).trim();
      continue;
    }
    // A quoted value ends at the next quote of its kind, on this line or a later one.
    let value = rest.slice(1);
    let end = value.indexOf(quote);
    let last = i;
    while (end === -1 && last + 1 < lines.length) {
      last++;
      value += `\n${lines[last]}`;
      end = value.indexOf(quote);
    }
    if (end === -1) {
      problems.push({
        line: i + 1,
        reason: `the ${quote} quote that opens the value of ${key} is never closed`,
      });
      continue;
    }
    value = value.slice(0, end);
    variables[key] = quote === '"' ? value.replace(/\\n/g, '\n') : value;
    i = last;
  }
  return { variables, problems };
}

function show(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * The variables of a dotenv file; `onProblem` hears of each line left out (as
 * `file:line: reason`).
 */
export function readEnvFile(path: string, onProblem?: (message: string) => void): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LambdaBridgeError(
      'LAMBDA_BRIDGE_ENV_FILE_MISSING',
      `The env file ${resolve(path)} cannot be read.`,
    );
  }
  const { variables, problems } = parseEnvFile(text);
  for (const problem of problems) {
    onProblem?.(
      `${resolve(path)}:${problem.line}: line ignored, ${problem.reason}; a line is NAME=value (the next line is read on its own).`,
    );
  }
  return variables;
}

/**
 * The folder `--watch` watches for a handler: its package root, the nearest folder above the
 * handler file that holds a `package.json`, so that a change to any module the handler imports
 * from its own package (`src/lib/` beside `src/handlers/`) reloads it. Without a `package.json`
 * up to the file system root, the handler's own folder.
 */
export function watchRoot(file: string): string {
  for (let folder = dirname(file); ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) return dirname(file);
  }
}
