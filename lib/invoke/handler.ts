import { randomUUID } from '../builtin.js';
import { describe, InvalidOptionError } from '../errors.js';
import { newTraceId } from '../formats/alb-reverse.js';
import { type LogHook, safeLog, stderrWarnings } from '../log.js';
import { type ContextOptions, contextFactory } from './context.js';
import { invoke, usesRic4 } from './invoke.js';
import type { InvocationError, LambdaHandler, Outcome } from './outcome.js';
import { ric4ErrorPayload } from './ric4.js';
import {
  collectingTarget,
  invokeStreaming,
  type StreamedResponse,
  type StreamTarget,
} from './stream-invoke.js';
import { HANDLER_STREAMING, streamingNotSupported } from './streaming.js';

export interface InvokeHandlerOptions extends ContextOptions {
  /** Receives the runtime's warnings (a completion after the timeout, say). @default warnings on stderr */
  log?: LogHook;
}

/**
 * How one invocation ended: the result after the JSON round trip, what a streaming handler wrote
 * (`stream`), or the runtime's error payload.
 */
export type InvokeHandlerOutcome<R = unknown> =
  | { result: R }
  | { stream: StreamedResponse }
  | { error: InvocationError };

/** One invocation as an environment asks for it. */
export interface InvocationCall {
  awsRequestId: string;
  /** The invocation's X-Ray trace id (the one put in the event). @default a fresh one */
  traceId?: string;
  /** Reports a runtime warning for this invocation. */
  warn(message: string): void;
  /**
   * Where a streaming handler's response goes, when the service in front streams it. Without
   * one, a streaming handler fails with `Runtime.StreamingNotSupported`.
   */
  stream?: StreamTarget;
  /** `context.clientContext`: the client context of an Invoke API call, decoded. @default undefined */
  clientContext?: unknown;
}

export { STREAMING_NOT_SUPPORTED } from './streaming.js';

/** How an invocation ended; `streamed` when the response went out through the call's stream. */
export type InvokerOutcome = Outcome & { streamed?: boolean };

function failedOutcome(error: InvocationError): Outcome {
  return { ok: false, error, timedOut: false, duration: 0 };
}

/** A streaming mark other than `'response'` fails every invocation, as the runtime fails its init. */
function malformedStreaming(): InvocationError {
  const error = new Error('Only response streaming is supported.');
  error.name = 'Runtime.MalformedStreamingHandler';
  return ric4ErrorPayload(error);
}

/**
 * Prepares a handler for repeated invocations in one environment: the options are checked once,
 * the contexts share the environment's log stream, and each call runs the handler with the
 * runtime's rules ({@link invoke}) inside the InvokeStore. `invokeHandler`, the middleware and the
 * dev server's environments all run handlers through this.
 */
export function handlerInvoker(
  handler: LambdaHandler<never>,
  options: ContextOptions,
  /** When the invocation fails as timed out, if not at the context's `timeout` (ms). */
  limit?: number,
  /** Lambda Managed Instances: nodejs22.x runs with the rules of the runtime interface client 4. */
  managedInstances = false,
): (event: unknown, call: InvocationCall) => Promise<InvokerOutcome> {
  const runtime = options.runtime ?? 'nodejs24.x';
  const contextFor = contextFactory({ ...options, runtime }, usesRic4(runtime, managedInstances));
  const timeout = limit ?? options.timeout ?? 3000;
  const mark =
    typeof handler === 'function'
      ? (handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING]
      : undefined;
  return async (event, call) => {
    const traceId = call.traceId ?? options.xRayTraceId ?? newTraceId();
    if (mark) {
      if (mark !== 'response') return failedOutcome(malformedStreaming());
      if (call.stream === undefined) {
        return failedOutcome(streamingNotSupported());
      }
      const outcome = await invokeStreaming(
        handler as never,
        event,
        contextFor(call.awsRequestId, traceId, call.clientContext),
        call.stream,
        { timeout, warn: call.warn, traceId, tenantId: options.tenantId },
      );
      return { ...outcome, streamed: true };
    }
    return invoke(
      handler as LambdaHandler,
      event,
      contextFor(call.awsRequestId, traceId, call.clientContext),
      {
        timeout,
        runtime,
        traceId,
        tenantId: options.tenantId,
        warn: call.warn,
        managedInstances,
      },
    );
  };
}

/**
 * Runs a Lambda handler once, in this process, exactly as the chosen Node.js runtime would
 * (`runtime`, default `'nodejs24.x'`): its context, its handler rules, the JSON round trip of the
 * result, its error payloads, the `timeout` (ms, default 3000), and the `awslambda.InvokeStore`
 * around the call. Resolves `{ result }` or `{ error: { errorType, errorMessage, trace } }`; it
 * never rejects for a handler failure (only for invalid options, with `InvalidOptionError`).
 *
 * @example
 * const outcome = await invokeHandler(handler, createAlbEvent({ url: '/orders' }), { timeout: 5000 });
 * if ('error' in outcome) throw new Error(outcome.error.errorMessage);
 */
export async function invokeHandler<R = unknown>(
  handler: LambdaHandler<never>,
  event: unknown,
  options: InvokeHandlerOptions = {},
): Promise<InvokeHandlerOutcome<R>> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`Options must be an object; got ${describe(options)}.`);
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new InvalidOptionError(
      `The "log" option is a function (entry) => void; it got ${describe(options.log)}.`,
    );
  }
  const log = options.log ?? stderrWarnings;
  const awsRequestId = options.awsRequestId ?? randomUUID();
  const warn = (message: string) =>
    safeLog(log, { level: 'warn', code: 'RUNTIME', message, requestId: awsRequestId });
  const stream = collectingTarget();
  const outcome = await handlerInvoker(handler, options)(event, { awsRequestId, warn, stream });
  if (!outcome.ok) return { error: outcome.error };
  return outcome.streamed ? { stream: stream.response() } : { result: outcome.result as R };
}
