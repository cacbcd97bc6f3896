import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname } from 'node:path';
import { albErrorPage } from '../lib/alb-pages.js';
import { type AlbEmulatorOptions, createAlbFrontEnd, type Invoker } from '../lib/emulate.js';
import { describe, InvalidOptionError, LambdaBridgeError } from '../lib/errors.js';
import { checkContextOptions, type NodeRuntime } from '../lib/invoke/context.js';
import { installAwsLambdaGlobal } from '../lib/invoke/global.js';
import { handlerInvoker } from '../lib/invoke/handler.js';
import type { InvocationError, LambdaHandler } from '../lib/invoke/invoke.js';
import { LOG_SINK, type LogEntry, type LogHook, safeLog } from '../lib/log.js';
import { importError, loadHandler } from '../lib/pool/load.js';
import { EnvironmentPool, PoolClosedError } from '../lib/pool/pool.js';
import { watchFolder } from '../lib/pool/watch.js';
import { checkFunctionSpecs, type ExtraFunctions, type FunctionCall, startFunctions } from './functions.js';
import { type InvokeApi, startInvokeApi } from './invoke-api.js';
import { type FunctionSpec, parseHandlerSpec, readEnvFile, watchRoot } from './serve-input.js';

export { type FunctionSpec, parseHandlerSpec, readEnvFile } from './serve-input.js';

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
    | 'streamBandwidth'
  > {
  /** The handler module, with an optional export name: `./handler.js` or `./src/api.ts#main`. */
  handler: string;
  /** `0` picks a free port. @default 3000 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The function timeout in milliseconds. @default 3000 */
  timeout?: number;
  /**
   * The function memory size in MB. An isolated environment whose V8 heap or resident memory
   * grows past it is stopped, and its invocation fails with `Runtime.OutOfMemory`. @default 128
   */
  memorySize?: number;
  /** @default the handler file's name */
  functionName?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** The runtime whose handler rules and context apply (see the middleware's `runtime`). @default 'nodejs24.x' */
  runtime?: NodeRuntime;
  /** A dotenv file whose variables the handler sees. @default none */
  envFile?: string;
  /** More variables the handler sees (after `envFile`). @default {} */
  env?: Record<string, string>;
  /** Reload the handler when a file under its folder (not node_modules) changes. @default false */
  watch?: boolean;
  /** The most execution environments at once; further requests wait. @default 10 */
  concurrency?: number;
  /**
   * Lambda Managed Instances: each environment serves up to this many invocations at once, with
   * `AWS_LAMBDA_MAX_CONCURRENCY` set, no `_X_AMZN_TRACE_ID` per invocation and no freezing; the
   * handler module loads once per environment and its module state is shared by them. nodejs22.x
   * then runs with the rules of the runtime interface client 4, as on a managed instance; nodejs20.x
   * is refused. @default one invocation at a time (Lambda's default)
   */
  maxConcurrency?: number;
  /**
   * Run each execution environment in its own process; `false` runs the handler in this process,
   * where a timeout can only fire while the event loop is free. @default true
   */
  isolate?: boolean;
  /**
   * Stop each isolated environment's process (SIGSTOP) between invocations and resume it
   * (SIGCONT) for the next, as Lambda freezes an idle environment: work a handler leaves running
   * after it returns waits for the next invocation. @default true
   */
  freeze?: boolean;
  /** Receives request lines, START/END/REPORT lines, warnings and reload notices. @default nothing */
  log?: LogHook;
  /**
   * Opens Lambda's Invoke API on this port (`0` picks a free one), for the AWS SDKs and CLI:
   * `server.invokeUrl` is their endpoint. @default not opened
   */
  invokePort?: number;
  /**
   * More functions, reachable through the Invoke API only, each in its own isolated
   * environments: `{ worker: './worker.js', pdf: { handler: './pdf.ts#render', timeout: 30_000 } }`.
   * @default {}
   */
  functions?: Record<string, string | FunctionSpec>;
  /**
   * How many times a failed `Event` invocation runs again, at once (Lambda runs it up to twice
   * more, after about 1 and 2 minutes). @default 0
   */
  eventRetries?: number;
}

export interface DevServer {
  /** `http://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  /** The main handler's function name (`functionName`, or the handler file's name). */
  readonly functionName: string;
  /** The Invoke API's endpoint, `http://<host>:<invokePort>`, when `invokePort` is set. */
  readonly invokeUrl: string | undefined;
  /**
   * Stops the server: requests in flight finish (at most `timeout`), requests waiting for an
   * environment and requests that arrive meanwhile are answered 503, then the environments stop.
   */
  close(): Promise<void>;
  /** Stops at once: the environments are killed and every connection is closed. */
  stop(): Promise<void>;
}

/** An ALB's request header quotas: 16 KB for one header line, 64 KB for all of them. */
const HEADER_LINE_LIMIT = 16 * 1024;
const HEADER_BLOCK_LIMIT = 64 * 1024;
/** What Node's parser accepts: the request line (up to 16 KB) and the whole header block, with room to spare. */
const MAX_HEADER_BYTES = HEADER_LINE_LIMIT + HEADER_BLOCK_LIMIT + 1024;

/** Which ALB header quota a request breaks, if any. */
function headerOverLimit(req: IncomingMessage): string | undefined {
  const raw = req.rawHeaders;
  let total = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const line = raw[i].length + 2 + raw[i + 1].length;
    if (line > HEADER_LINE_LIMIT) {
      return `the header line ${JSON.stringify(raw[i].toLowerCase())} is ${line} bytes, over the ALB's ${HEADER_LINE_LIMIT}-byte limit for one header`;
    }
    total += line + 2;
  }
  if (total > HEADER_BLOCK_LIMIT) {
    return `the request headers are ${total} bytes, over the ALB's ${HEADER_BLOCK_LIMIT}-byte limit for all headers`;
  }
  return undefined;
}

function refuseHeaders(
  res: ServerResponse,
  reason: string,
  emit: (entry: LogEntry) => void,
  diagnostics: boolean,
): void {
  emit({
    level: 'warn',
    code: 'HEADERS_TOO_LARGE',
    message: `answered 431: ${reason}; the handler was not invoked`,
  });
  const page = albErrorPage(431);
  for (let i = 0; i < page.headers.length; i += 2) res.setHeader(page.headers[i], page.headers[i + 1]);
  if (diagnostics) res.setHeader('x-lambda-bridge-reason', reason);
  res.setHeader('connection', 'close');
  res.writeHead(431, page.reason);
  res.end(page.body);
}

const STOPPING_BODY = Buffer.from(
  'lambda-bridge is stopping: this request was not sent to the handler. Send it again once the server is back.\n',
);

/** The answer to a request the server accepted while stopping, before any environment ran it. */
function stopping(res: ServerResponse): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  res.writeHead(503, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': STOPPING_BODY.length,
    'retry-after': '1',
    connection: 'close',
  });
  res.end(STOPPING_BODY);
}

function checkServeOptions(options: ServeOptions): void {
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

/**
 * The local ALB dev server: serves a handler file behind an emulated ALB, each execution
 * environment in its own process, with real timeouts, memory limits, crash recovery and reloads.
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
    ...(managed ? { AWS_LAMBDA_MAX_CONCURRENCY: String(options.maxConcurrency) } : {}),
  };

  let api: InvokeApi | undefined;
  if (options.invokePort !== undefined) {
    checkContextOptions({ ...contextOptions, runtime }); // before the port opens
    api = await startInvokeApi({
      port: options.invokePort,
      host: options.host ?? '127.0.0.1',
      region,
      accountId: options.accountId ?? '123456789012',
      eventRetries: options.eventRetries ?? 0,
      emit,
    });
    // The AWS SDKs and CLI inside the functions invoke through it, unless told otherwise.
    if (process.env.AWS_ENDPOINT_URL_LAMBDA === undefined) lambdaEnv.AWS_ENDPOINT_URL_LAMBDA ??= api.url;
  }

  /** Prints the outcome of an INIT as soon as it is known, not on the first request. */
  const report = (loading: Promise<number | InvocationError> | undefined) =>
    void loading?.then((outcome) => {
      if (typeof outcome === 'number') {
        emit({
          level: 'info',
          code: 'INIT',
          message: `INIT: the handler loaded in ${outcome.toFixed(2)} ms`,
        });
      } else {
        emit({
          level: 'warn',
          code: 'INIT_ERROR',
          message: `the handler failed to load; every request answers 502 until it is fixed: ${outcome.errorType}: ${outcome.errorMessage}`,
        });
      }
    });
  let invoker: Invoker & ((call: FunctionCall) => ReturnType<Invoker>);
  let reload: () => void;
  /** Loads the handler before the first request (INIT): its Init Duration, or the error that stopped it. */
  let init: () => Promise<number | InvocationError> | undefined;
  /** Lets busy environments finish, refusing queued invocations; then stops them. */
  let drain: () => Promise<void>;
  /** Stops every environment now. */
  let stop: () => Promise<void>;
  if (options.isolate !== false) {
    checkContextOptions({ ...contextOptions, runtime }); // before a process starts
    const pool = new EnvironmentPool({
      data: {
        file: target.file,
        exportName: target.exportName,
        context: contextOptions,
        runtime,
        maxConcurrency: options.maxConcurrency,
      },
      env: { ...(process.env as Record<string, string>), ...lambdaEnv },
      concurrency: options.concurrency ?? 10,
      timeout,
      memorySize,
      // A managed instance is never frozen: its invocations overlap.
      freeze: options.freeze !== false && !managed,
      onRetire: (reason) =>
        emit({
          level: 'info',
          code: 'ENVIRONMENT_REPLACED',
          message: `environment stopped (${reason}); the next request starts a fresh one`,
        }),
    });
    const leftWork = (requestId: string) => (kinds: string[]) =>
      emit({
        level: 'warn',
        code: 'POST_RESPONSE_WORK',
        requestId,
        message: `the invocation completed with work still pending: ${kinds.join(', ')}. Lambda freezes the environment once the handler returns, so this work runs only during a later invocation, if ever; await it before returning.`,
      });
    invoker = ({ event, awsRequestId, traceId, warn, stream, clientContext, output }: FunctionCall) =>
      pool.invoke({
        id: awsRequestId,
        event,
        traceId,
        warn,
        log: emit,
        leftWork: leftWork(awsRequestId),
        stream,
        clientContext,
        output,
      });
    init = () => pool.prewarm();
    reload = () => {
      pool.reload();
      report(init());
    };
    drain = () => pool.close();
    stop = () => pool.stop();
  } else {
    // In this process: the variables are set here (and taken back on close), and a reload
    // re-imports the handler file itself.
    checkContextOptions({ ...contextOptions, runtime }); // before anything is set
    installAwsLambdaGlobal();
    const saved = Object.keys(lambdaEnv).map((name) => [name, process.env[name]] as const);
    const traceBefore = process.env._X_AMZN_TRACE_ID;
    Object.assign(process.env, lambdaEnv);
    // A toLambda inside the handler that keeps its default log reports to this server's logger.
    const global = globalThis as Record<symbol, unknown>;
    const sinkBefore = global[LOG_SINK];
    const sink: LogHook = (entry) =>
      emit({ ...entry, requestId: entry.requestId ?? requests.getStore()?.id });
    global[LOG_SINK] = sink;
    let version = 0;
    let loaded: Promise<ReturnType<typeof handlerInvoker>> | undefined;
    init = () => {
      const started = performance.now();
      const loading = loadHandler(target.file, target.exportName, version).then((handler) =>
        handlerInvoker(handler as LambdaHandler<never>, { ...contextOptions, runtime }),
      );
      loaded = loading;
      return loading.then(
        () => performance.now() - started,
        (error: unknown) => {
          if (loaded === loading) loaded = undefined;
          return importError(error, target.file, runtime);
        },
      );
    };
    invoker = async ({ event, awsRequestId, traceId, warn, stream, clientContext }: FunctionCall) => {
      const started = performance.now();
      loaded ??= loadHandler(target.file, target.exportName, version).then((handler) =>
        handlerInvoker(handler as LambdaHandler<never>, { ...contextOptions, runtime }),
      );
      let run: ReturnType<typeof handlerInvoker>;
      try {
        run = await loaded;
      } catch (error) {
        loaded = undefined;
        return {
          ok: false,
          timedOut: false,
          duration: performance.now() - started,
          error: importError(error, target.file, runtime),
        };
      }
      process.env._X_AMZN_TRACE_ID = traceId;
      return run(event, { awsRequestId, traceId, warn, stream, clientContext });
    };
    reload = () => {
      version++;
      loaded = undefined;
      // Node caches a CommonJS file by its path, whatever the import URL: drop it as well.
      delete createRequire(target.file).cache[target.file];
      report(init());
    };
    stop = async () => {
      if (global[LOG_SINK] === sink) global[LOG_SINK] = sinkBefore;
      for (const [name, value] of [...saved, ['_X_AMZN_TRACE_ID', traceBefore] as const]) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    };
    drain = stop;
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
        streamBandwidth: options.streamBandwidth,
      },
    );
  } catch (error) {
    // A rejected option: take back what was set up (the variables set in this process).
    api?.stop();
    await stop();
    throw error;
  }

  const inFlight = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;
  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    const started = performance.now();
    const store: { id?: string } = {};
    const done = (async () => {
      if (closing !== undefined) return stopping(res);
      const oversized = headerOverLimit(req);
      if (oversized !== undefined) return refuseHeaders(res, oversized, emit, options.diagnostics !== false);
      await requests.run(store, () => frontEnd(req, res));
    })().then(
      () => {
        const ms = (performance.now() - started).toFixed(2);
        emit({
          level: 'info',
          code: 'REQUEST',
          message: `${req.method} ${req.url} ${res.statusCode} ${ms} ms`,
          requestId: store.id,
          method: req.method,
          path: req.url,
          status: res.statusCode,
          durationMs: Number(ms),
        });
      },
      (error: unknown) => {
        // Waiting for an environment when the server began to stop: the handler never ran.
        if (error instanceof PoolClosedError) return stopping(res);
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
      const host = options.host ?? '127.0.0.1';
      if (error.code === 'EADDRINUSE') {
        reject(
          new LambdaBridgeError(
            'LAMBDA_BRIDGE_PORT_IN_USE',
            `Port ${options.port ?? 3000} on ${host} is in use; choose another with --port (0 picks a free one).`,
          ),
        );
      } else if (['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'].includes(String(error.code))) {
        const why =
          error.code === 'EADDRNOTAVAIL'
            ? 'is not available on this machine'
            : 'does not resolve to an address of this machine';
        reject(
          new LambdaBridgeError(
            'LAMBDA_BRIDGE_HOST_UNAVAILABLE',
            `Address ${host} ${why}; choose another with --host (127.0.0.1, 0.0.0.0 for every interface, or an address this machine has).`,
          ),
        );
      } else reject(error);
    });
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolvePromise());
  }).catch(async (error) => {
    api?.stop();
    await stop();
    throw error;
  });

  let unwatch: (() => void) | undefined;
  let pending: NodeJS.Timeout | undefined;
  if (options.watch) {
    unwatch = watchFolder(watchRoot(target.file), (file) => {
      clearTimeout(pending);
      pending = setTimeout(() => {
        reload();
        emit({ level: 'info', code: 'RELOAD', message: `reloading: ${file} changed` });
      }, 50);
    });
  }

  // INIT: the handler loads now, in the first environment, so that its errors print at once.
  report(init());

  let extra: ExtraFunctions | undefined;
  if (api !== undefined) {
    try {
      extra = startFunctions(functionSpecs, {
        timeout,
        memorySize,
        region,
        runtime,
        accountId: options.accountId,
        variables: lambdaEnv,
        concurrency: options.concurrency ?? 10,
        maxConcurrency: options.maxConcurrency,
        freeze: options.freeze !== false && options.maxConcurrency === undefined,
        watch: options.watch === true,
        emit,
      });
    } catch (error) {
      unwatch?.();
      clearTimeout(pending);
      server.close();
      server.closeAllConnections();
      api.stop();
      await stop();
      throw error;
    }
    api.serve([{ name: functionName, memorySize, log: emit, invoke: invoker }, ...extra.functions]);
  }

  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    functionName,
    invokeUrl: api?.url,
    close() {
      closing ??= (async () => {
        unwatch?.();
        clearTimeout(pending);
        const longest = Math.max(timeout, ...functionSpecs.map(([, spec]) => spec.timeout ?? 0));
        const apiClosed = api?.close(longest + 1000);
        // Queued invocations are refused now (503); busy environments finish, bounded by the
        // timeout that stops them. The listener stays open meanwhile, answering 503.
        const drained = drain();
        server.closeIdleConnections();
        const grace = new Promise<void>((done) => setTimeout(done, timeout + 1000).unref());
        await Promise.race([Promise.all(inFlight), grace]);
        const stopped = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        await Promise.race([Promise.all(inFlight), new Promise((done) => setTimeout(done, 100).unref())]);
        server.closeAllConnections();
        await Promise.race([drained, grace]);
        await apiClosed;
        await extra?.close();
        await stop();
        await stopped;
      })();
      return closing;
    },
    async stop() {
      closing ??= Promise.resolve();
      unwatch?.();
      clearTimeout(pending);
      server.close();
      server.closeAllConnections();
      api?.stop();
      await extra?.stop();
      await stop();
    },
  };
}
