import type { Context } from 'aws-lambda';
import type { NodeRuntime } from './context.js';
import type { InvokeSettings, LambdaHandler, Outcome } from './outcome.js';
import { invokeRic3 } from './ric3.js';
import { invokeRic4 } from './ric4.js';
import { HANDLER_STREAMING, streamingNotSupported } from './streaming.js';

export type { NodeRuntime } from './context.js';
export {
  type InvocationError,
  type InvokeSettings,
  isThenable,
  type LambdaHandler,
  type Outcome,
} from './outcome.js';

/**
 * Whether a runtime runs handlers with the runtime interface client 4: nodejs24.x, and nodejs22.x
 * on Lambda Managed Instances. nodejs20.x and the standard nodejs22.x keep client 3.
 */
export function usesRic4(runtime: NodeRuntime, managedInstances = false): boolean {
  return runtime === 'nodejs24.x' || (managedInstances && runtime === 'nodejs22.x');
}

/**
 * Runs a handler once with a context built for the same runtime, as that runtime does, inside the
 * InvokeStore: nodejs24.x with the rules of the runtime interface client 4 ({@link invokeRic4}),
 * nodejs20.x and nodejs22.x with those of client 3 ({@link invokeRic3}). Never rejects for a
 * handler failure; no timer outlives the invocation.
 */
export function invoke(
  handler: LambdaHandler,
  event: unknown,
  context: Context,
  settings: InvokeSettings,
): Promise<Outcome> {
  if (typeof handler !== 'function') {
    return Promise.resolve({
      ok: false,
      error: {
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: 'The handler is not a function.',
        trace: [],
      },
      timedOut: false,
      duration: 0,
    });
  }
  if ((handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING] === 'response') {
    return Promise.resolve({
      ok: false,
      error: streamingNotSupported(),
      timedOut: false,
      duration: 0,
    });
  }
  return usesRic4(settings.runtime, settings.managedInstances)
    ? invokeRic4(handler, event, context, settings)
    : invokeRic3(handler, event, context, settings);
}
