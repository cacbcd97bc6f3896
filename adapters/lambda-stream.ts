import type { ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { failed } from '../lib/apps/dispatch.js';
import { attachInvocation } from '../lib/apps/invocation.js';
import type { RequestListener } from '../lib/apps/node.js';
import { describeThrown, StreamAbortedError, StreamingUnsupportedError } from '../lib/errors.js';
import { finalStatusProblem } from '../lib/finalize.js';
import {
  albFormat,
  apiGatewayV1Format,
  apiGatewayV2Format,
  detectFormat,
  functionUrlFormat,
  type HttpEvent,
  handWrittenV1Format,
} from '../lib/formats/detect.js';
import { isHopByHop } from '../lib/headers.js';
import type { HttpRequest } from '../lib/http.js';
import { isThenable } from '../lib/invoke/invoke.js';
import {
  type HttpPrelude,
  HttpResponseStream,
  type PreludeTarget,
  STREAM_LIMIT,
  type StreamingMark,
  streamifyResponse,
} from '../lib/invoke/streaming.js';
import { createRequest } from '../lib/node/request.js';
import { createStreamingResponse, dropResponse, flattenHeaders } from '../lib/node/response.js';
import { BridgeSocket } from '../lib/node/socket.js';
import { LATE, within } from '../lib/timers.js';

/** What the forward bridge needs from the runtime's response stream (a `Writable`). */
export interface ResponseStreamLike extends PreludeTarget {
  write(chunk: Uint8Array | string, callback?: (error?: Error | null) => void): boolean;
  end(callback?: () => void): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly writableEnded?: boolean;
}

/** A Lambda handler whose response streams: `(event, responseStream, context) => Promise<void>`. */
export type StreamingHttpHandler<E extends HttpEvent = HttpEvent> = ((
  event: E,
  responseStream: ResponseStreamLike,
  context?: Context,
) => Promise<void>) &
  StreamingMark;

export interface StreamingSettings {
  /** The app, once it is known; a factory or promise is resolved by `resolveApp`. */
  listener(): RequestListener | Promise<RequestListener>;
  basePath: string | undefined;
  exposeErrors: boolean;
  /** Milliseconds before the deadline at which an unfinished stream is ended. */
  deadline(context: Context | undefined): number | undefined;
  warn(code: string, message: string, requestId: string | undefined): void;
}

interface RuntimeGlobal {
  streamifyResponse?: (handler: unknown, options?: unknown) => unknown;
  HttpResponseStream?: { from(stream: unknown, prelude: unknown): unknown };
}

/** The Node.js runtime's `awslambda` global, when this process has one. */
function runtimeGlobal(): RuntimeGlobal | undefined {
  const found = (globalThis as { awslambda?: unknown }).awslambda;
  return typeof found === 'object' && found !== null ? (found as RuntimeGlobal) : undefined;
}

/** The prelude of a streamed response: status, headers (each joined by ", ") and every Set-Cookie. */
export function preludeOf(res: ServerResponse): HttpPrelude {
  const flat = flattenHeaders(res.getHeaders());
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i];
    if (name === 'set-cookie') cookies.push(flat[i + 1]);
    else if (!isHopByHop(name)) {
      const prev = headers[name];
      headers[name] = prev === undefined ? flat[i + 1] : `${prev}, ${flat[i + 1]}`;
    }
  }
  return { statusCode: res.statusCode, headers, cookies };
}

/**
 * Builds the streaming handler `toLambda(app, { streaming: true })` returns: marked as
 * `awslambda.streamifyResponse` marks it (the runtime's own when it is present), answering
 * function URL and API Gateway REST events through the response stream as the app writes.
 */
/** The services that stream a response: function URLs and API Gateway REST (hand-written events included). */
const STREAMING_FORMATS = new Set<unknown>([functionUrlFormat, apiGatewayV1Format, handWrittenV1Format]);

function serviceOf(format: { name: string }): string {
  if (format === albFormat) return 'an Application Load Balancer';
  if (format === apiGatewayV2Format) return 'an API Gateway HTTP API';
  return format.name;
}

export function streamingHandler(settings: StreamingSettings): StreamingHttpHandler {
  const handler = async (event: HttpEvent, stream: ResponseStreamLike, context?: Context) => {
    const format = detectFormat(event);
    const requestId = context?.awsRequestId;
    if (!STREAMING_FORMATS.has(format)) {
      throw new StreamingUnsupportedError(
        `toLambda(app, { streaming: true }) received an event from ${serviceOf(format)}, which cannot stream responses. Invoke the function through a function URL (invoke mode RESPONSE_STREAM) or an API Gateway REST API (responseTransferMode STREAM), or drop the streaming option to return buffered results.`,
      );
    }
    const warn = (code: string, message: string) => settings.warn(code, message, requestId);
    // The deadline covers the app factory too, as for a buffered result.
    const from = performance.now();
    const wait = settings.deadline(context);
    let app: RequestListener | typeof LATE;
    try {
      const made = settings.listener();
      app = typeof made === 'function' ? made : await within(made, wait);
    } catch (error) {
      warn('APP_INIT_ERROR', `answered 500: the app could not be created: ${describeThrown(error)}`);
      return answerPlain(stream, 500, 'Internal Server Error');
    }
    if (app === LATE) {
      warn(
        'APP_TIMEOUT',
        `answered 504: the app was not ready within ${Math.round(wait ?? 0)} ms, before the Lambda deadline; it is still being created for the next invocation.`,
      );
      return answerPlain(stream, 504, 'Gateway Timeout');
    }
    const request = format.requestFromEvent(event, settings.basePath);
    if (typeof request === 'string') {
      warn('INVALID_EVENT', `answered 400 to a malformed ${format.name} event: ${request}.`);
      return answerPlain(stream, 400, 'Bad Request');
    }
    const left = wait === undefined ? undefined : Math.max(0, wait - (performance.now() - from));
    return run(app, request, { event, context }, stream, settings, left, warn);
  };
  const runtime = runtimeGlobal();
  const mark = runtime?.streamifyResponse ?? streamifyResponse;
  return mark(handler) as StreamingHttpHandler;
}

function preludeFor(stream: ResponseStreamLike, prelude: HttpPrelude): void {
  const from = runtimeGlobal()?.HttpResponseStream?.from ?? HttpResponseStream.from;
  from.call(runtimeGlobal()?.HttpResponseStream ?? HttpResponseStream, stream, prelude);
}

function answerPlain(stream: ResponseStreamLike, status: number, text: string): Promise<void> {
  preludeFor(stream, {
    statusCode: status,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    cookies: [],
  });
  return new Promise<void>((resolve) => {
    stream.write(Buffer.from(text, 'utf8'));
    stream.end(() => resolve());
  });
}

function run(
  app: RequestListener,
  request: HttpRequest,
  invocation: { event: HttpEvent; context: Context | undefined },
  stream: ResponseStreamLike,
  settings: StreamingSettings,
  wait: number | undefined,
  warn: (code: string, message: string) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    // The bridge is answering in the app's place: the app's stream and socket no longer count.
    let answering = false;
    let started = false;
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const socket = new BridgeSocket(
      request.remoteAddress,
      request.remotePort,
      request.protocol === 'https',
      request.port,
    );
    const req = createRequest(request, socket);
    attachInvocation(req, invocation);

    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    // The invocation ends without the rest of the app's response: what it still writes is dropped.
    const abandon = (error: Error | undefined) => {
      dropResponse(res);
      socket.destroy();
      settle(error);
    };
    // Before the head: a plain answer in its place. After it: the stream ends with an error,
    // which the runtime sends as error trailers, and the client sees a cut-short response.
    const stop = (status: number, text: string, error: Error) => {
      if (settled || answering) return;
      if (!started) {
        answering = true;
        dropResponse(res);
        socket.destroy();
        answerPlain(stream, status, text).then(() => settle(), settle);
        return;
      }
      abandon(error);
    };

    const { res, drain } = createStreamingResponse(req, socket, {
      head(response) {
        const invalid = finalStatusProblem(response.statusCode, response.statusMessage);
        if (invalid !== undefined) {
          warn('INVALID_STATUS', `answered 500: ${invalid}.`);
          stop(500, 'Internal Server Error', new StreamAbortedError(invalid));
          return;
        }
        started = true;
        preludeFor(stream, preludeOf(response));
        stream.write(Buffer.alloc(0));
      },
      chunk(buffer, callback) {
        sent += buffer.length;
        if (sent > STREAM_LIMIT) {
          const text = `the app's streamed body passed the ${STREAM_LIMIT}-byte limit of a streamed Lambda response`;
          warn('STREAM_TOO_LARGE', `ended the stream with an error: ${text}.`);
          abandon(new StreamAbortedError(`The response stream was cut: ${text}.`));
          return false;
        }
        return stream.write(buffer, callback);
      },
      end(finished) {
        stream.end(() => {
          finished();
          settle();
        });
      },
    });
    stream.on('drain', drain);
    stream.once('close', () => {
      if (settled || answering || res.writableEnded) return;
      warn('STREAM_CLOSED', 'the response stream closed before the app finished its response.');
      abandon(undefined);
    });
    stream.once('error', (error) => {
      if (settled || answering) return;
      warn('STREAM_ERROR', `the response stream failed: ${describeThrown(error)}`);
      abandon(error instanceof Error ? error : new Error(String(error)));
    });
    socket.once('close', () => {
      if (settled || answering || res.writableEnded) return;
      warn('APP_CLOSED', 'the app closed the connection without finishing its response.');
      stop(502, 'Bad Gateway', new StreamAbortedError('The app closed the connection mid-response.'));
    });

    const fail = (error: unknown) => {
      const message = describeThrown(error);
      if (settled || answering || res.writableEnded) {
        warn('APP_ERROR', `the app failed after finishing its response: ${message}`);
        return;
      }
      const after = started ? 'ended the stream with an error' : 'answered 500';
      warn('APP_ERROR', `${after}: the app failed before finishing its response: ${message}`);
      stop(
        500,
        failed(error, settings.exposeErrors).body.toString('utf8'),
        new StreamAbortedError(`The app failed after its response started: ${message}`, { cause: error }),
      );
    };
    try {
      const returned = app(req, res);
      if (isThenable(returned)) returned.then(undefined, fail);
    } catch (error) {
      fail(error);
    }
    if (wait !== undefined && !settled && !res.writableEnded) {
      timer = setTimeout(() => {
        if (settled || answering || res.writableEnded) return;
        const text = `the app did not finish its response within ${Math.round(wait)} ms, before the Lambda deadline`;
        warn('APP_TIMEOUT', `${started ? 'ended the stream with an error' : 'answered 504'}: ${text}.`);
        stop(504, 'Gateway Timeout', new StreamAbortedError(`The response stream was cut: ${text}.`));
      }, wait);
    }
  });
}
