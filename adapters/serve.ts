import { AsyncLocalStorage } from 'node:async_hooks';
import { type Dirent, type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import { type AlbEmulatorOptions, createAlbFrontEnd, type Invoker } from '../lib/emulate.js';
import { describe, InvalidOptionError, LambdaBridgeError } from '../lib/errors.js';
import { contextFactory } from '../lib/invoke/context.js';
import { invoke, type LambdaHandler, type NodeRuntime } from '../lib/invoke/invoke.js';
import { type LogEntry, type LogHook, safeLog } from '../lib/log.js';
import { importError, loadHandler } from '../lib/pool/load.js';
import { EnvironmentPool } from '../lib/pool/pool.js';
import { parseHandlerSpec, readEnvFile } from './serve-input.js';

export { parseHandlerSpec, readEnvFile } from './serve-input.js';

export interface ServeOptions
  extends Pick<
    AlbEmulatorOptions,
    | 'multiValueHeaders'
    | 'strict'
    | 'stripPrefix'
    | 'diagnostics'
    | 'targetGroupArn'
    | 'accountId'
    | 'format'
    | 'stage'
  > {
  /** The handler module, with an optional export name: `./handler.js` or `./src/api.ts#main`. */
  handler: string;
  /** `0` picks a free port. @default 3000 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The function timeout in milliseconds. @default 3000 */
  timeout?: number;
  /** The function memory size in MB; also the V8 heap limit of each isolated environment. @default 128 */
  memorySize?: number;
  /** @default the handler file's name */
  functionName?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** @default 'nodejs22.x' */
  runtime?: NodeRuntime;
  /** A dotenv file whose variables the handler sees. @default none */
  envFile?: string;
  /** More variables the handler sees (after `envFile`). @default {} */
  env?: Record<string, string>;
  /** Reload the handler when a file under its folder (not node_modules) changes. @default false */
  watch?: boolean;
  /** The most execution environments at once; further requests wait. @default 10 */
  concurrency?: number;
  /** Run each environment in a worker thread; `false` runs the handler in this process. @default true */
  isolate?: boolean;
  /** Receives request lines, START/END/REPORT lines, warnings and reload notices. @default nothing */
  log?: LogHook;
}

export interface DevServer {
  /** `http://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets requests in flight finish (at most `timeout`), stops the environments. */
  close(): Promise<void>;
}

/** Left out of watching: `node_modules`, and dot-files and dot-folders. */
const unwatched = (name: string) => name === 'node_modules' || name.startsWith('.');

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Watches a folder and its subfolders (new ones too) for changed files, leaving out what
 * `unwatched` names. One watcher per folder: a recursive `fs.watch` would also watch every file
 * under node_modules. Returns the function that stops watching.
 */
function watchFolder(root: string, onChange: (file: string) => void): () => void {
  const watchers = new Map<string, FSWatcher>();
  const forget = (folder: string) => {
    for (const [dir, watcher] of watchers) {
      if (dir === folder || dir.startsWith(`${folder}${sep}`)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
  };
  const add = (folder: string) => {
    if (watchers.has(folder)) return;
    let watcher: FSWatcher;
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
      watcher = watch(folder, (_type, name) => {
        const part = String(name ?? '');
        if (part === '' || unwatched(part)) return;
        const path = join(folder, part);
        if (isFolder(path)) add(path);
        else forget(path);
        onChange(relative(root, path));
      });
    } catch {
      return; // The folder went away meanwhile.
    }
    watcher.on('error', () => forget(folder));
    watchers.set(folder, watcher);
    for (const entry of entries) {
      if (entry.isDirectory() && !unwatched(entry.name)) add(join(folder, entry.name));
    }
  };
  add(root);
  return () => forget(root);
}

function checkServeOptions(options: ServeOptions): void {
  const { port, concurrency, host } = options;
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
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw new InvalidOptionError(`The "host" option is a host name or address; it got ${describe(host)}.`);
  }
}

/**
 * The local ALB dev server: serves a handler file behind an emulated ALB, each execution
 * environment in its own worker thread, with real timeouts, crash recovery and reloads.
 *
 * @example
 * const server = await serve({ handler: './handler.js', port: 0 });
 * const response = await fetch(`${server.url}/hello`);
 * await server.close();
 */
export async function serve(options: ServeOptions): Promise<DevServer> {
  checkServeOptions(options);
  const target = parseHandlerSpec(options.handler);
  const functionName =
    options.functionName ??
    (basename(target.file, extname(target.file)).replace(/[^\w-]/g, '-') || 'local-function');
  const timeout = options.timeout ?? 3000;
  const memorySize = options.memorySize ?? 128;
  const region = options.region ?? 'us-east-1';
  const runtime = options.runtime ?? 'nodejs22.x';
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
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    _HANDLER: `${basename(target.file, extname(target.file))}.${target.exportName}`,
    LAMBDA_TASK_ROOT: dirname(target.file),
    TZ: 'UTC',
  };

  let invoker: Invoker;
  let reload: () => void;
  let stop: () => Promise<void>;
  if (options.isolate !== false) {
    const pool = new EnvironmentPool({
      data: { file: target.file, exportName: target.exportName, context: contextOptions, runtime },
      env: { ...(process.env as Record<string, string>), ...lambdaEnv },
      concurrency: options.concurrency ?? 10,
      timeout,
      memorySize,
      onRetire: (reason) =>
        emit({
          level: 'info',
          code: 'ENVIRONMENT_REPLACED',
          message: `environment stopped (${reason}); the next request starts a fresh one`,
        }),
    });
    invoker = ({ event, awsRequestId, traceId, warn }) => pool.invoke(awsRequestId, event, traceId, warn);
    reload = () => pool.reload();
    stop = () => pool.close();
  } else {
    // In this process: the variables are set here (and taken back on close), and a reload
    // re-imports the handler file itself.
    const contextFor = contextFactory(contextOptions); // checks the options before anything is set
    const saved = Object.keys(lambdaEnv).map((name) => [name, process.env[name]] as const);
    const traceBefore = process.env._X_AMZN_TRACE_ID;
    Object.assign(process.env, lambdaEnv);
    let version = 0;
    let loaded: Promise<unknown> | undefined;
    invoker = async ({ event, awsRequestId, traceId, warn }) => {
      const started = performance.now();
      loaded ??= loadHandler(target.file, target.exportName, version);
      let handler: unknown;
      try {
        handler = await loaded;
      } catch (error) {
        loaded = undefined;
        return {
          ok: false,
          timedOut: false,
          duration: performance.now() - started,
          error: importError(error, target.file),
        };
      }
      process.env._X_AMZN_TRACE_ID = traceId;
      const context = contextFor(awsRequestId);
      return invoke(handler as LambdaHandler, event, context, { timeout, runtime, warn });
    };
    reload = () => {
      version++;
      loaded = undefined;
      // Node caches a CommonJS file by its path, whatever the import URL: drop it as well.
      delete createRequire(target.file).cache[target.file];
    };
    stop = async () => {
      for (const [name, value] of [...saved, ['_X_AMZN_TRACE_ID', traceBefore] as const]) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
  }

  const requests = new AsyncLocalStorage<{ id?: string }>();
  let frontEnd: ReturnType<typeof createAlbFrontEnd>;
  try {
    frontEnd = createAlbFrontEnd(
      (call) => {
        const store = requests.getStore();
        if (store) store.id = call.awsRequestId;
        return invoker(call);
      },
      {
        multiValueHeaders: options.multiValueHeaders,
        format: options.format,
        stage: options.stage,
        strict: options.strict,
        stripPrefix: options.stripPrefix,
        diagnostics: options.diagnostics,
        targetGroupArn: options.targetGroupArn,
        accountId: options.accountId,
        functionName,
        memorySize,
        region,
        timeout,
        runtime,
        logInvocations: true,
        log,
      },
    );
  } catch (error) {
    // A rejected option: take back what was set up (the variables set in this process).
    await stop();
    throw error;
  }

  const inFlight = new Set<Promise<void>>();
  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const store: { id?: string } = {};
    const done = requests
      .run(store, () => frontEnd(req, res))
      .then(
        () => {
          const ms = (performance.now() - started).toFixed(2);
          emit({
            level: 'info',
            code: 'REQUEST',
            message: `${req.method} ${req.url} ${res.statusCode} ${ms} ms`,
            requestId: store.id,
          });
        },
        (error: unknown) => {
          emit({
            level: 'warn',
            code: 'SERVER_ERROR',
            message: `lambda-bridge failed on ${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`,
          });
          if (!res.headersSent) res.statusCode = 500;
          res.end();
        },
      );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new LambdaBridgeError(
            'LAMBDA_BRIDGE_PORT_IN_USE',
            `Port ${options.port ?? 3000} on ${options.host ?? '127.0.0.1'} is in use; choose another with --port (0 picks a free one).`,
          ),
        );
      } else reject(error);
    });
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolvePromise());
  }).catch(async (error) => {
    await stop();
    throw error;
  });

  let unwatch: (() => void) | undefined;
  let pending: NodeJS.Timeout | undefined;
  if (options.watch) {
    unwatch = watchFolder(dirname(target.file), (file) => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        reload();
        emit({ level: 'info', code: 'RELOAD', message: `reloading: ${file} changed` });
      }, 50);
    });
  }

  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        unwatch?.();
        clearTimeout(pending);
        const stopped = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        const grace = new Promise<void>((done) => setTimeout(done, timeout).unref());
        await Promise.race([Promise.all(inFlight), grace]);
        server.closeAllConnections();
        await stop();
        await stopped;
      })();
      return closing;
    },
  };
}
