import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ALBEvent } from 'aws-lambda';
import { randomUUID } from './builtin.js';
import { type AlbEmulatorOptions, type EmulatorSettings, settingsOf } from './emulate-options.js';
import { describe, InvalidOptionError } from './errors.js';
import { splitUrl } from './events.js';
import { finalizeResponse } from './finalize.js';
import { newTraceId } from './formats/alb-reverse.js';
import { stripBasePath } from './formats/fields.js';
import { ALB_REQUEST_LIMIT, type FormatName } from './formats/reverse.js';
import { hasInvalidValueChar } from './headers.js';
import type { HttpRequest, HttpResponse } from './http.js';
import { handlerInvoker, type InvokerOutcome, STREAMING_NOT_SUPPORTED } from './invoke/handler.js';
import type { LambdaHandler, Outcome } from './invoke/invoke.js';
import type { StreamTarget } from './invoke/stream-invoke.js';
import { isStreamingHandler, type StreamingHandler } from './invoke/streaming.js';
import { safeLog } from './log.js';
import { createStreamAnswer, formatStreams, type StreamAnswer, streamingRefusal } from './stream-answer.js';

export { ALB_REQUEST_LIMIT, type FormatName };

/** What an adapter knows about the request beyond the Node objects. */
export interface RequestHints {
  /** The request target as the client sent it, before a router stripped a mount prefix. */
  url?: string;
  /** The raw body bytes, when a body parser mounted earlier kept them. */
  rawBody?: unknown;
}

export const REASON_HEADER = 'x-lambda-bridge-reason';

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Header lines as the service puts them in an event: lower-case names, and values read as UTF-8
 * (Node hands over header bytes as Latin-1 text; the service decodes them as UTF-8).
 */
function wireHeaders(raw: readonly string[]): string[] | { invalid: string } {
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i += 2) {
    const value = raw[i + 1];
    out[i] = raw[i].toLowerCase();
    if (NON_ASCII.test(value)) {
      const bytes = Buffer.from(value, 'latin1');
      // The service refuses header bytes that are not UTF-8 (ELB access-log reason LambdaBadRequest).
      if (!isUtf8(bytes)) return { invalid: out[i] };
      out[i + 1] = bytes.toString('utf8');
    } else {
      out[i + 1] = value;
    }
  }
  return out;
}

/** The origin-form of a request target: an absolute-form target (`http://host/p?q`) keeps its path and query. */
function targetPath(url: string): string {
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const slash = url.indexOf('/', scheme + 3);
  const query = url.indexOf('?', scheme + 3);
  if (slash === -1 || (query !== -1 && query < slash)) return query === -1 ? '/' : `/${url.slice(query)}`;
  return url.slice(slash);
}

function peerAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

export type BodyReading = Buffer | 'too-large' | 'consumed' | 'aborted';

function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Raw bytes a body parser kept: a Buffer body (`express.raw()`), or a `rawBody` string or Buffer. */
function keptBody(req: IncomingMessage, hints: RequestHints | undefined): Buffer | undefined {
  const held = req as { rawBody?: unknown; body?: unknown };
  for (const raw of [hints?.rawBody, held.rawBody, held.body]) if (Buffer.isBuffer(raw)) return raw;
  for (const raw of [hints?.rawBody, held.rawBody])
    if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  return undefined;
}

function readBody(
  req: IncomingMessage,
  hints: RequestHints | undefined,
  limit: number,
): Promise<BodyReading> | BodyReading {
  if (req.readableEnded || req.readableDidRead) {
    const kept = keptBody(req, hints);
    if (kept !== undefined) return kept.length > limit ? 'too-large' : kept;
    return declaresBody(req) ? 'consumed' : EMPTY;
  }
  // No body is announced (a GET, say): nothing to wait for; Node discards any stray bytes.
  if (!declaresBody(req)) return EMPTY;
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return 'too-large';
  return new Promise<BodyReading>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      req.removeListener('aborted', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = () => {
      cleanup();
      resolve('aborted');
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

const EMPTY = Buffer.alloc(0);
// What an earlier middleware may have set that describes a body this answer replaces.
const STALE = new Set([
  'content-length',
  'content-type',
  'content-encoding',
  'content-language',
  'content-range',
  'etag',
  'last-modified',
]);

function send(res: ServerResponse, response: HttpResponse, close = false): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.end();
    return;
  }
  for (const name of res.getHeaderNames()) if (STALE.has(name)) res.removeHeader(name);
  res.statusCode = response.status;
  if (response.reason !== undefined) res.statusMessage = response.reason;
  const headers = response.headers;
  const grouped = new Map<string, string | string[]>();
  for (let i = 0; i < headers.length; i += 2) {
    const prev = grouped.get(headers[i]);
    if (prev === undefined) grouped.set(headers[i], headers[i + 1]);
    else if (Array.isArray(prev)) prev.push(headers[i + 1]);
    else grouped.set(headers[i], [prev, headers[i + 1]]);
  }
  for (const [name, value] of grouped) res.setHeader(name, value);
  if (close) res.setHeader('connection', 'close');
  if (response.body.length > 0) res.end(response.body);
  else res.end();
}

/** The `REPORT` line the Lambda service logs after every invocation. */
export function reportLine(id: string, outcome: Outcome, memorySize: number): string {
  const { duration } = outcome;
  const used = outcome.maxMemoryUsedMB ?? Math.round(process.memoryUsage.rss() / 1048576);
  const init =
    outcome.initDuration === undefined ? '' : `\tInit Duration: ${outcome.initDuration.toFixed(2)} ms`;
  return `REPORT RequestId: ${id}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(duration))} ms\tMemory Size: ${memorySize} MB\tMax Memory Used: ${used} MB${init}`;
}

function oneLine(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ');
  const safe = hasInvalidValueChar(line) ? line.replace(/[^\t\x20-\x7e]/g, '?') : line;
  return safe.length > 512 ? `${safe.slice(0, 509)}...` : safe;
}

/** The request-handling core shared by `toListener`, `toExpress` and `toKoa`. */
export type AlbEmulator = (req: IncomingMessage, res: ServerResponse, hints?: RequestHints) => Promise<void>;

/** A request as a host hands it over (a Node `IncomingMessage`, a fetch `Request`). */
export interface HostRequest {
  method: string;
  /** The request target as the client sent it (origin or absolute form). */
  url: string;
  /** Header names as received and values as Latin-1 text of their bytes, like Node's `rawHeaders`. */
  rawHeaders: readonly string[];
  /** The same headers folded as Node's server folds them. */
  headers: IncomingHttpHeaders;
  /** Reads the body, giving up past `limit` bytes. */
  readBody(limit: number): Promise<BodyReading> | BodyReading;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  encrypted: boolean;
  localPort: number | undefined;
  /**
   * A host that can stream (Node) writes a streaming handler's response to the client as it is
   * written; `failure` is the service's answer for a stream whose head cannot be sent.
   */
  stream?(options: {
    method: string;
    bandwidth: boolean;
    warn(code: string, message: string): void;
    failure(reason: string): HostAnswer;
  }): StreamAnswer;
}

/** What the host sends back; `close` asks it to close the connection. */
export interface HostAnswer {
  response: HttpResponse;
  close: boolean;
}

/** The emulated service for any host: `undefined` when the client went away before an answer. */
export type HostEmulator = (request: HostRequest) => Promise<HostAnswer | undefined>;

/** One invocation as the front end asks for it. */
export interface InvokeRequest {
  /** The event of the emulated service (an ALB event unless the `format` option says otherwise). */
  event: ALBEvent;
  /** The `x-amzn-trace-id` of the request, for `_X_AMZN_TRACE_ID`. */
  traceId: string;
  awsRequestId: string;
  /** Reports a runtime warning for this invocation. */
  warn(message: string): void;
  /**
   * Where a streaming handler's response goes, when the service streams (function URL, API
   * Gateway REST). The outcome of an invocation that used it says `streamed: true`.
   */
  stream?: StreamTarget;
}

/** Runs one invocation: in this process, or in an isolated execution environment. */
export type Invoker = (call: InvokeRequest) => Promise<InvokerOutcome>;

/**
 * Puts an emulated ALB in front of a Lambda handler: each request becomes the event an ALB
 * would send, the handler runs with a Lambda context and the runtime's rules, and its result
 * is checked and answered as the ALB answers it, rejections included.
 */
export function createAlbEmulator(
  handler: LambdaHandler<never> | StreamingHandler,
  options: AlbEmulatorOptions = {},
): AlbEmulator {
  return nodeHosted(createEmulator(handler, options));
}

/** The emulated service in front of a handler, for any host. */
export function createEmulator(
  handler: LambdaHandler<never> | StreamingHandler,
  options: AlbEmulatorOptions = {},
): HostEmulator {
  if (typeof handler !== 'function') {
    throw new InvalidOptionError(
      `The handler must be a function (event, context) => result; it got ${describe(handler)}.`,
    );
  }
  const s = settingsOf(options);
  // A malformed streaming mark is refused here, as the runtime refuses it at init.
  isStreamingHandler(handler);
  const run = handlerInvoker(handler as LambdaHandler<never>, s.context);
  const invoker: Invoker = ({ event, awsRequestId, traceId, warn, stream }) =>
    run(event, { awsRequestId, traceId, warn, stream });
  return frontEnd(invoker, s);
}

/** The emulated ALB in front of any invoker (the dev server passes its pool of environments). */
export function createAlbFrontEnd(invoker: Invoker, options: AlbEmulatorOptions = {}): AlbEmulator {
  return nodeHosted(frontEnd(invoker, settingsOf(options)));
}

/** A Node request as the emulator reads it. */
function nodeRequest(
  req: IncomingMessage,
  hints: RequestHints | undefined,
  res: ServerResponse,
): HostRequest {
  const socket = req.socket as (IncomingMessage['socket'] & { encrypted?: boolean }) | undefined;
  return {
    method: req.method ?? 'GET',
    url: hints?.url ?? (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
    rawHeaders: req.rawHeaders,
    headers: req.headers,
    readBody: (limit) => readBody(req, hints, limit),
    remoteAddress: socket?.remoteAddress,
    remotePort: socket?.remotePort,
    encrypted: socket?.encrypted === true,
    localPort: socket?.localPort,
    stream: ({ failure, ...options }) =>
      createStreamAnswer(res, {
        ...options,
        fail: (reason) => {
          const answer = failure(reason);
          send(res, answer.response, answer.close);
        },
      }),
  };
}

function nodeHosted(emulate: HostEmulator): AlbEmulator {
  return async (req, res, hints) => {
    const answer = await emulate(nodeRequest(req, hints, res));
    if (answer !== undefined) send(res, answer.response, answer.close);
  };
}

function frontEnd(invoker: Invoker, s: EmulatorSettings): HostEmulator {
  const format = s.format;
  const version = s.context.functionVersion ?? '$LATEST';
  const memory = s.context.memorySize ?? 128;

  return async (req) => {
    const warn = (code: string, message: string, requestId?: string) =>
      safeLog(s.log, { level: 'warn', code, message, requestId });
    // An answer the emulated service gives itself: its own page, the reason in the log hook.
    const answer = (page: HttpResponse, code: string, reason: string, id?: string, close = false) => {
      warn(code, `answered ${page.status}: ${reason}`, id);
      if (s.diagnostics) page.headers.push(REASON_HEADER, oneLine(reason));
      return { response: page, close };
    };

    const method = req.method;
    const url = targetPath(req.url);
    const rejection = format.precheck(method, url, req.headers);
    if (rejection) return answer(format.page(rejection.status), rejection.code, rejection.reason);

    const reading = req.readBody(format.requestLimit);
    const body = reading instanceof Promise ? await reading : reading;
    if (body === 'aborted') return;
    if (body === 'too-large') {
      const reason = `the request body is over the ${format.service}'s ${format.requestLimit}-byte limit; the handler was not invoked`;
      return answer(format.page(413), 'REQUEST_TOO_LARGE', reason, undefined, true);
    }
    if (body === 'consumed') {
      const message =
        'lambda-bridge: the request body was already read by a body parser mounted before the Lambda handler, and its raw bytes are not available. Mount the handler before express.json()/express.urlencoded() (or any body parser), or keep the raw bytes in req.rawBody.';
      warn('BODY_CONSUMED', message);
      const response = {
        status: 500,
        reason: undefined,
        headers: ['content-type', 'text/plain; charset=utf-8'],
        body: Buffer.from(message),
      };
      return { response, close: false };
    }

    const headers = wireHeaders(req.rawHeaders);
    if (!Array.isArray(headers)) {
      const reason = `header ${JSON.stringify(headers.invalid)} holds bytes that are not UTF-8; the ${format.service} refuses such a request and the handler was not invoked`;
      return answer(format.page(400), 'INVALID_UTF8', reason);
    }
    const [rawPath, rawQuery] = splitUrl(url);
    const request: HttpRequest = {
      method,
      path: stripBasePath(rawPath, s.stripPrefix),
      rawQuery,
      headers,
      body,
      remoteAddress: peerAddress(req.remoteAddress),
      remotePort: req.remotePort,
      protocol: req.encrypted ? 'https' : 'http',
      port: req.localPort,
    };
    const refused = format.checkRequest(request);
    if (refused) return answer(format.page(refused.status), refused.code, refused.reason);
    const traceId = newTraceId();
    request.headers = format.forwardHeaders(request, traceId);
    const id = randomUUID();
    const event = format.eventFromRequest(request, id, Date.now());
    const info = (code: string, message: string) =>
      safeLog(s.log, { level: 'info', code, message, requestId: id });
    let streamed: StreamAnswer | undefined;
    if (formatStreams(format.name) && req.stream !== undefined) {
      streamed = req.stream({
        method,
        bandwidth: s.streamBandwidth,
        warn: (code, message) => warn(code, message, id),
        failure: (reason) => answer(format.failure('invalid'), 'INVALID_STREAM', reason, id),
      });
    }
    if (s.logInvocations) info('START', `START RequestId: ${id} Version: ${version}`);
    const outcome = await invoker({
      event: event as ALBEvent,
      traceId,
      awsRequestId: id,
      warn: (message) => warn('RUNTIME', message, id),
      stream: streamed,
    });
    if (s.logInvocations) {
      info('END', `END RequestId: ${id}`);
      info('REPORT', reportLine(id, outcome, memory));
    }

    const timedOutText = `Task timed out after ${(s.timeout / 1000).toFixed(2)} seconds`;
    if (streamed !== undefined && (outcome.streamed || streamed.headSent || streamed.failed)) {
      // The answer went out through the stream: the host has nothing more to send.
      if (outcome.ok || streamed.failed) return undefined;
      if (streamed.headSent) {
        const { error } = outcome;
        const reason = outcome.timedOut ? timedOutText : `${error.errorType}: ${error.errorMessage}`;
        const code = outcome.timedOut ? 'TIMEOUT' : 'HANDLER_ERROR';
        if (streamed.ended) {
          // The runtime ends an already ended response: the client got all of it.
          warn(code, `the invocation failed after its streamed response was complete: ${reason}`, id);
          return undefined;
        }
        warn(code, `cut the streamed response short after ${streamed.sent} body bytes: ${reason}`, id);
        streamed.abort(reason);
        return undefined;
      }
    }
    if (!outcome.ok) {
      const { error } = outcome;
      const reason = outcome.timedOut
        ? timedOutText
        : error.errorType === STREAMING_NOT_SUPPORTED
          ? streamingRefusal(format.name, req.stream !== undefined)
          : `the handler failed: ${error.errorType}: ${error.errorMessage}`;
      const page = format.failure('error');
      warn(
        outcome.timedOut ? 'TIMEOUT' : 'HANDLER_ERROR',
        `answered ${page.status}: ${reason}${error.trace.length > 1 ? `\n${error.trace.join('\n')}` : ''}`,
        id,
      );
      if (s.diagnostics) page.headers.push(REASON_HEADER, oneLine(reason));
      return { response: page, close: false };
    }
    const read = format.readResult(outcome.result, outcome.json);
    for (const warning of read.warnings) warn('RESULT', warning, id);
    if (!read.ok)
      return answer(format.failure('invalid'), 'INVALID_RESULT', `invalid result: ${read.reason}`, id);
    return { response: finalizeResponse(read.response, method), close: false };
  };
}
