import { createRequire } from 'node:module';
import { checkContextOptions } from '../lib/invoke/context.js';
import { installAwsLambdaGlobal } from '../lib/invoke/global.js';
import { handlerInvoker } from '../lib/invoke/handler.js';
import type { LambdaHandler } from '../lib/invoke/invoke.js';
import { LOG_SINK, type LogHook } from '../lib/log.js';
import { importError, loadHandler } from '../lib/pool/load.js';
import type { FunctionCall } from './functions.js';
import type { Environments, ServeSettings } from './serve-options.js';

// `serve` with `isolate: false`: the handler runs in this process. The variables are set here
// (and taken back on stop), and a reload re-imports the handler file itself.

/**
 * The main handler in this process; `requestId` names the request being served, for the log
 * lines of a `toLambda` inside the handler.
 */
export function inProcessEnvironment(
  settings: ServeSettings,
  requestId: () => string | undefined,
): Environments {
  const { target, contextOptions, runtime, emit, lambdaEnv } = settings;
  checkContextOptions({ ...contextOptions, runtime }); // before anything is set
  installAwsLambdaGlobal();
  const saved = Object.keys(lambdaEnv).map((name) => [name, process.env[name]] as const);
  const traceBefore = process.env._X_AMZN_TRACE_ID;
  Object.assign(process.env, lambdaEnv);
  // A toLambda inside the handler that keeps its default log reports to this server's logger.
  const global = globalThis as Record<symbol, unknown>;
  const sinkBefore = global[LOG_SINK];
  const sink: LogHook = (entry) => emit({ ...entry, requestId: entry.requestId ?? requestId() });
  global[LOG_SINK] = sink;
  let version = 0;
  let loaded: Promise<ReturnType<typeof handlerInvoker>> | undefined;
  const load = () =>
    loadHandler(target.file, target.exportName, version).then((handler) =>
      handlerInvoker(handler as LambdaHandler<never>, { ...contextOptions, runtime }),
    );
  const stop = async () => {
    if (global[LOG_SINK] === sink) global[LOG_SINK] = sinkBefore;
    for (const [name, value] of [...saved, ['_X_AMZN_TRACE_ID', traceBefore] as const]) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  return {
    init: () => {
      const started = performance.now();
      const loading = load();
      loaded = loading;
      return loading.then(
        () => performance.now() - started,
        (error: unknown) => {
          if (loaded === loading) loaded = undefined;
          return importError(error, target.file, runtime);
        },
      );
    },
    invoke: async ({ event, awsRequestId, traceId, warn, stream, clientContext }: FunctionCall) => {
      const started = performance.now();
      loaded ??= load();
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
    },
    reload: () => {
      version++;
      loaded = undefined;
      // Node caches a CommonJS file by its path, whatever the import URL: drop it as well.
      delete createRequire(target.file).cache[target.file];
    },
    drain: stop,
    stop,
  };
}
