import { checkContextOptions } from '../lib/invoke/context.js';
import { EnvironmentPool } from '../lib/pool/pool.js';
import type { FunctionCall } from './functions.js';
import type { Environments, ServeSettings } from './serve-options.js';

// `serve`'s default: each execution environment in its own process, with real timeouts, memory
// limits, freezing between invocations, crash recovery and reloads.

/** The main handler's environments, one process each (`isolate`, the default). */
export function isolatedEnvironments(
  settings: ServeSettings,
  maxConcurrency: number | undefined,
): Environments {
  const { target, contextOptions, runtime, emit } = settings;
  checkContextOptions({ ...contextOptions, runtime }); // before a process starts
  const pool = new EnvironmentPool({
    data: {
      file: target.file,
      exportName: target.exportName,
      context: contextOptions,
      runtime,
      maxConcurrency,
    },
    env: { ...(process.env as Record<string, string>), ...settings.lambdaEnv },
    concurrency: settings.concurrency,
    timeout: settings.timeout,
    memorySize: settings.memorySize,
    freeze: settings.freeze,
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
  return {
    invoke: ({ event, awsRequestId, traceId, warn, stream, clientContext, output }: FunctionCall) =>
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
      }),
    init: () => pool.prewarm(),
    reload: () => pool.reload(),
    drain: () => pool.close(),
    stop: () => pool.stop(),
  };
}
