import { basename, extname } from 'node:path';
import type { Invoker } from '../lib/emulate.js';
import { describe, InvalidOptionError } from '../lib/errors.js';
import type { NodeRuntime } from '../lib/invoke/context.js';
import type { InvocationError } from '../lib/invoke/invoke.js';
import { type LogEntry, type LogHook, safeLog } from '../lib/log.js';
import { checkFunctionSpecs, type FunctionCall, lambdaVariables } from './functions.js';
import type { ServeOptions } from './serve.js';
import { type FunctionSpec, type HandlerTarget, parseHandlerSpec, readEnvFile } from './serve-input.js';

// `serve`'s options checked and settled into the values every part of the dev server uses, and
// what each way of running the handler (in its own processes, or in this one) gives back.

/** The options with their defaults applied, and what follows from them. */
export interface ServeSettings {
  target: HandlerTarget;
  functionName: string;
  /** The extra functions from `functions`, checked. */
  functionSpecs: Array<[string, FunctionSpec]>;
  timeout: number;
  memorySize: number;
  region: string;
  runtime: NodeRuntime;
  host: string;
  port: number;
  concurrency: number;
  /** Lambda Managed Instances (`maxConcurrency` is set). */
  managed: boolean;
  /** Whether idle environments are frozen: a managed instance is never frozen, its invocations overlap. */
  freeze: boolean;
  log: LogHook;
  emit(entry: LogEntry): void;
  contextOptions: {
    functionName: string;
    memorySize: number;
    region: string;
    timeout: number;
    accountId: string | undefined;
  };
  /** The variables the handler sees: `envFile`, `env`, then the ones Lambda sets. */
  lambdaEnv: Record<string, string>;
}

/** The handler's execution environments, however they run. */
export interface Environments {
  invoke: Invoker & ((call: FunctionCall) => ReturnType<Invoker>);
  /** Loads the handler before the first request (INIT): its Init Duration, or the error that stopped it. */
  init(): Promise<number | InvocationError> | undefined;
  /** Drops the loaded handler, so that the next INIT loads the changed files. */
  reload(): void;
  /** Lets busy environments finish, refusing queued invocations; then stops them. */
  drain(): Promise<void>;
  /** Stops every environment now. */
  stop(): Promise<void>;
}

export function checkServeOptions(options: ServeOptions): void {
  const { port, concurrency, host, maxConcurrency } = options;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new InvalidOptionError(
      `The "port" option is a whole number from 0 to 65535; it got ${describe(port)}.`,
    );
  }
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new InvalidOptionError(
      `The "concurrency" option is a whole number of at least 1; it got ${describe(concurrency)}.`,
    );
  }
  if (maxConcurrency !== undefined) {
    if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
      throw new InvalidOptionError(
        `The "maxConcurrency" option is a whole number of at least 1; it got ${describe(maxConcurrency)}.`,
      );
    }
    if (options.runtime === 'nodejs20.x') {
      throw new InvalidOptionError(
        `Lambda Managed Instances run Node.js 22 and later: "maxConcurrency" needs the runtime 'nodejs22.x' or 'nodejs24.x', not 'nodejs20.x'.`,
      );
    }
    if (options.isolate === false) {
      throw new InvalidOptionError(
        `"maxConcurrency" runs several invocations in each environment process; it needs isolated environments: drop "isolate: false" (--no-isolate).`,
      );
    }
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new InvalidOptionError(`The "host" option is a host name or address; it got ${describe(host)}.`);
  }
  const { invokePort, eventRetries, functions } = options;
  if (invokePort !== undefined && !(Number.isInteger(invokePort) && invokePort >= 0 && invokePort <= 65535)) {
    throw new InvalidOptionError(
      `The "invokePort" option is a whole number from 0 to 65535; it got ${describe(invokePort)}.`,
    );
  }
  if (
    eventRetries !== undefined &&
    !(Number.isInteger(eventRetries) && eventRetries >= 0 && eventRetries <= 2)
  ) {
    throw new InvalidOptionError(
      `The "eventRetries" option is 0, 1 or 2 (Lambda retries a failed Event invocation twice); it got ${describe(eventRetries)}.`,
    );
  }
  if (invokePort === undefined && functions !== undefined && Object.keys(functions).length > 0) {
    throw new InvalidOptionError(
      'The "functions" option needs "invokePort" (--invoke-port): more functions are reachable through the Invoke API only.',
    );
  }
}

/** Checks the options and settles them; reads the handler spec, the functions and the env file. */
export function serveSettings(options: ServeOptions): ServeSettings {
  checkServeOptions(options);
  const target = parseHandlerSpec(options.handler);
  const functionName =
    options.functionName ??
    (basename(target.file, extname(target.file)).replace(/[^\w-]/g, '-') || 'local-function');
  const functionSpecs = checkFunctionSpecs(options.functions ?? {}, functionName);
  const timeout = options.timeout ?? 3000;
  const memorySize = options.memorySize ?? 128;
  const region = options.region ?? 'us-east-1';
  const runtime = options.runtime ?? 'nodejs24.x';
  const managed = options.maxConcurrency !== undefined;
  const log = options.log ?? (() => {});
  const emit = (entry: LogEntry) => safeLog(log, entry);
  const contextOptions = { functionName, memorySize, region, timeout, accountId: options.accountId };
  const lambdaEnv: Record<string, string> = {
    ...(options.envFile
      ? readEnvFile(options.envFile, (message) =>
          emit({ level: 'warn', code: 'ENV_FILE_LINE_IGNORED', message }),
        )
      : {}),
    ...(options.env ?? {}),
    ...lambdaVariables(functionName, target.file, target.exportName, memorySize, region, runtime),
    ...(managed ? { AWS_LAMBDA_MAX_CONCURRENCY: String(options.maxConcurrency) } : {}),
  };
  return {
    target,
    functionName,
    functionSpecs,
    timeout,
    memorySize,
    region,
    runtime,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 3000,
    concurrency: options.concurrency ?? 10,
    managed,
    freeze: options.freeze !== false && !managed,
    log,
    emit,
    contextOptions,
    lambdaEnv,
  };
}
