import { randomUUID } from 'node:crypto';
import { describe, InvalidOptionError } from '../errors.js';
import { newTraceId } from '../formats/alb-reverse.js';
import { type LogHook, safeLog, stderrWarnings } from '../log.js';
import { type ContextOptions, contextFactory } from './context.js';
import { invoke } from './invoke.js';
import type { InvocationError, LambdaHandler, Outcome } from './outcome.js';
import { ric4ErrorPayload } from './ric4.js';
import { invokeStreaming, type StreamedResponse } from './stream-invoke.js';
import { HANDLER_STREAMING } from './streaming.js';

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
): (event: unknown, call: InvocationCall) => Promise<Outcome> {
  const runtime = options.runtime ?? 'nodejs24.x';
  const contextFor = contextFactory({ ...options, runtime });
  const timeout = limit ?? options.timeout ?? 3000;
  return (event, call) => {
    const traceId = call.traceId ?? options.xRayTraceId ?? newTraceId();
    return invoke(handler as LambdaHandler, event, contextFor(call.awsRequestId, traceId), {
      timeout,
      runtime,
      traceId,
      tenantId: options.tenantId,
      warn: call.warn,
    });
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
  const mark =
    typeof handler === 'function'
      ? (handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING]
      : undefined;
  if (mark) {
    const runtime = options.runtime ?? 'nodejs24.x';
    const traceId = options.xRayTraceId ?? newTraceId();
    const context = contextFactory({ ...options, runtime })(awsRequestId, traceId);
    if (mark !== 'response') {
      const error = new Error('Only response streaming is supported.');
      error.name = 'Runtime.MalformedStreamingHandler';
      return { error: ric4ErrorPayload(error) };
    }
    return invokeStreaming(handler as never, event, context, {
      timeout: options.timeout ?? 3000,
      warn,
      traceId,
      tenantId: options.tenantId,
    });
  }
  const outcome = await handlerInvoker(handler, options)(event, { awsRequestId, warn });
  return outcome.ok ? { result: outcome.result as R } : { error: outcome.error };
}
