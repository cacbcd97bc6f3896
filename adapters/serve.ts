import { AsyncLocalStorage } from 'node:async_hooks';
import { createAlbFrontEnd } from '../lib/emulate.js';
import type { AlbEmulatorOptions } from '../lib/emulate-options.js';
import type { NodeRuntime } from '../lib/invoke/context.js';
import type { InvocationError } from '../lib/invoke/invoke.js';
import type { LogHook } from '../lib/log.js';
import { watchFolder } from '../lib/pool/watch.js';
import type { ExtraFunctions } from './functions.js';
import { listen } from './serve-http.js';
import { inProcessEnvironment } from './serve-inprocess.js';
import { type FunctionSpec, watchRoot } from './serve-input.js';
import { openInvokeApi, serveFunctions } from './serve-invoke.js';
import { isolatedEnvironments } from './serve-isolated.js';
import { type Environments, serveSettings } from './serve-options.js';

// The dev server, `lambda-bridge/serve`: its options are settled in serve-options.ts, the handler
// runs in serve-isolated.ts (a process per environment) or serve-inprocess.ts, requests arrive
// through serve-http.ts, and serve-invoke.ts opens the Invoke API.

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
  const settings = serveSettings(options);
  const { target, functionName, timeout, memorySize, region, runtime, host, emit, log } = settings;
  const api = await openInvokeApi(options, settings);

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
  const requests = new AsyncLocalStorage<{ id?: string }>();
  const environments: Environments =
    options.isolate !== false
      ? isolatedEnvironments(settings, options.maxConcurrency)
      : inProcessEnvironment(settings, () => requests.getStore()?.id);
  const reload = () => {
    environments.reload();
    report(environments.init());
  };

  let frontEnd: ReturnType<typeof createAlbFrontEnd>;
  try {
    frontEnd = createAlbFrontEnd(
      (call) => {
        const store = requests.getStore();
        if (store) store.id = call.awsRequestId;
        return environments.invoke(call);
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
    await environments.stop();
    throw error;
  }

  const listener = await listen(frontEnd, requests, {
    host,
    port: settings.port,
    diagnostics: options.diagnostics !== false,
    emit,
  }).catch(async (error) => {
    api?.stop();
    await environments.stop();
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
  report(environments.init());

  let extra: ExtraFunctions | undefined;
  if (api !== undefined) {
    try {
      extra = serveFunctions(api, environments, options, settings);
    } catch (error) {
      unwatch?.();
      clearTimeout(pending);
      listener.kill();
      api.stop();
      await environments.stop();
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${listener.port}`,
    port: listener.port,
    functionName,
    invokeUrl: api?.url,
    close() {
      closing ??= (async () => {
        listener.refuse();
        unwatch?.();
        clearTimeout(pending);
        const longest = Math.max(timeout, ...settings.functionSpecs.map(([, spec]) => spec.timeout ?? 0));
        const apiClosed = api?.close(longest + 1000);
        // Queued invocations are refused now (503); busy environments finish, bounded by the
        // timeout that stops them. The listener stays open meanwhile, answering 503.
        const drained = environments.drain();
        const { grace, closed } = await listener.shutdown(timeout);
        await Promise.race([drained, grace]);
        await apiClosed;
        await extra?.close();
        await environments.stop();
        await closed;
      })();
      return closing;
    },
    async stop() {
      closing ??= Promise.resolve();
      listener.refuse();
      unwatch?.();
      clearTimeout(pending);
      listener.kill();
      api?.stop();
      await extra?.stop();
      await environments.stop();
    },
  };
}
