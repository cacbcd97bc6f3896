import { checkContextOptions } from '../lib/invoke/context.js';
import { type ExtraFunctions, startFunctions } from './functions.js';
import { type InvokeApi, startInvokeApi } from './invoke-api.js';
import type { ServeOptions } from './serve.js';
import type { Environments, ServeSettings } from './serve-options.js';

// `serve`'s Invoke API (`invokePort`): opened before the handler's environments start, so that
// their SDKs can be pointed at it, and given the main handler and the `functions` once they run.

/** Opens the Invoke API when `invokePort` is set, and points the functions' SDKs at it. */
export async function openInvokeApi(
  options: ServeOptions,
  settings: ServeSettings,
): Promise<InvokeApi | undefined> {
  if (options.invokePort === undefined) return undefined;
  checkContextOptions({ ...settings.contextOptions, runtime: settings.runtime }); // before the port opens
  const api = await startInvokeApi({
    port: options.invokePort,
    host: settings.host,
    region: settings.region,
    accountId: options.accountId ?? '123456789012',
    eventRetries: options.eventRetries ?? 0,
    emit: settings.emit,
  });
  // The AWS SDKs and CLI inside the functions invoke through it, unless told otherwise.
  if (process.env.AWS_ENDPOINT_URL_LAMBDA === undefined)
    settings.lambdaEnv.AWS_ENDPOINT_URL_LAMBDA ??= api.url;
  return api;
}

/** Starts the `functions` (INIT) and serves them, with the main handler, through the Invoke API. */
export function serveFunctions(
  api: InvokeApi,
  main: Environments,
  options: ServeOptions,
  settings: ServeSettings,
): ExtraFunctions {
  const { functionName, timeout, memorySize, region, runtime, emit } = settings;
  const extra = startFunctions(settings.functionSpecs, {
    timeout,
    memorySize,
    region,
    runtime,
    accountId: options.accountId,
    variables: settings.lambdaEnv,
    concurrency: settings.concurrency,
    maxConcurrency: options.maxConcurrency,
    freeze: settings.freeze,
    watch: options.watch === true,
    emit,
  });
  api.serve([{ name: functionName, memorySize, log: emit, invoke: main.invoke }, ...extra.functions]);
  return extra;
}
