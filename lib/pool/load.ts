import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeThrown, LambdaBridgeError } from '../errors.js';
import { type InvocationError, type NodeRuntime, usesRic4 } from '../invoke/invoke.js';
import { ric4ErrorPayload } from '../invoke/ric4.js';
import { poolUrl } from './here.js';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Whether a file needs a TypeScript loader. */
export function isTypeScript(file: string): boolean {
  return TYPESCRIPT.has(extname(file));
}

/**
 * Where tsx's module API is installed: next to the handler, in the working directory, or next
 * to this library; `undefined` when it is nowhere.
 */
export function findTsx(file: string): string | undefined {
  for (const base of [file, `${process.cwd()}/`, poolUrl]) {
    let manifest: string;
    try {
      manifest = createRequire(base).resolve('tsx/package.json');
    } catch {
      continue; // Not installed there; try the next place.
    }
    // The ESM entry of tsx's module API, as its exports map names it.
    const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> };
    const api = exports?.['./esm/api'] as { import?: string | { default?: string } } | undefined;
    const entry = typeof api?.import === 'string' ? api.import : api?.import?.default;
    if (entry) return pathToFileURL(join(dirname(manifest), entry)).href;
  }
  return undefined;
}

/** The URL of tsx's loader (its `--import` entry, which registers ESM and CommonJS hooks). */
export function tsxLoader(file: string): string | undefined {
  const api = findTsx(file);
  return api === undefined ? undefined : new URL('../../loader.mjs', api).href;
}

let registered = false;

/** Registers tsx in this thread so that `import()` loads TypeScript. */
export async function registerTypeScript(file: string): Promise<void> {
  if (registered) return;
  const api = findTsx(file);
  if (api === undefined) {
    throw new LambdaBridgeError(
      'LAMBDA_BRIDGE_TSX_MISSING',
      `${file} is TypeScript, which needs tsx to load: run "npm install --save-dev tsx" in your project, or compile the handler to JavaScript first.`,
    );
  }
  const { register } = (await import(api)) as { register: () => unknown };
  register();
  registered = true;
}

/**
 * Imports a handler module and returns the named export. `version` makes the import a fresh
 * module instance (the URL differs), for reloads in one thread.
 */
export async function loadHandler(file: string, exportName: string, version?: number): Promise<unknown> {
  if (isTypeScript(file)) await registerTypeScript(file);
  const url = pathToFileURL(file).href + (version ? `?v=${version}` : '');
  const mod = (await import(url)) as Record<string, unknown>;
  // Own properties only: `#constructor` or `#toString` must not find Object.prototype's members.
  let handler = Object.hasOwn(mod, exportName) ? mod[exportName] : undefined;
  const fallback = mod.default as Record<string, unknown> | undefined;
  if (
    handler === undefined &&
    typeof fallback === 'object' &&
    fallback !== null &&
    Object.hasOwn(fallback, exportName)
  )
    handler = fallback[exportName];
  if (typeof handler !== 'function') {
    const names = Object.keys(mod).filter((name) => name !== 'default' || typeof mod.default !== 'object');
    if (typeof fallback === 'object' && fallback !== null) names.push(...Object.keys(fallback));
    const exported =
      names.length === 0
        ? 'it exports nothing'
        : `it exports ${[...new Set(names)].map((n) => `"${n}"`).join(', ')}`;
    throw new LambdaBridgeError(
      'LAMBDA_BRIDGE_HANDLER_NOT_FOUND',
      handler === undefined
        ? `${file} has no export named "${exportName}"; ${exported}. Name the export with file.js#name.`
        : `${file} exports "${exportName}", but it is ${typeof handler}, not a function; ${exported}.`,
    );
  }
  return handler;
}

/**
 * The runtime's error for a handler that cannot be loaded: `Runtime.HandlerNotFound` for a
 * missing or non-function export, `Runtime.UserCodeSyntaxError` (with file, line and column) for
 * code that does not parse, `Runtime.ImportModuleError` for a module that is not found. A module
 * that throws while loading is reported as the runtime interface client 4 reports it (nodejs24.x):
 * with the thrown error's own type and message; under client 3 as `Runtime.ImportModuleError`
 * naming the file.
 */
export function importError(
  error: unknown,
  file: string,
  runtime: NodeRuntime = 'nodejs24.x',
  managedInstances = false,
): InvocationError {
  const ric4 = usesRic4(runtime, managedInstances);
  if (ric4 && !(error instanceof LambdaBridgeError) && !(error instanceof SyntaxError)) {
    const code = (error as { code?: unknown } | null)?.code;
    // Client 4 maps only CommonJS's MODULE_NOT_FOUND (and syntax errors); anything else thrown
    // while loading, an ES module's ERR_MODULE_NOT_FOUND included, is posted as it is.
    if (error instanceof Error && code === 'MODULE_NOT_FOUND') {
      return {
        errorType: 'Runtime.ImportModuleError',
        errorMessage: String(error),
        trace: error.stack ? error.stack.split('\n') : [],
      };
    }
    if (!(error instanceof Error && /^Transform failed with/.test(error.message)))
      return ric4ErrorPayload(error);
  }
  const err = error instanceof Error ? error : new Error(describeThrown(error));
  const trace = err.stack ? err.stack.split('\n') : [];
  if (err instanceof LambdaBridgeError) {
    const notFound = err.code === 'LAMBDA_BRIDGE_HANDLER_NOT_FOUND';
    return {
      errorType: notFound ? 'Runtime.HandlerNotFound' : 'Runtime.ImportModuleError',
      errorMessage: `${err.code}: ${err.message}`,
      trace,
    };
  }
  // tsx reports TypeScript that does not parse as esbuild's transform error, location included.
  const transform = /^Transform failed with \d+ errors?:\n(.+?:\d+:\d+): ERROR: (.*)$/m.exec(err.message);
  if (transform) {
    return {
      errorType: 'Runtime.UserCodeSyntaxError',
      errorMessage: `SyntaxError: ${transform[1]}: ${transform[2]}`,
      trace,
    };
  }
  if (err instanceof SyntaxError) {
    return {
      errorType: 'Runtime.UserCodeSyntaxError',
      errorMessage: `SyntaxError: ${syntaxLocation(err, file) ?? file}: ${err.message}`,
      trace,
    };
  }
  return { errorType: 'Runtime.ImportModuleError', errorMessage: `Error: ${file}: ${err.message}`, trace };
}

/** `file:line:column` from Node's syntax error banner (`file:line`, the source line, a caret). */
function bannerLocation(text: string): string | undefined {
  const lines = text.split('\n');
  const at = /^(.+):(\d+)$/.exec(lines[0] ?? '');
  if (!at) return undefined;
  const caret = (lines[2] ?? '').indexOf('^');
  return `${at[1]}:${at[2]}${caret === -1 ? '' : `:${caret + 1}`}`;
}

/**
 * Where a syntax error is. A CommonJS module's error carries it; an ES module's does not, so the
 * file is checked once more with `node --check`, whose banner has it.
 */
function syntaxLocation(err: SyntaxError, file: string): string | undefined {
  const carried = bannerLocation(err.stack ?? '');
  if (carried !== undefined || isTypeScript(file)) return carried;
  try {
    execFileSync(process.execPath, ['--check', file], { stdio: 'pipe', timeout: 5000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr;
    return stderr ? bannerLocation(stderr.toString('utf8')) : undefined;
  }
  return undefined; // The file itself parses: the error is in a module it imports.
}
