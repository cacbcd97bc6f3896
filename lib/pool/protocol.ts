import type { ContextOptions } from '../invoke/context.js';
import type { InvocationError, NodeRuntime } from '../invoke/invoke.js';
import type { LogEntry } from '../log.js';
import type { StreamFromEnvironment, StreamToEnvironment } from './stream-channel.js';

/** What an execution environment process is started with (in `LAMBDA_BRIDGE_ENVIRONMENT`). */
export interface EnvironmentData {
  file: string;
  exportName: string;
  context: ContextOptions;
  runtime: NodeRuntime;
  /**
   * Lambda Managed Instances: the most invocations the environment serves at once
   * (`AWS_LAMBDA_MAX_CONCURRENCY`); absent, one at a time.
   */
  maxConcurrency?: number;
}

/** The variable that carries `EnvironmentData` to the environment process, as JSON. */
export const DATA_VARIABLE = 'LAMBDA_BRIDGE_ENVIRONMENT';

export type ToEnvironment =
  | {
      type: 'invoke';
      id: string;
      event: unknown;
      traceId: string;
      /** The server takes a streaming handler's response as stream messages. */
      stream: boolean;
      /** `context.clientContext`, when the invocation carries one. */
      clientContext?: unknown;
    }
  | StreamToEnvironment;

/** How an invocation ended in the environment; the result travels as its JSON text. */
export type Finished =
  | { ok: true; json: string; duration: number; streamed?: boolean }
  | { ok: false; error: InvocationError; timedOut: boolean; duration: number; streamed?: boolean };

export type FromEnvironment =
  | { type: 'ready'; initDuration: number; peakKB: number }
  | { type: 'init-error'; error: InvocationError }
  | { type: 'warn'; id: string; message: string }
  /** A warning of a lambda-bridge inside the handler (`toLambda`) left on its default log. */
  | { type: 'log'; id: string | undefined; entry: LogEntry }
  /**
   * `peakKB`: the process's peak resident memory so far; `pending`: the kinds of resource the
   * invocation started and left running (timers, sockets, …).
   */
  | { type: 'done'; id: string; outcome: Finished; peakKB: number; pending: string[] }
  | { type: 'crash'; id: string | undefined; error: InvocationError }
  | StreamFromEnvironment;
