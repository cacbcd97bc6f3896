import type { Context } from 'aws-lambda';
import { describeThrown } from '../errors.js';
import { wireContext } from './context.js';
import {
  type InvocationError,
  type InvokeSettings,
  isThenable,
  type LambdaHandler,
  type Outcome,
} from './outcome.js';
import { runInvocation } from './store.js';

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

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor?.name === 'AsyncFunction';
}

/**
 * Runs a handler as the nodejs20.x and nodejs22.x runtimes do (runtime interface client 3,
 * contract 5): any thenable it returns is awaited; `callback`, `context.done`, `succeed` and
 * `fail` complete it; the first completion wins and later ones are ignored with a warning; the
 * result goes through `JSON.stringify` (`undefined` becomes `null`; a result that cannot be
 * stringified is an invocation error). After `timeout` ms the invocation fails as timed out. No
 * timer outlives the invocation.
 *
 * In one process there is no event loop to drain: a handler that returns neither a promise nor
 * calls back (and declares no callback parameter) completes with `null` at once, as the runtime
 * would when the loop drains, and `callbackWaitsForEmptyEventLoop` has no effect.
 */
export function invokeRic3(
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

    const callbackStyle = handler.length >= 3 && !isAsyncFunction(handler);
    timer = setTimeout(() => {
      failWith(ric3TimeoutError(context.awsRequestId, settings.timeout), true);
    }, settings.timeout);

    const ids = {
      requestId: context.awsRequestId,
      traceId: settings.traceId,
      tenantId: settings.tenantId,
    };
    let returned: unknown;
    try {
      returned = runInvocation(ids, () => handler(event, context, callback));
    } catch (error) {
      return failWith(toError(error));
    }
    if (isThenable(returned)) {
      // The runtime awaits the value: a `then` that throws fails the invocation.
      try {
        returned.then(succeed, (error: unknown) => failWith(toError(error ?? 'undefined')));
      } catch (error) {
        failWith(toError(error));
      }
    } else if (!callbackStyle && !done) {
      // The runtime posts null when the event loop drains; give synchronous completions a turn first.
      setImmediate(() => {
        if (!done) succeed(null);
      });
    }
  });
}

/** What Lambda reports when an invocation runs past the function timeout, in the runtime interface client 3's wording. */
export function ric3TimeoutError(requestId: string, timeout: number): InvocationError {
  return {
    errorType: 'Sandbox.Timedout',
    errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${(timeout / 1000).toFixed(2)} seconds`,
    trace: [],
  };
}
