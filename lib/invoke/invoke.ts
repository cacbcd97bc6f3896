import type { Context } from 'aws-lambda';
import { describeThrown } from '../errors.js';
import { wireContext } from './context.js';

/** A Lambda handler in either style: async (any thenable) or callback. */
export type LambdaHandler<E = unknown, R = unknown> = (
  event: E,
  context: Context,
  callback: (error?: unknown, result?: R) => void,
) => unknown;

/** The runtime whose handler rules apply: `nodejs24.x` refuses callback-style handlers. */
export type NodeRuntime = 'nodejs20.x' | 'nodejs22.x' | 'nodejs24.x';

export interface InvokeSettings {
  /** Milliseconds before the invocation times out. */
  timeout: number;
  runtime: NodeRuntime;
  /** Reports what the runtime would log but the caller should not fail on. */
  warn(message: string): void;
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

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

function toError(value: unknown): InvocationError {
  const errorMessage = describeThrown(value);
  try {
    if (value instanceof Error) {
      const stack = value.stack;
      return {
        errorType: String(value.name),
        errorMessage,
        trace: typeof stack === 'string' ? stack.split('\n') : [],
      };
    }
  } catch {
    // A name or stack getter that throws: the value is described by its message alone.
  }
  return { errorType: typeof value, errorMessage, trace: [] };
}

/** Whether a value is a promise or any other thenable, as the runtime checks a handler's return value. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor?.name === 'AsyncFunction';
}

/**
 * Runs a handler as the Node.js runtime does (contract 5): any thenable it returns is awaited;
 * `callback`, `context.done`, `succeed` and `fail` complete it; the first completion wins and
 * later ones are ignored with a warning; the result goes through `JSON.stringify` (`undefined`
 * becomes `null`; a result that cannot be stringified is an invocation error). After `timeout`
 * ms the invocation fails as timed out. No timer outlives the invocation.
 *
 * In one process there is no event loop to drain: a handler that returns neither a promise nor
 * calls back (and declares no callback parameter) completes with `null` at once, as the runtime
 * would when the loop drains, and `callbackWaitsForEmptyEventLoop` has no effect.
 */
export function invoke(
  handler: LambdaHandler,
  event: unknown,
  context: Context,
  settings: InvokeSettings,
): Promise<Outcome> {
  const started = performance.now();
  return new Promise<Outcome>((resolve) => {
    let done = false;
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: Outcome) => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      resolve(outcome);
    };
    // After a timeout the real runtime is stopped, so a late completion is not a second completion.
    const warnDone = () =>
      settings.warn(
        expired
          ? 'The handler completed after the invocation timed out; the completion was ignored.'
          : 'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
      );
    const succeed = (result: unknown) => {
      if (done) return warnDone();
      let json: string;
      try {
        json = JSON.stringify(result === undefined ? null : result) ?? 'null';
      } catch (error) {
        const message = describeThrown(error);
        return finish({
          ok: false,
          error: {
            errorType: 'Runtime.SerializationError',
            errorMessage: `Unable to stringify response body: ${message}`,
            trace: [],
          },
          timedOut: false,
          duration: performance.now() - started,
        });
      }
      finish({ ok: true, result: JSON.parse(json), json, duration: performance.now() - started });
    };
    const failWith = (error: InvocationError, timedOut = false) => {
      if (done) {
        if (!timedOut) warnDone();
        return;
      }
      expired = timedOut;
      finish({ ok: false, error, timedOut, duration: performance.now() - started });
    };
    const callback = (error?: unknown, result?: unknown) => {
      if (error !== undefined && error !== null) failWith(toError(error));
      else succeed(result);
    };
    wireContext(context, callback);

    if (typeof handler !== 'function') {
      return failWith({
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: 'The handler is not a function.',
        trace: [],
      });
    }
    if ((handler as unknown as Record<symbol, unknown>)[STREAMING] === 'response') {
      return failWith({
        errorType: 'Runtime.StreamingNotSupported',
        errorMessage:
          'The handler is wrapped with streamifyResponse, but an Application Load Balancer cannot stream responses; export a buffered handler.',
        trace: [],
      });
    }
    const callbackStyle = handler.length >= 3 && !isAsyncFunction(handler);
    if (callbackStyle && settings.runtime === 'nodejs24.x') {
      return failWith({
        errorType: 'Runtime.CallbackHandlerDeprecated',
        errorMessage:
          'Callback-based function handlers are not supported in nodejs24.x: make the handler async and return the result.',
        trace: [],
      });
    }

    timer = setTimeout(() => {
      const seconds = (settings.timeout / 1000).toFixed(2);
      failWith(
        {
          errorType: 'Sandbox.Timedout',
          errorMessage: `${new Date().toISOString()} ${context.awsRequestId} Task timed out after ${seconds} seconds`,
          trace: [],
        },
        true,
      );
    }, settings.timeout);

    let returned: unknown;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      return failWith(toError(error));
    }
    if (isThenable(returned)) {
      returned.then(succeed, (error: unknown) => failWith(toError(error ?? 'undefined')));
    } else if (!callbackStyle && !done) {
      // The runtime posts null when the event loop drains; give synchronous completions a turn first.
      setImmediate(() => {
        if (!done) succeed(null);
      });
    }
  });
}
