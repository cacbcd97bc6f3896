import { LambdaBridgeError } from '../errors.js';
import type { InvocationError } from './outcome.js';

/**
 * The property the Node.js runtime reads to decide that a handler streams its response
 * (aws-lambda-ric `UserFunctionLoader.HANDLER_STREAMING`). Its only accepted value is `'response'`.
 */
export const HANDLER_STREAMING: unique symbol = Symbol.for('aws.lambda.runtime.handler.streaming') as never;

/** The property holding a streaming handler's `highWaterMark` (aws-lambda-ric). */
export const HANDLER_HIGHWATERMARK: unique symbol = Symbol.for(
  'aws.lambda.runtime.handler.streaming.highWaterMark',
) as never;

/** The content type `HttpResponseStream.from` gives the response stream. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

/** The error type of a streaming handler invoked where no response stream can reach the client. */
export const STREAMING_NOT_SUPPORTED = 'Runtime.StreamingNotSupported';

/** The failure of a streaming handler invoked without a response stream. */
export function streamingNotSupported(): InvocationError {
  return {
    errorType: STREAMING_NOT_SUPPORTED,
    errorMessage:
      'The handler is wrapped with streamifyResponse, but the service in front of it cannot stream responses.',
    trace: [],
  };
}

/** The number of NUL bytes that separate the JSON prelude from the body. */
export const PRELUDE_DELIMITER_LENGTH = 8;

/** The marking `streamifyResponse` adds to a handler. */
export interface StreamingMark {
  [HANDLER_STREAMING]: 'response';
  [HANDLER_HIGHWATERMARK]?: number;
}

export interface StreamifyOptions {
  /** The `highWaterMark` of the socket the runtime streams the response through, in bytes. */
  highWaterMark?: number;
}

/**
 * The part of a response stream `HttpResponseStream.from` relies on: the runtime's stream (and
 * the emulated one) set their content type until the first write, and call `_onBeforeFirstWrite`
 * with their own unhooked `write` just before the first written chunk.
 */
export interface PreludeTarget {
  setContentType(contentType: string): void;
  _onBeforeFirstWrite?: ((write: (chunk: string | Uint8Array) => unknown) => void) | undefined;
}

/** The HTTP head of a streamed response, as API Gateway and function URLs read it. */
export interface HttpPrelude {
  statusCode?: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  [key: string]: unknown;
}

/** A handler carries a streaming mark other than `'response'` (the runtime refuses it at init). */
export class MalformedStreamingHandlerError extends LambdaBridgeError {
  override readonly code = 'LAMBDA_BRIDGE_MALFORMED_STREAMING_HANDLER';
  constructor(message: string) {
    super('LAMBDA_BRIDGE_MALFORMED_STREAMING_HANDLER', message);
    this.name = 'MalformedStreamingHandlerError';
  }
}

/**
 * Marks a handler as streaming, exactly as the Node.js runtime's `awslambda.streamifyResponse`
 * does: the same symbol-keyed property set to `'response'` on the function itself, and the
 * `highWaterMark` option stored beside it. The runtime then calls the handler as
 * `(event, responseStream, context)`.
 *
 * @example
 * export const handler = streamifyResponse(async (event, responseStream) => {
 *   responseStream.write('hello');
 *   responseStream.end();
 * });
 */
export function streamifyResponse<H extends (...args: never[]) => unknown>(
  handler: H,
  options?: StreamifyOptions,
): H & StreamingMark {
  const marked = handler as H & StreamingMark;
  marked[HANDLER_STREAMING] = 'response';
  if (typeof options?.highWaterMark === 'number') {
    marked[HANDLER_HIGHWATERMARK] = Number.parseInt(String(options.highWaterMark), 10);
  }
  return marked;
}

/**
 * Whether the runtime would stream this handler's response: its streaming mark is `'response'`.
 * An unmarked handler is not streaming; any other mark throws {@link MalformedStreamingHandlerError},
 * as the runtime fails such a handler at init ("Only response streaming is supported.").
 */
export function isStreamingHandler(handler: unknown): boolean {
  if (typeof handler !== 'function' && (typeof handler !== 'object' || handler === null)) {
    return false;
  }
  const mark = (handler as Record<symbol, unknown>)[HANDLER_STREAMING];
  if (!mark) return false;
  if (mark === 'response') return true;
  throw new MalformedStreamingHandlerError(
    `The handler's streaming mark is ${JSON.stringify(String(mark))}: only response streaming is supported. Wrap the handler with awslambda.streamifyResponse(handler) instead of setting the mark by hand.`,
  );
}

/** The `highWaterMark` a streaming handler asked for, as the runtime reads it, or `undefined`. */
export function streamingHighWaterMark(handler: unknown): number | undefined {
  if (typeof handler !== 'function') return undefined;
  const value = (handler as unknown as Record<symbol, unknown>)[HANDLER_HIGHWATERMARK];
  if (!value) return undefined;
  const number = Number(value);
  return Number.isNaN(number) ? undefined : number;
}

/**
 * `awslambda.HttpResponseStream`, as the Node.js runtime defines it. `from(stream, prelude)` sets the
 * stream's content type to `application/vnd.awslambda.http-integration-response` and arranges for
 * `JSON.stringify(prelude)` and then 8 NUL bytes to be written just before the first `write()`.
 * As in the runtime, the prelude is not validated, a stream that only ever sees `end(chunk)` sends
 * no prelude (so write at least once, even an empty chunk), and the same stream is returned.
 */
// A class with one static method, as in the runtime, so `typeof HttpResponseStream` matches.
// biome-ignore lint/complexity/noStaticOnlyClass: mirrors the runtime's own shape
export class HttpResponseStream {
  static from<S extends PreludeTarget>(stream: S, prelude: HttpPrelude | Record<string, unknown>): S {
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const json = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(json);
      write(new Uint8Array(PRELUDE_DELIMITER_LENGTH));
    };
    return stream;
  }
}

/** The most a streamed response may carry: 200 MB (Lambda response streaming quotas). */
export const STREAM_LIMIT = 200 * 1024 * 1024;

/** The first bytes of a streamed response go out at full speed; the rest at {@link STREAM_RATE}. */
export const STREAM_FULL_SPEED_BYTES = 6 * 1024 * 1024;

/** The bandwidth of a streamed response past its first 6 MB, in bytes per second (2 MB/s). */
export const STREAM_RATE = 2 * 1024 * 1024;

/** A streaming handler as the middleware accepts it: `(event, responseStream, context)`, marked by `streamifyResponse`. */
export type StreamingHandler = ((event: never, responseStream: never, context: never) => unknown) &
  StreamingMark;
