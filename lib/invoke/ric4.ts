import type { Context } from 'aws-lambda';
import type { InvocationError, InvokeSettings, LambdaHandler, Outcome } from './outcome.js';
import { runInvocation } from './store.js';

// The texts of the runtime interface client 4 (aws-lambda-ric 4.0.2, `context/constants`).
export const CALLBACK_ERROR_NODEJS22 =
  'ERROR: AWS Lambda does not support callback-based function handlers when using Node.js 22 with Managed Instances. To use Managed Instances, modify this function to use a supported handler signature. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';
export const CALLBACK_ERROR_NODEJS24_ABOVE =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

function namedError(name: string, message: string, base: ErrorConstructor = Error): Error {
  const error = new base(message);
  error.name = name;
  // The stack's first line names the type, as the runtime's own error classes print.
  if (typeof error.stack === 'string') {
    error.stack = `${name}: ${message}${error.stack.slice(error.stack.indexOf('\n'))}`;
  }
  return error;
}

/**
 * The error payload the runtime interface client 4 posts for a thrown or rejected value: an
 * Error's `name`, `message` and stack lines (ASCII DEL written as `%7F`), any other value's
 * `typeof` and `String()`, and a fixed payload when reading those fails. It travels as JSON, so
 * a field that is not a string is dropped or converted as `JSON.stringify` does.
 */
export function ric4ErrorPayload(value: unknown): InvocationError {
  let payload: unknown;
  try {
    if (value instanceof Error) {
      const stack = value.stack as string | undefined;
      payload = {
        errorType: (value.name as string | undefined)?.replaceAll('\x7F', '%7F'),
        errorMessage: (value.message as string | undefined)?.replaceAll('\x7F', '%7F'),
        trace: stack?.replaceAll('\x7F', '%7F').split('\n') || [],
      };
    } else {
      payload = { errorType: typeof value, errorMessage: String(value), trace: [] };
    }
  } catch {
    payload = {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
  return JSON.parse(JSON.stringify(payload)) as InvocationError;
}

/**
 * Whether the runtime survives reporting this value: before posting an error it logs it, and it
 * turns a value that is not an Error into one with `String()`. When `String()` throws
 * (`Object.create(null)`, a throwing `toString`), the runtime process exits with status 1.
 */
function survivesLogging(value: unknown): boolean {
  try {
    // `instanceof` itself throws for a Proxy whose traps throw; so does the runtime's check.
    if (value instanceof Error) return true;
    String(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a failed invocation reports under the runtime interface client 4: its error payload, or
 * `Runtime.ExitError` when logging the value would end the runtime process.
 */
export function ric4Failure(value: unknown, requestId: string): InvocationError {
  return survivesLogging(value) ? ric4ErrorPayload(value) : exitError(requestId, 1);
}

/** What Lambda reports when the runtime process exits during an invocation. */
export function exitError(requestId: string, status: number | string): InvocationError {
  return {
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${typeof status === 'number' ? `exit status ${status}` : `signal: ${status}`}`,
    trace: [],
  };
}

/** What Lambda reports when an invocation runs past the function timeout. */
export function timeoutError(requestId: string, timeout: number): InvocationError {
  return {
    errorType: 'Sandbox.Timedout',
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeout / 1000).toFixed(2)} seconds`,
    trace: [],
  };
}

/**
 * The init error of the runtime interface client 4 for a handler it refuses, or `undefined`: every
 * non-streaming handler that declares three or more parameters (`handler.length >= 3`, async or
 * not) is `Runtime.CallbackHandlerDeprecated`. A default value or rest parameters lower `length`,
 * so such handlers pass, as they do on Lambda.
 */
export function ric4InitError(
  handler: LambdaHandler,
  managedInstances22 = false,
): InvocationError | undefined {
  if (handler.length < 3) return undefined;
  return ric4ErrorPayload(
    namedError(
      'Runtime.CallbackHandlerDeprecated',
      managedInstances22 ? CALLBACK_ERROR_NODEJS22 : CALLBACK_ERROR_NODEJS24_ABOVE,
    ),
  );
}

/**
 * Runs a buffered handler as the runtime interface client 4 does (nodejs24.x): it is called with
 * `(event, context)` only, its return value is awaited (any thenable; a `then` that throws is a
 * rejection), and the value goes through `JSON.stringify` (`undefined` becomes `null`; a value that
 * throws is `Runtime.JSONStringifyError`; one that gives no JSON at all, a function or a symbol, is
 * the native client's TypeError "Wrong arguments"). There is no callback and no event-loop wait.
 * After `timeout` ms the invocation fails as Lambda reports it (`Sandbox.Timedout`).
 *
 * Where the runtime process would exit instead of answering, one process cannot: a thrown value
 * that `String()` cannot convert gives Lambda's `Runtime.ExitError` payload at once.
 */
export function invokeRic4(
  handler: LambdaHandler,
  event: unknown,
  context: Context,
  settings: InvokeSettings,
): Promise<Outcome> {
  const started = performance.now();
  const requestId = context.awsRequestId;
  const refused = ric4InitError(handler, settings.runtime === 'nodejs22.x');
  if (refused) {
    return Promise.resolve({ ok: false, error: refused, timedOut: false, duration: 0 });
  }
  return new Promise<Outcome>((resolve) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const late = () =>
      settings.warn('The handler completed after the invocation timed out; the completion was ignored.');
    const fail = (value: unknown) => {
      if (done) return late();
      finish({
        ok: false,
        error: ric4Failure(value, requestId),
        timedOut: false,
        duration: performance.now() - started,
      });
    };
    const succeed = (value: unknown) => {
      if (done) return late();
      let json: string | undefined;
      try {
        json = JSON.stringify(value === undefined ? null : value);
      } catch {
        return fail(namedError('Runtime.JSONStringifyError', 'Unable to stringify response body'));
      }
      // The native client takes only a string body.
      if (typeof json !== 'string') return fail(new TypeError('Wrong arguments'));
      finish({ ok: true, result: JSON.parse(json), json, duration: performance.now() - started });
    };
    const timer = setTimeout(() => {
      if (done) return;
      finish({
        ok: false,
        error: timeoutError(requestId, settings.timeout),
        timedOut: true,
        duration: performance.now() - started,
      });
    }, settings.timeout);

    const ids = {
      requestId,
      traceId: settings.traceId ?? (context as { xRayTraceId?: string }).xRayTraceId,
      tenantId: settings.tenantId ?? (context as { tenantId?: string }).tenantId,
    };
    let awaited: Promise<unknown>;
    try {
      // `Promise.resolve` reads `then` as `await` does: a throwing `then` gives a rejected promise.
      awaited = Promise.resolve(
        runInvocation(ids, () => (handler as (e: unknown, c: Context) => unknown)(event, context)),
      );
    } catch (error) {
      return fail(error);
    }
    awaited.then(succeed, fail);
  });
}
