import type { Context } from 'aws-lambda';
import type { NodeRuntime } from './context.js';

/** A Lambda handler in either style: async (any thenable) or callback. */
export type LambdaHandler<E = unknown, R = unknown> = (
  event: E,
  context: Context,
  callback: (error?: unknown, result?: R) => void,
) => unknown;

export interface InvokeSettings {
  /** Milliseconds before the invocation times out. */
  timeout: number;
  runtime: NodeRuntime;
  /** Reports what the runtime would log but the caller should not fail on. */
  warn(message: string): void;
  /** The invocation's X-Ray trace id, for the InvokeStore. @default the context's `xRayTraceId` */
  traceId?: string;
  /** The invocation's tenant id, for the InvokeStore. @default the context's `tenantId` */
  tenantId?: string;
  /** nodejs22.x on Lambda Managed Instances runs the nodejs24.x runtime client, with its own wording. */
  managedInstances?: boolean;
}

/** The runtime's error payload (contract 5.4). */
export interface InvocationError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

interface Measures {
  /** Milliseconds the handler ran. */
  duration: number;
  /** Set by an isolated environment: its peak memory, in MB. */
  maxMemoryUsedMB?: number;
  /** Set on the first invocation of an isolated environment: the module load time, in ms. */
  initDuration?: number;
}

export type Outcome =
  | ({ ok: true; result: unknown; json: string } & Measures)
  | ({ ok: false; error: InvocationError; timedOut: boolean } & Measures);

/** Whether a value is a promise or any other thenable, as the runtime checks a handler's return value. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
