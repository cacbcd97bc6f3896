import type { ServerResponse } from 'node:http';
import { isBodiless } from './finalize.js';
import type { FormatName } from './formats/reverse.js';
import { hasInvalidValueChar, isHeaderName } from './headers.js';
import type { StreamTarget } from './invoke/stream-invoke.js';
import {
  HTTP_INTEGRATION_CONTENT_TYPE,
  PRELUDE_DELIMITER_LENGTH,
  STREAM_FULL_SPEED_BYTES,
  STREAM_LIMIT,
  STREAM_RATE,
} from './invoke/streaming.js';

/** The formats whose service streams a streaming handler's response. */
export function formatStreams(format: FormatName): boolean {
  return format === 'function-url' || format === 'apigw-v1';
}

const SERVICES: Partial<Record<FormatName, string>> = {
  alb: 'an Application Load Balancer',
  'apigw-v2': 'an API Gateway HTTP API (payload 2.0)',
  'lattice-v1': 'a VPC Lattice target group',
  'lattice-v2': 'a VPC Lattice target group',
  'edge-viewer-request': 'a Lambda@Edge trigger',
  'edge-origin-request': 'a Lambda@Edge trigger',
};

/** Why a streaming handler failed where its response could not stream. */
export function streamingRefusal(format: FormatName, hostStreams: boolean): string {
  if (formatStreams(format) && !hostStreams) {
    return `the handler is wrapped with streamifyResponse, and this host answers with buffered responses only. Mount it with toListener, toExpress, toKoa or lambda-bridge serve to stream its response`;
  }
  const service = SERVICES[format] ?? 'this service';
  return `the handler is wrapped with streamifyResponse, but ${service} cannot stream responses. Put a function URL (format 'function-url') or an API Gateway REST API (format 'apigw-v1') in front of it, or export a buffered handler`;
}

/** The prelude and its delimiter must arrive within the first 16 KB (API Gateway response streaming). */
export const PRELUDE_LIMIT = 16 * 1024;

export interface StreamAnswerOptions {
  method: string;
  /** Emulate the bandwidth of a streamed Lambda response past its first 6 MB (2 MB/s). */
  bandwidth: boolean;
  /** Reports a coded warning. */
  warn(code: string, message: string): void;
  /** The service's own failure, for a stream whose head cannot be read. */
  fail(reason: string): void;
}

/** A streamed answer in progress: a {@link StreamTarget} for the handler's stream, writing to `res`. */
export interface StreamAnswer extends StreamTarget {
  /** Whether the head went to the client: after that, a failure can only cut the response short. */
  readonly headSent: boolean;
  /** Whether the answer already failed (cut short, or answered with the service's failure). */
  readonly failed: boolean;
  /** Whether the handler's stream ended and the response went out complete. */
  readonly ended: boolean;
  /** Ends the answer after a failure: cuts the response short, or answers `fail` when nothing was sent. */
  abort(reason: string): void;
  /** Body bytes sent to the client. */
  readonly sent: number;
}

interface Head {
  status: number;
  headers: [string, string | string[]][];
}

const NUL_RUN = Buffer.alloc(PRELUDE_DELIMITER_LENGTH);
/** The piece of a throttled write that goes out at once. */
const THROTTLE_SLICE = 64 * 1024;

/** Reads the JSON prelude into a head; a string says why it cannot be read. */
function headOf(json: string): Head | string {
  let prelude: unknown;
  try {
    prelude = JSON.parse(json);
  } catch {
    return `the response prelude is not JSON: ${JSON.stringify(json.slice(0, 80))}`;
  }
  if (typeof prelude !== 'object' || prelude === null || Array.isArray(prelude)) {
    return 'the response prelude is not a JSON object';
  }
  const { statusCode, headers, multiValueHeaders, cookies } = prelude as Record<string, unknown>;
  const status = statusCode === undefined ? 200 : Number(statusCode);
  // A 1xx is interim (RFC 9110 15.2): the client would be left waiting for a final response.
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    return `the prelude's statusCode ${JSON.stringify(statusCode)} is not a final HTTP status; it must be an integer from 200 to 599 (1xx responses are interim)`;
  }
  const out = new Map<string, string | string[]>();
  let invalid: string | undefined;
  const add = (name: string, value: unknown) => {
    if (value === undefined || value === null || invalid !== undefined) return;
    const text = String(value);
    invalid = headerProblem(name, text);
    if (invalid !== undefined) return;
    const key = name.toLowerCase();
    // A streamed response goes out chunked; the length and framing are the service's.
    if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') return;
    const prev = out.get(key);
    if (prev === undefined) out.set(key, text);
    else out.set(key, Array.isArray(prev) ? [...prev, text] : [prev, text]);
  };
  if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) add(name, value);
  }
  if (typeof multiValueHeaders === 'object' && multiValueHeaders !== null) {
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (Array.isArray(values)) for (const value of values) add(name, value);
    }
  }
  if (Array.isArray(cookies)) for (const cookie of cookies) add('set-cookie', cookie);
  if (invalid !== undefined) return `the response prelude ${invalid}`;
  return { status, headers: [...out] };
}

/** Why a header cannot go out in a response, or `undefined` when it can. */
function headerProblem(name: string, value: string): string | undefined {
  if (!isHeaderName(name)) return `has the header name ${JSON.stringify(name)}, which is not an HTTP token`;
  if (hasInvalidValueChar(value)) {
    return `has header ${JSON.stringify(name)} with the value ${JSON.stringify(value.slice(0, 80))}, which holds a character a header cannot carry (CR, LF, NUL, another control character, or one beyond Latin-1)`;
  }
  return undefined;
}

/**
 * Writes a handler's streamed response to a client as a function URL or API Gateway REST does:
 * the head from the JSON prelude when the stream's content type is the HTTP integration one (a
 * plain stream is a 200 of its own content type), each body chunk as it arrives, the client's
 * backpressure passed back, at most 200 MB, and at 2 MB/s past the first 6 MB when asked.
 */
export function createStreamAnswer(res: ServerResponse, options: StreamAnswerOptions): StreamAnswer {
  let integration = false;
  let pending: Buffer[] = [];
  let pendingSize = 0;
  let head: Head | undefined;
  let failed = false;
  let ended = false;
  let sent = 0;
  let throttleStart = 0;

  /** Sends the head; a string says why Node refused it (nothing was sent then). */
  const sendHead = (value: Head): string | undefined => {
    try {
      for (const [name, v] of value.headers) res.setHeader(name, v);
    } catch (error) {
      for (const [name] of value.headers) res.removeHeader(name);
      return `the response head cannot be sent: ${error instanceof Error ? error.message : String(error)}`;
    }
    res.statusCode = value.status;
    head = value;
    res.flushHeaders();
    return undefined;
  };
  const bodiless = () => head !== undefined && isBodiless(options.method, head.status);

  const sendBody = (chunk: Buffer, done: (error?: Error | null) => void) => {
    if (chunk.length === 0 || bodiless()) return done();
    // The client went away: on Lambda the stream goes on (and is billed); the bytes go nowhere.
    if (res.destroyed) return done();
    sent += chunk.length;
    if (sent > STREAM_LIMIT) {
      options.warn(
        'STREAM_TOO_LARGE',
        `cut the response short: the handler streamed more than the ${STREAM_LIMIT}-byte limit of a streamed Lambda response.`,
      );
      failed = true;
      res.destroy();
      return done(new Error(`The response stream passed its ${STREAM_LIMIT}-byte limit.`));
    }
    const from = sent - chunk.length;
    if (!options.bandwidth || sent <= STREAM_FULL_SPEED_BYTES) return writeThen(chunk, () => done());
    // Past the first 6 MB, each slice goes out when its last byte is due at the streamed rate.
    const fast = Math.max(0, STREAM_FULL_SPEED_BYTES - from);
    let at = 0;
    const next = () => {
      if (at >= chunk.length || res.destroyed) return done();
      const end = at < fast ? fast : Math.min(chunk.length, at + THROTTLE_SLICE);
      const piece = chunk.subarray(at, end);
      at = end;
      const over = from + end - STREAM_FULL_SPEED_BYTES;
      if (over <= 0) return writeThen(piece, next);
      if (throttleStart === 0) throttleStart = performance.now();
      const wait = throttleStart + (over * 1000) / STREAM_RATE - performance.now();
      if (wait <= 0) writeThen(piece, next);
      else setTimeout(() => (res.destroyed ? done() : writeThen(piece, next)), wait);
    };
    next();
  };

  /** Writes to the client, then calls `then` once it took the bytes (or went away). */
  const writeThen = (piece: Buffer, then: () => void) => {
    if (res.write(piece)) return then();
    const onDrain = () => {
      res.off('close', onDrain);
      res.off('drain', onDrain);
      then();
    };
    res.once('drain', onDrain);
    res.once('close', onDrain);
  };

  const failHead = (reason: string) => {
    failed = true;
    options.fail(reason);
  };

  return {
    get headSent() {
      return head !== undefined;
    },
    get failed() {
      return failed;
    },
    get ended() {
      return ended;
    },
    get sent() {
      return sent;
    },
    start(contentType) {
      integration = contentType === HTTP_INTEGRATION_CONTENT_TYPE;
      if (integration) return;
      if (hasInvalidValueChar(contentType)) {
        return failHead(
          `the response stream's content type ${JSON.stringify(contentType.slice(0, 80))} holds a character a header cannot carry (CR, LF, NUL, another control character, or one beyond Latin-1); give setContentType a media type such as 'text/plain'`,
        );
      }
      const refused = sendHead({ status: 200, headers: [['content-type', contentType]] });
      if (refused !== undefined) failHead(refused);
    },
    write(chunk, done) {
      if (failed) return done();
      if (head !== undefined) return sendBody(chunk, done);
      // Still reading the prelude: keep bytes until the NUL delimiter.
      pending.push(chunk);
      pendingSize += chunk.length;
      const joined = Buffer.concat(pending);
      const at = joined.indexOf(NUL_RUN);
      if (at === -1) {
        if (pendingSize > PRELUDE_LIMIT) {
          failHead(
            `the response stream's prelude and its 8-NUL delimiter did not arrive within the first ${PRELUDE_LIMIT} bytes`,
          );
        }
        pending = [joined];
        return done();
      }
      pending = [];
      const read = headOf(joined.subarray(0, at).toString('utf8'));
      if (typeof read === 'string') {
        failHead(read);
        return done();
      }
      const refused = sendHead(read);
      if (refused !== undefined) {
        failHead(refused);
        return done();
      }
      const rest = joined.subarray(at + PRELUDE_DELIMITER_LENGTH);
      if (rest.length > 0) sendBody(rest, done);
      else done();
    },
    end() {
      if (failed) return;
      if (head === undefined) {
        return failHead(
          "the response stream ended before its prelude was complete (HttpResponseStream.from writes it on the stream's first write(); a stream that only sees end(chunk) sends none)",
        );
      }
      ended = true;
      res.end();
    },
    abort(reason) {
      // An ended response is complete: the runtime's failure after it changes nothing the client gets.
      if (failed || ended) return;
      failed = true;
      if (head === undefined) return options.fail(reason);
      // The head is out: the client sees the response cut short, as on Lambda.
      res.destroy();
    },
  };
}
