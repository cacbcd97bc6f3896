import type { ALBEvent, APIGatewayProxyEvent, Context } from 'aws-lambda';
import { type Dispatch, plain } from '../lib/apps/dispatch.js';
import { isFastify } from '../lib/apps/fastify.js';
import type { FetchApp, FetchHandler } from '../lib/apps/fetch.js';
import { getInvocation, type Invocation } from '../lib/apps/invocation.js';
import { type App, type CallbackApp, dispatchOf, fromFetch, streamingListenerOf } from '../lib/apps/kinds.js';
import type { RequestListener } from '../lib/apps/node.js';
import { binaryPredicate } from '../lib/binary.js';
import { describeThrown } from '../lib/errors.js';
import { finalizeResponse, finalStatusProblem, isBodiless } from '../lib/finalize.js';
import type { ResultSettings } from '../lib/formats/alb.js';
import { handWrittenGaps } from '../lib/formats/apigw-v1.js';
import { detectFormat, type HttpEvent, handWrittenV1Format, type ResultFor } from '../lib/formats/detect.js';
import { headerBlockSize, lastHeader } from '../lib/http.js';
import { isThenable } from '../lib/invoke/invoke.js';
import { safeLog, stderrWarnings } from '../lib/log.js';
import type { BodyLimit } from '../lib/node/response.js';
import { chooseCoding, compressResponse, resultSize } from '../lib/size.js';
import { LATE, within } from '../lib/timers.js';
import {
  checkOptions,
  deadline,
  type ToLambdaOptions,
  type ToLambdaStreamingOptions,
} from './lambda-options.js';
import { type StreamingHttpHandler, streamingHandler } from './lambda-stream.js';

export {
  type App,
  type CallbackApp,
  type FetchApp,
  type FetchHandler,
  fromFetch,
  getInvocation,
  type Invocation,
  type RequestListener,
  type ToLambdaOptions,
  type ToLambdaStreamingOptions,
};

/** An app, a promise of one, or a function of no arguments that returns one (awaited once). */
export type AppSource = App | PromiseLike<App> | (() => App | PromiseLike<App>);

/**
 * The handler `toLambda` returns: ALB events by default; name the event type (`toLambda<APIGatewayProxyEventV2>(app)`)
 * to get the matching result type.
 */
export type HttpHandler<E extends HttpEvent = ALBEvent> = (
  event: E,
  context?: Context,
) => Promise<ResultFor<E>>;

/** The handler for ALB events. */
export type AlbHandler = HttpHandler<ALBEvent>;

/**
 * Without a deadline, an invocation whose response is still open after this long is reported once
 * (it keeps waiting): a unit test that calls the handler without a context would otherwise hang
 * silently.
 */
const PENDING_WARNING_MS = 30_000;

/**
 * Turns a Node app into an `async (event, context) => result` Lambda handler for Application
 * Load Balancer events, in single- and multi-value header mode.
 *
 * @example
 * import express from 'express';
 * import { toLambda } from 'lambda-bridge';
 * const app = express();
 * app.get('/hello', (req, res) => res.json({ hello: req.query.name }));
 * export const handler = toLambda(app);
 */
export function toLambda(source: AppSource, options: ToLambdaStreamingOptions): StreamingHttpHandler;
export function toLambda<E extends HttpEvent = ALBEvent>(
  source: AppSource,
  options?: ToLambdaOptions,
): HttpHandler<E>;
export function toLambda<E extends HttpEvent = ALBEvent>(
  source: AppSource,
  options: ToLambdaOptions | ToLambdaStreamingOptions = {},
): HttpHandler<E> | StreamingHttpHandler {
  checkOptions(options);
  const log = options.log ?? stderrWarnings;
  const margin = options.deadlineMargin ?? 500;
  const exposeErrors = options.exposeErrors === true;
  let cookieWarned = false;
  let handWrittenWarned = false;
  const headersWarned = new Set<string>();
  const settings: ResultSettings = {
    isBinary: binaryPredicate(options.binary),
    singleSetCookie: options.singleSetCookie ?? 'last',
    onCookiesDropped(kept, dropped, where, remedy) {
      if (cookieWarned) return;
      cookieWarned = true;
      safeLog(log, {
        level: 'warn',
        code: 'SET_COOKIE_DROPPED',
        message: `the app set ${dropped + 1} cookies, but ${where} carries one Set-Cookie header; kept ${JSON.stringify(kept.split(';')[0])} and dropped ${dropped}. ${remedy}. (Warned once per handler.)`,
      });
    },
    onHeadersDropped(names, why) {
      const fresh = names.filter((name) => !headersWarned.has(name));
      if (fresh.length === 0) return;
      for (const name of fresh) headersWarned.add(name);
      safeLog(log, {
        level: 'warn',
        code: 'HEADERS_DROPPED',
        message: `left out the response headers ${fresh.join(', ')}: ${why}. (Warned once per header name and handler.)`,
      });
    },
  };

  if (options.streaming === true) {
    // A factory or promise is resolved on the first invocation (and again after a failure).
    const deferred =
      (typeof source === 'function' && source.length === 0) || (isThenable(source) && !isFastify(source));
    let node = deferred ? undefined : streamingListenerOf(source, 'it got');
    let resolving: Promise<RequestListener> | undefined;
    const streamed = (): RequestListener | Promise<RequestListener> => {
      if (node !== undefined) return node;
      resolving ??= (async () => {
        const made = typeof source === 'function' ? await (source as () => unknown)() : await source;
        node = streamingListenerOf(made, 'the factory or promise gave');
        return node;
      })().finally(() => {
        resolving = undefined;
      });
      return resolving;
    };
    return streamingHandler({
      listener: streamed,
      basePath: options.basePath?.replace(/\/+$/, '') || undefined,
      exposeErrors,
      deadline: (context) => deadline(context, margin),
      warn: (code, message, requestId) => safeLog(log, { level: 'warn', code, message, requestId }),
    });
  }

  let dispatch: Dispatch | undefined;
  let pending: Promise<Dispatch> | undefined;
  if (typeof source === 'function' && source.length === 0) {
    // A function of no arguments is a factory, called on the first invocation.
  } else if (isThenable(source) && !isFastify(source)) {
    // Awaited on the first invocation. (A Fastify instance is thenable too: it is booted under the deadline instead.)
  } else {
    dispatch = dispatchOf(source, 'it got');
  }

  function resolveApp(): Promise<Dispatch> {
    pending ??= (async () => {
      const made = typeof source === 'function' ? await (source as () => unknown)() : await source;
      return dispatchOf(made, 'the factory or promise gave');
    })().then(
      (resolved) => {
        dispatch = resolved;
        return resolved;
      },
      (error: unknown) => {
        pending = undefined; // The next invocation tries again.
        throw error;
      },
    );
    return pending;
  }

  const basePath = options.basePath?.replace(/\/+$/, '') || undefined;
  return async (event: E, context?: Context): Promise<ResultFor<E>> => {
    const format = detectFormat(event);
    const requestId = context?.awsRequestId;
    const warn = (code: string, message: string) => safeLog(log, { level: 'warn', code, message, requestId });
    if (format === handWrittenV1Format && !handWrittenWarned) {
      handWrittenWarned = true;
      const gaps = handWrittenGaps(event as unknown as APIGatewayProxyEvent).join(', ');
      warn(
        'HAND_WRITTEN_EVENT',
        `read an event that has httpMethod but no requestContext as an API Gateway REST (payload 1.0) event; it lacks ${gaps}, which API Gateway always sends. Build complete test events with createApiGatewayEvent() or createAlbEvent(). (Warned once per handler.)`,
      );
    }
    // The deadline covers the app factory too.
    const started = performance.now();
    const wait = deadline(context, margin);
    const pending =
      wait === undefined
        ? setTimeout(
            () =>
              warn(
                'APP_PENDING',
                `the invocation is still waiting for the app after ${PENDING_WARNING_MS / 1000} s: its response is not finished, and there is no deadline to end it (the context has no usable getRemainingTimeInMillis). Pass the Lambda context, or make the app end its response.`,
              ),
            PENDING_WARNING_MS,
          ).unref()
        : undefined;
    try {
      return await handle(event, context, format, wait, started, warn);
    } finally {
      if (pending !== undefined) clearTimeout(pending);
    }
  };

  async function handle(
    event: E,
    context: Context | undefined,
    format: ReturnType<typeof detectFormat>,
    wait: number | undefined,
    started: number,
    warn: (code: string, message: string) => void,
  ): Promise<ResultFor<E>> {
    const answer = (status: number, text: string, method = 'GET') =>
      format.resultFromResponse(
        finalizeResponse(plain(status, text), method),
        event,
        settings,
      ) as ResultFor<E>;

    let app = dispatch;
    let left = wait;
    if (app === undefined) {
      let made: Dispatch | typeof LATE;
      try {
        made = await within(resolveApp(), wait);
      } catch (error) {
        warn('APP_INIT_ERROR', `answered 500: the app could not be created: ${describeThrown(error)}`);
        return answer(500, 'Internal Server Error', methodOf(event));
      }
      if (made === LATE) {
        warn(
          'APP_TIMEOUT',
          `answered 504: the app was not ready within ${Math.round(wait ?? 0)} ms, before the Lambda deadline; it is still being created for the next invocation.`,
        );
        return answer(504, 'Gateway Timeout', methodOf(event));
      }
      app = made;
      // The app has what remains of the deadline.
      if (wait !== undefined) left = Math.max(0, wait - (performance.now() - started));
    }

    const request = format.requestFromEvent(event, basePath);
    if (typeof request === 'string') {
      warn('INVALID_EVENT', `answered 400 to a malformed ${format.name} event: ${request}.`);
      return answer(400, 'Bad Request');
    }
    const limit = format.resultLimit;
    const acceptEncoding = lastHeader(request.headers, 'accept-encoding');
    let overflow: number | undefined;
    let overflowCompressed = false;
    const bodyLimit: BodyLimit = {
      bytes: limit,
      // The JSON of a result is longer than its body, so a longer body can only fit compressed.
      coding: (encoded) => (encoded ? undefined : chooseCoding(acceptEncoding)),
      bodiless: (status) => isBodiless(request.method, status),
      onOverflow: (size, compressed) => {
        overflow = size;
        overflowCompressed = compressed;
      },
    };
    const ran = await app({
      request,
      invocation: { event, context },
      wait: left,
      exposeErrors,
      warn,
      limit: bodyLimit,
    });
    if (overflow !== undefined) {
      const text = overflowCompressed
        ? `The ${format.name} result is over its ${limit}-byte limit even compressed: the app's response body did not fit compressed (${overflow} bytes written when the bridge stopped compressing it).`
        : `The ${format.name} result is over its ${limit}-byte limit: the app's response body alone passed ${limit} bytes (${overflow} when the bridge stopped buffering it), and the client does not accept it compressed.`;
      warn('RESULT_TOO_LARGE', `answered 502: ${text} The ${format.name} would reject it with a bare 502.`);
      return answer(502, text, request.method);
    }
    const invalid = finalStatusProblem(ran.status, ran.reason);
    if (invalid) {
      warn('INVALID_STATUS', `answered 500: ${invalid}.`);
      return answer(500, 'Internal Server Error', request.method);
    }
    const response = finalizeResponse(ran, request.method);
    const headerBytes = format.headerLimit === undefined ? 0 : headerBlockSize(response.headers);
    if (format.headerLimit !== undefined && headerBytes > format.headerLimit) {
      const text = `The ${format.name} response headers are ${headerBytes} bytes, over its ${format.headerLimit}-byte limit.`;
      warn('RESULT_TOO_LARGE', `answered 502: ${text} The ${format.name} would reject them with a bare 502.`);
      return answer(502, text, request.method);
    }

    const result = format.resultFromResponse(response, event, settings);
    if (typeof result === 'string') {
      warn('RESULT_INEXPRESSIBLE', `answered 500: ${result}.`);
      return answer(500, 'Internal Server Error');
    }
    const size = resultSize(result, limit);
    if (size <= limit) return result as ResultFor<E>;
    const compressed = compressResponse(response, acceptEncoding);
    const retry = compressed && format.resultFromResponse(compressed, event, settings);
    if (retry && typeof retry !== 'string' && resultSize(retry, limit) <= limit) return retry as ResultFor<E>;
    const text = `The ${format.name} result is ${size} bytes of JSON, over its ${limit}-byte limit${compressed ? ' even compressed' : ''}.`;
    warn('RESULT_TOO_LARGE', `answered 502: ${text} The ${format.name} would reject it with a bare 502.`);
    return answer(502, text, request.method);
  }
}

/** The request method of an event not read yet, for a bodiless HEAD answer. */
function methodOf(event: unknown): string {
  const e = event as {
    httpMethod?: unknown;
    method?: unknown;
    requestContext?: { http?: { method?: unknown } };
    Records?: { 0?: { cf?: { request?: { method?: unknown } } } };
  };
  const method =
    e.httpMethod ?? e.requestContext?.http?.method ?? e.method ?? e.Records?.[0]?.cf?.request?.method;
  return typeof method === 'string' ? method : 'GET';
}
