import type { Context } from 'aws-lambda';
import type { BinaryOption } from '../lib/binary.js';
import { describe, InvalidOptionError } from '../lib/errors.js';
import type { SingleSetCookie } from '../lib/formats/alb.js';
import type { LogHook } from '../lib/log.js';
import { MAX_TIMER_MS } from '../lib/timers.js';

// toLambda's options, as documented and as checked, and the deadline they set for an invocation.

export interface ToLambdaOptions {
  /**
   * Which response bodies travel base64-encoded: a list of media types (`*` wildcards allowed)
   * that are binary, or a predicate `(contentType, contentEncoding) => boolean`. A body that is
   * not valid UTF-8 is always sent as base64.
   * @default defaultIsBinary (text-like types and untyped bodies are text, everything else is binary)
   */
  binary?: BinaryOption;
  /**
   * Which `Set-Cookie` a single-value result keeps when the app sets several: `'last'`,
   * `'first'`, or `'fail'` (answer 500 instead). A warning names the target-group attribute
   * that lifts the limit.
   * @default 'last'
   */
  singleSetCookie?: SingleSetCookie;
  /**
   * How long before the Lambda deadline (`context.getRemainingTimeInMillis()`) an unfinished
   * response is answered with 504, in milliseconds. When less than twice this remains at the
   * start, half of the remaining time is used.
   * @default 500
   */
  deadlineMargin?: number;
  /**
   * Whether a 500 answer for an error the app threw carries the error's stack in its body.
   * @default false
   */
  exposeErrors?: boolean;
  /**
   * A path prefix removed from the request path before the app sees it: an API Gateway stage or
   * custom-domain base path (`/prod`), or a prefix an ALB rule forwards.
   * @default none
   */
  basePath?: string;
  /** Buffered results (the default); see {@link ToLambdaStreamingOptions}. */
  streaming?: false;
  /**
   * Receives every warning. The library writes nothing to the console otherwise.
   * @default one line per warning on stderr
   */
  log?: LogHook;
}

export interface ToLambdaStreamingOptions extends Omit<ToLambdaOptions, 'streaming'> {
  /**
   * Stream the response instead of buffering it: the handler becomes a streaming one
   * (`awslambda.streamifyResponse`), for function URLs (invoke mode `RESPONSE_STREAM`) and API
   * Gateway REST (`responseTransferMode: STREAM`). Each chunk the app writes is sent as it is
   * written, with backpressure, up to 200 MB. Other events are refused with
   * `StreamingUnsupportedError`.
   */
  streaming: true;
}

export function checkOptions(options: ToLambdaOptions | ToLambdaStreamingOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`toLambda options must be an object; it got ${describe(options)}.`);
  }
  const { singleSetCookie, deadlineMargin, log } = options;
  if (singleSetCookie !== undefined && !['last', 'first', 'fail'].includes(singleSetCookie)) {
    throw new InvalidOptionError(
      `The "singleSetCookie" option is 'last', 'first' or 'fail'; it got ${describe(singleSetCookie)}.`,
    );
  }
  if (
    deadlineMargin !== undefined &&
    !(typeof deadlineMargin === 'number' && deadlineMargin >= 0 && deadlineMargin <= MAX_TIMER_MS)
  ) {
    throw new InvalidOptionError(
      `The "deadlineMargin" option is a number of milliseconds from 0 to ${MAX_TIMER_MS}; it got ${describe(deadlineMargin)}.`,
    );
  }
  if (
    options.basePath !== undefined &&
    (typeof options.basePath !== 'string' || !options.basePath.startsWith('/'))
  ) {
    throw new InvalidOptionError(
      `The "basePath" option is a path that starts with "/"; it got ${describe(options.basePath)}.`,
    );
  }
  if (log !== undefined && typeof log !== 'function') {
    throw new InvalidOptionError(`The "log" option is a function (entry) => void; it got ${describe(log)}.`);
  }
  if (options.streaming !== undefined && typeof options.streaming !== 'boolean') {
    throw new InvalidOptionError(
      `The "streaming" option is true or false; it got ${describe(options.streaming)}.`,
    );
  }
}

/**
 * Milliseconds the app has, or `undefined` for no deadline: without `getRemainingTimeInMillis`, or
 * when it gives no number or more than a timer can hold (`Infinity` and `1e10` in test mocks).
 */
export function deadline(context: Context | undefined, margin: number): number | undefined {
  if (typeof context?.getRemainingTimeInMillis !== 'function') return undefined;
  const remaining: unknown = context.getRemainingTimeInMillis();
  if (typeof remaining !== 'number' || Number.isNaN(remaining)) return undefined;
  if (!(remaining > 0)) return 0;
  const wait = remaining > 2 * margin ? remaining - margin : remaining / 2;
  return wait > MAX_TIMER_MS ? undefined : wait;
}
