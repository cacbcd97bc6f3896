import { basename, dirname, extname } from 'node:path';
import { describe, InvalidOptionError } from '../lib/errors.js';
import { checkContextOptions, type NodeRuntime } from '../lib/invoke/context.js';
import type { InvokerOutcome } from '../lib/invoke/handler.js';
import type { InvocationError } from '../lib/invoke/invoke.js';
import type { StreamTarget } from '../lib/invoke/stream-invoke.js';
import type { LogEntry } from '../lib/log.js';
import { EnvironmentPool } from '../lib/pool/pool.js';
import { watchFolder } from '../lib/pool/watch.js';
import { type FunctionSpec, parseHandlerSpec, watchRoot } from './serve-input.js';

// The functions `serve` runs besides its main handler (`functions`, `--function NAME=FILE`),
// reachable through the Invoke API only: each in its own execution environments.

/** One invocation as the Invoke API asks for it. */
export interface FunctionCall {
  event: unknown;
  awsRequestId: string;
  traceId: string;
  warn(message: string): void;
  /** `context.clientContext`. */
  clientContext?: unknown;
  /** Receives what the function writes during the invocation (isolated environments only). */
  output?(chunk: Buffer): void;
  /** Where a streaming handler's response goes; without it, a streaming handler fails. */
  stream?: StreamTarget;
}

/** A function the Invoke API can invoke. */
export interface ApiFunction {
  name: string;
  memorySize: number;
  /** Runs one invocation; `streamed` when the response went out through `call.stream`. */
  invoke(call: FunctionCall): Promise<InvokerOutcome>;
  /** Logs for this function (its lines name it when it is not the main handler). */
  log(entry: LogEntry): void;
}

/** Lambda's rule for a function name. */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Checks a function name; throws `InvalidOptionError` naming where it came from. */
export function checkFunctionName(name: unknown, where: string): void {
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
    throw new InvalidOptionError(
      `${where} is a function name of 1 to 64 letters, digits, hyphens and underscores; it got ${describe(name)}.`,
    );
  }
}

/** Reads `NAME=FILE[#export]` as `--function` takes it. */
export function parseFunctionArgument(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) {
    throw new InvalidOptionError(
      `--function takes NAME=FILE[#export], as worker=./worker.js; got "${text}".`,
    );
  }
  const name = text.slice(0, eq);
  checkFunctionName(name, `The name in --function "${text}"`);
  return [name, text.slice(eq + 1)];
}

/** What the extra functions share with the main handler. */
export interface SharedSettings {
  timeout: number;
  memorySize: number;
  region: string;
  runtime: NodeRuntime;
  accountId?: string;
  /** The variables from `envFile` and `env`. */
  variables: Record<string, string>;
  concurrency: number;
  /** Lambda Managed Instances: invocations each environment serves at once. */
  maxConcurrency?: number;
  freeze: boolean;
  watch: boolean;
  emit(entry: LogEntry): void;
}

/** The variables Lambda sets for a function. */
export function lambdaVariables(
  functionName: string,
  file: string,
  exportName: string,
  memorySize: number,
  region: string,
  runtime: NodeRuntime,
): Record<string, string> {
  return {
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    _HANDLER: `${basename(file, extname(file))}.${exportName}`,
    LAMBDA_TASK_ROOT: dirname(file),
    TZ: 'UTC',
  };
}

/** Puts `[name] ` before each line a function's environments write. */
function prefixedWriter(name: string): (chunk: Buffer, fd: 1 | 2) => void {
  const atLineStart = { 1: true, 2: true };
  const prefix = `[${name}] `;
  return (chunk, fd) => {
    const text = chunk.toString('utf8');
    let out = '';
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      const line = end === -1 ? text.slice(start) : text.slice(start, end + 1);
      out += (atLineStart[fd] ? prefix : '') + line;
      atLineStart[fd] = end !== -1;
      start = end === -1 ? text.length : end + 1;
    }
    (fd === 1 ? process.stdout : process.stderr).write(out);
  };
}

/** The functions besides the main handler, started (INIT) and watched; `close`/`stop` end them. */
export interface ExtraFunctions {
  functions: ApiFunction[];
  close(): Promise<void>;
  stop(): Promise<void>;
}

/** Checks the `functions` option; throws `InvalidOptionError` naming the bad entry. */
export function checkFunctionSpecs(functions: unknown, mainName: string): Array<[string, FunctionSpec]> {
  if (typeof functions !== 'object' || functions === null || Array.isArray(functions)) {
    throw new InvalidOptionError(
      `The "functions" option maps names to handlers, as { worker: './worker.js' }; it got ${describe(functions)}.`,
    );
  }
  const specs: Array<[string, FunctionSpec]> = [];
  for (const [name, value] of Object.entries(functions)) {
    checkFunctionName(name, `The name "${name}" in "functions"`);
    if (name === mainName) {
      throw new InvalidOptionError(
        `The function "${name}" in "functions" has the main handler's name; give it another name (or the main handler another --function-name).`,
      );
    }
    const spec: unknown = typeof value === 'string' ? { handler: value } : value;
    if (typeof spec !== 'object' || spec === null || typeof (spec as FunctionSpec).handler !== 'string') {
      throw new InvalidOptionError(
        `The function "${name}" in "functions" is a handler path or { handler, timeout?, memorySize? }; it got ${describe(value)}.`,
      );
    }
    const { timeout, memorySize } = spec as FunctionSpec;
    if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1 && timeout <= 900_000)) {
      throw new InvalidOptionError(
        `The timeout of the function "${name}" is a whole number of milliseconds from 1 to 900000; it got ${describe(timeout)}.`,
      );
    }
    if (
      memorySize !== undefined &&
      !(Number.isInteger(memorySize) && memorySize >= 128 && memorySize <= 10240)
    ) {
      throw new InvalidOptionError(
        `The memory size of the function "${name}" is a whole number of MB from 128 to 10240; it got ${describe(memorySize)}.`,
      );
    }
    specs.push([name, spec as FunctionSpec]);
  }
  return specs;
}

/**
 * Starts the extra functions: each its own pool of isolated environments (whatever `isolate`
 * says), loaded now (INIT), reloaded when a file under its package root changes with `watch`.
 */
export function startFunctions(specs: Array<[string, FunctionSpec]>, shared: SharedSettings): ExtraFunctions {
  const targets = specs.map(([name, spec]) => [name, spec, parseHandlerSpec(spec.handler)] as const);
  const pools: EnvironmentPool[] = [];
  const unwatch: Array<() => void> = [];
  const functions: ApiFunction[] = [];
  for (const [name, spec, target] of targets) {
    const timeout = spec.timeout ?? shared.timeout;
    const memorySize = spec.memorySize ?? shared.memorySize;
    const { region, runtime, accountId } = shared;
    const log = (entry: LogEntry) => shared.emit({ ...entry, message: `[${name}] ${entry.message}` });
    const context = { functionName: name, memorySize, region, timeout, accountId };
    checkContextOptions({ ...context, runtime });
    const pool = new EnvironmentPool({
      data: {
        file: target.file,
        exportName: target.exportName,
        context,
        runtime,
        maxConcurrency: shared.maxConcurrency,
      },
      env: {
        ...(process.env as Record<string, string>),
        ...shared.variables,
        ...lambdaVariables(name, target.file, target.exportName, memorySize, region, runtime),
      },
      concurrency: shared.concurrency,
      timeout,
      memorySize,
      freeze: shared.freeze,
      write: prefixedWriter(name),
      onRetire: (reason) =>
        log({
          level: 'info',
          code: 'ENVIRONMENT_REPLACED',
          message: `environment stopped (${reason}); the next invocation starts a fresh one`,
        }),
    });
    pools.push(pool);
    const init = () => void pool.prewarm()?.then((outcome) => reportInit(outcome, log));
    init();
    if (shared.watch) {
      let pending: NodeJS.Timeout | undefined;
      unwatch.push(
        watchFolder(watchRoot(target.file), (file) => {
          clearTimeout(pending);
          pending = setTimeout(() => {
            pool.reload();
            init();
            log({ level: 'info', code: 'RELOAD', message: `reloading: ${file} changed` });
          }, 50);
        }),
        () => clearTimeout(pending),
      );
    }
    functions.push({
      name,
      memorySize,
      log,
      invoke: ({ event, awsRequestId, traceId, warn, clientContext, output, stream }) =>
        pool.invoke({ id: awsRequestId, event, traceId, warn, log, clientContext, output, stream }),
    });
  }
  const unwatchAll = () => {
    for (const stop of unwatch.splice(0)) stop();
  };
  return {
    functions,
    async close() {
      unwatchAll();
      await Promise.all(pools.map((pool) => pool.close()));
    },
    async stop() {
      unwatchAll();
      await Promise.all(pools.map((pool) => pool.stop()));
    },
  };
}

function reportInit(outcome: number | InvocationError, log: (entry: LogEntry) => void): void {
  if (typeof outcome === 'number') {
    log({ level: 'info', code: 'INIT', message: `INIT: the handler loaded in ${outcome.toFixed(2)} ms` });
  } else {
    log({
      level: 'warn',
      code: 'INIT_ERROR',
      message: `the handler failed to load; every invocation fails until it is fixed: ${outcome.errorType}: ${outcome.errorMessage}`,
    });
  }
}
