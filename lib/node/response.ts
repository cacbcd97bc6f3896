import { type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isBodiless } from '../finalize.js';
import type { HttpResponse } from '../http.js';
import { type Coding, encodedHeaders } from '../size.js';
import { BodyCompressor } from './compress.js';
import type { BridgeSocket } from './socket.js';

const STATE = Symbol('lambda-bridge.response');

interface Capture {
  chunks: Buffer[];
  /** Body bytes written so far, kept or not. */
  size: number;
  ended: boolean;
  /** The bridge has answered without this response: later writes are counted and dropped. */
  dropped: boolean;
  closed: boolean;
  onEnd: (response: HttpResponse) => void;
  limit: BodyLimit | undefined;
  onOverflow: ((size: number, compressed: boolean) => void) | undefined;
  /** The response carries no body (HEAD, 204, 304): its bytes are counted, not kept. */
  discarded: boolean;
  /** Set once the body has passed the limit and is compressed as it comes. */
  compressor: BodyCompressor | undefined;
  /** The status line written with the head; later changes to `statusCode` do not reach the wire. */
  status: number | undefined;
  reason: string | undefined;
  /** Set for a streamed response: where the head and each chunk go as they are written. */
  stream: StreamSink | undefined;
  /** The sink has received the head. */
  headSent: boolean;
}

/**
 * Where a streamed response goes. The response calls `head` once, when its head is final (the
 * first write, `flushHeaders()` or `end()`), then `chunk` for each body chunk as the app writes
 * it, then `end`. `chunk` returns `false` when the sink is full: the response's `write` returns
 * `false` too, and the sink calls `drain()` (given to `createStreamingResponse`'s caller) when it
 * has room again. A bodiless response (HEAD, 204, 304) sends the sink no chunks.
 */
export interface StreamSink {
  head(res: ServerResponse): void;
  chunk(buffer: Buffer, callback: ((error?: Error | null) => void) | undefined): boolean;
  /** The body is complete; `finished` runs once the sink has delivered all of it. */
  end(finished: () => void): void;
}

/**
 * The most body the result can carry. Past `bytes`, a body the client accepts compressed is
 * compressed as it comes, and kept only while it can still fit (as base64); any other body can
 * never fit. Either way a body that cannot fit is not buffered: `onOverflow` answers instead.
 */
export interface BodyLimit {
  bytes: number;
  /**
   * The coding the bridge may compress this response with, given whether it already has a
   * `content-encoding` (asked once the limit is passed); undefined when it may not.
   */
  coding(encoded: boolean): Coding | undefined;
  /** Whether a response with this status carries no body at all (HEAD, 204, 304). */
  bodiless(status: number): boolean;
  /** `compressed`: the body did not fit even compressed. */
  onOverflow(size: number, compressed: boolean): void;
}

type CapturingResponse = ServerResponse & { [STATE]: Capture };

const nodeWriteHead = ServerResponse.prototype.writeHead;

/**
 * A `ServerResponse` whose body is captured in memory instead of being written to a socket.
 * Headers stay in Node's own store (`setHeader`, `appendHeader`, `getHeaders`), so they are
 * validated as on a real server; `writeHead` headers are moved into that store first, so they
 * are captured too. The overrides are own properties: a framework that swaps the prototype
 * (Express does) keeps them.
 */
export function createResponse(
  req: IncomingMessage,
  socket: BridgeSocket,
  onEnd: (response: HttpResponse) => void,
  limit?: BodyLimit,
  onOverflow?: (size: number, compressed: boolean) => void,
): ServerResponse {
  return build(req, socket, onEnd, limit, onOverflow, undefined);
}

/**
 * The same response object with a streamed sink: its head and each body chunk go to `sink` as
 * the app writes them, with the sink's backpressure (`write` returns `false`, then `'drain'`).
 * Returns the response and `drain`, which the sink calls when it has room again.
 */
export function createStreamingResponse(
  req: IncomingMessage,
  socket: BridgeSocket,
  sink: StreamSink,
): { res: ServerResponse; drain: () => void } {
  const res = build(req, socket, () => {}, undefined, undefined, sink);
  return { res, drain: () => res.emit('drain') };
}

function build(
  req: IncomingMessage,
  socket: BridgeSocket,
  onEnd: (response: HttpResponse) => void,
  limit: BodyLimit | undefined,
  onOverflow: ((size: number, compressed: boolean) => void) | undefined,
  stream: StreamSink | undefined,
): CapturingResponse {
  const res = new ServerResponse(req) as CapturingResponse;
  res[STATE] = {
    chunks: [],
    size: 0,
    ended: false,
    dropped: false,
    closed: false,
    onEnd,
    limit,
    onOverflow,
    discarded: false,
    compressor: undefined,
    status: undefined,
    reason: undefined,
    stream,
    headSent: false,
  };
  const own = res as unknown as Record<string, unknown>;
  own.socket = socket as unknown as Socket;
  own.writeHead = writeHead;
  own.write = write;
  own.end = end;
  own.flushHeaders = flushHeaders;
  return res;
}

function writeHead(
  this: CapturingResponse,
  statusCode: number,
  reason?: string | OutgoingHttpHeaders | Array<string | number>,
  headers?: OutgoingHttpHeaders | Array<string | number | string[]>,
): ServerResponse {
  if (typeof reason !== 'string') {
    headers = reason;
    reason = undefined;
  }
  if (headers && !this.headersSent) {
    if (Array.isArray(headers)) {
      // Node itself rejects an odd-length list.
      if (headers.length % 2 !== 0) return callNodeWriteHead(this, statusCode, reason, headers); // throws
      // A flat list may repeat a name; each repetition is kept, as Node sends them all.
      const seen = new Set<string>();
      for (let i = 0; i < headers.length; i += 2) {
        const name = String(headers[i]);
        const value = headers[i + 1] as string | string[];
        const key = name.toLowerCase();
        if (seen.has(key)) this.appendHeader(name, value);
        else {
          seen.add(key);
          this.setHeader(name, value);
        }
      }
    } else {
      for (const name of Object.keys(headers)) {
        const value = headers[name];
        if (value !== undefined) this.setHeader(name, value);
      }
    }
  }
  const written = callNodeWriteHead(this, statusCode, reason, undefined);
  const state = this[STATE];
  if (state.status === undefined) {
    state.status = this.statusCode;
    state.reason = this.statusMessage;
  }
  return written;
}

function callNodeWriteHead(
  res: ServerResponse,
  status: number,
  reason: string | undefined,
  headers: unknown,
) {
  const call = nodeWriteHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  return reason === undefined ? call.call(res, status, headers) : call.call(res, status, reason, headers);
}

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, (encoding as BufferEncoding) || 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const error = new TypeError(
    `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${chunk === null ? 'null' : typeof chunk}`,
  ) as TypeError & { code: string };
  error.code = chunk === null ? 'ERR_STREAM_NULL_VALUES' : 'ERR_INVALID_ARG_TYPE';
  throw error;
}

function write(this: CapturingResponse, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  const state = this[STATE];
  const buffer = toBuffer(chunk, encoding);
  if (state.ended) {
    // A late write is discarded; it fails its callback rather than the process.
    if (typeof callback === 'function') process.nextTick(callback as (e: Error) => void, writeAfterEnd());
    return false;
  }
  if (!this.headersSent) this.writeHead(this.statusCode);
  if (state.stream !== undefined) return streamChunk(this, state, state.stream, buffer, callback);
  const more = keep(this, state, buffer);
  if (typeof callback === 'function') process.nextTick(callback as () => void);
  return more;
}

/** Sends the head to a streamed sink, once. */
function streamHead(res: CapturingResponse, state: Capture, sink: StreamSink): void {
  if (state.headSent || state.dropped) return;
  state.headSent = true;
  sink.head(res);
}

function streamChunk(
  res: CapturingResponse,
  state: Capture,
  sink: StreamSink,
  buffer: Buffer,
  callback: unknown,
): boolean {
  streamHead(res, state, sink);
  const cb = typeof callback === 'function' ? (callback as (error?: Error | null) => void) : undefined;
  state.size += buffer.length;
  // Dropped (the bridge answered without it) or bodiless: the chunk goes nowhere, as Node's
  // server discards the body of a HEAD answer.
  if (
    state.dropped ||
    buffer.length === 0 ||
    isBodiless(res.req.method ?? 'GET', state.status ?? res.statusCode)
  ) {
    if (cb) process.nextTick(cb);
    return !state.dropped;
  }
  return sink.chunk(buffer, cb);
}

/**
 * Buffers a body chunk, unless the response was dropped, carries no body, or has grown past
 * what can be sent. False when the writer should wait for 'drain' (the compressor is busy).
 */
function keep(res: CapturingResponse, state: Capture, buffer: Buffer): boolean {
  if (buffer.length === 0) return true;
  state.size += buffer.length;
  // Nobody reads a dropped response: a writer that honours backpressure stops here.
  if (state.dropped) return false;
  const { limit } = state;
  if (limit === undefined) {
    state.chunks.push(buffer);
    return true;
  }
  if (state.discarded || limit.bodiless(state.status ?? res.statusCode)) {
    state.discarded = true;
    return true;
  }
  if (state.compressor !== undefined) return state.compressor.write(buffer);
  if (state.size <= limit.bytes) {
    state.chunks.push(buffer);
    return true;
  }
  const coding = limit.coding(res.getHeader('content-encoding') !== undefined);
  if (coding === undefined) {
    overflow(res, state, false);
    return true;
  }
  // A compressed body travels as base64: 4 bytes of JSON for every 3.
  const compressor = new BodyCompressor(
    coding,
    Math.floor((limit.bytes * 3) / 4),
    () => overflow(res, state, true),
    () => res.emit('drain'),
  );
  state.compressor = compressor;
  const held = state.chunks;
  state.chunks = [];
  for (const chunk of held) compressor.write(chunk);
  return compressor.write(buffer);
}

function overflow(res: CapturingResponse, state: Capture, compressed: boolean): void {
  if (state.dropped) return;
  dropResponse(res);
  const report = state.onOverflow ?? state.limit?.onOverflow;
  report?.(state.size, compressed);
}

/**
 * The bridge has answered without this response (a deadline, a failure, a body too large to
 * send): what the app writes from now on is dropped, and the response closes as it does when a
 * client goes away, so a stream piped into it stops.
 */
export function dropResponse(res: ServerResponse): void {
  const state = (res as CapturingResponse)[STATE];
  if (state === undefined || state.dropped) return;
  state.dropped = true;
  state.chunks = [];
  state.compressor?.stop();
  if (!state.ended) process.nextTick(emitClose, res);
}

function emitClose(res: CapturingResponse): void {
  const state = res[STATE];
  if (state.closed) return;
  state.closed = true;
  // As Node's server marks a response it closes, so `res.closed` and `stream.finished(res)` see it.
  (res as unknown as { _closed: boolean })._closed = true;
  res.destroyed = true;
  res.emit('close');
}

function end(
  this: CapturingResponse,
  chunk?: unknown,
  encoding?: unknown,
  callback?: unknown,
): ServerResponse {
  if (typeof chunk === 'function') {
    callback = chunk;
    chunk = undefined;
  } else if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  const state = this[STATE];
  if (state.ended) {
    if (typeof callback === 'function') process.nextTick(callback as () => void);
    return this;
  }
  const sink = state.stream;
  if (chunk !== undefined && chunk !== null) {
    const buffer = toBuffer(chunk, encoding);
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (sink !== undefined) streamChunk(this, state, sink, buffer, undefined);
    else keep(this, state, buffer);
  }
  if (!this.headersSent) this.writeHead(this.statusCode);
  state.ended = true;
  if (sink !== undefined) {
    this.finished = true;
    if (typeof callback === 'function') this.once('finish', callback as () => void);
    streamHead(this, state, sink);
    if (state.dropped) return this;
    sink.end(() => {
      this.emit('prefinish');
      this.emit('finish');
      emitClose(this);
    });
    return this;
  }
  this.finished = true;
  if (typeof callback === 'function') this.once('finish', callback as () => void);
  const status = state.status ?? this.statusCode;
  const reason = state.status === undefined ? this.statusMessage : state.reason;
  const headers = flattenHeaders(this.getHeaders());
  const { compressor } = state;
  if (compressor !== undefined) {
    compressor.end((body) =>
      finish(this, {
        status,
        reason,
        headers: encodedHeaders(headers, compressor.coding, body.length),
        body,
      }),
    );
    return this;
  }
  if (state.discarded && this.req.method === 'HEAD' && this.getHeader('content-length') === undefined) {
    // The length a GET would have, counted without keeping the bytes.
    headers.push('content-length', String(state.size));
  }
  const response: HttpResponse = {
    status,
    reason,
    headers,
    body: state.chunks.length === 1 ? state.chunks[0] : Buffer.concat(state.chunks),
  };
  state.chunks = [];
  process.nextTick(finish, this, response);
  return this;
}

function finish(res: CapturingResponse, response: HttpResponse): void {
  res.emit('prefinish');
  res.emit('finish');
  const state = res[STATE];
  if (!state.dropped) state.onEnd(response);
  emitClose(res);
}

function flushHeaders(this: CapturingResponse): void {
  if (!this.headersSent) this.writeHead(this.statusCode);
  const state = this[STATE];
  if (state.stream !== undefined && !state.ended) streamHead(this, state, state.stream);
}

export function flattenHeaders(headers: OutgoingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) out.push(name, String(item));
    else out.push(name, String(value));
  }
  return out;
}

function writeAfterEnd(): Error {
  const error = new Error('write after end') as Error & { code: string };
  error.code = 'ERR_STREAM_WRITE_AFTER_END';
  return error;
}
