import { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import type { Outcome } from './outcome.js';
import { ric4Failure, timeoutError } from './ric4.js';
import { runInvocation } from './store.js';
import { streamingHighWaterMark } from './streaming.js';

/**
 * Where an emulated response stream delivers what the handler writes: the bytes exactly as the
 * runtime posts them (prelude and delimiter included), with the stream's content type as it was
 * at the first byte. `write` calls `done` once the bytes are taken downstream: that is the
 * backpressure the handler's stream feels. Any sink works (an HTTP response, an IPC channel, a
 * buffer); it needs no HTTP objects.
 */
export interface StreamTarget {
  start(contentType: string): void;
  write(chunk: Buffer, done: (error?: Error | null) => void): void;
  /** The handler ended the stream and every byte was taken. */
  end(): void;
  /** Ends the answer after a failure of the target itself (when the target can). */
  abort?(reason: string): void;
}

/** A streamed response as the runtime sends it: its content type and every byte written. */
export interface StreamedResponse {
  contentType: string;
  body: Buffer;
}

/** The content type of a response stream that never set one (aws-lambda-ric `DEFAULT_CONTENT_TYPE`). */
export const DEFAULT_STREAM_CONTENT_TYPE = 'application/octet-stream';

function invalidOperation(message: string): Error {
  const error = new Error(message);
  error.name = 'Runtime.InvalidStreamingOperation';
  return error;
}

/**
 * The `responseStream` a streaming handler receives, as the Node.js runtime builds it: a
 * `Writable` whose content type can be set until the first write, which calls
 * `_onBeforeFirstWrite` (set by `HttpResponseStream.from`) just before its first `write()` (not
 * before `end(chunk)`, as in the runtime), and which writes a chunk that is neither text nor
 * bytes as its JSON. What is written goes to `target`.
 */
export class EmulatedResponseStream extends Writable {
  _onBeforeFirstWrite: ((write: (chunk: string | Uint8Array) => unknown) => void) | undefined;
  #contentType = DEFAULT_STREAM_CONTENT_TYPE;
  #written = false;
  #started = false;
  readonly #target: StreamTarget;

  constructor(target: StreamTarget, highWaterMark?: number) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
    this.#target = target;
  }

  setContentType(contentType: string): void {
    if (this.#written) throw invalidOperation('Cannot set content-type, too late.');
    this.#contentType = contentType;
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    if (!this.#written && typeof this._onBeforeFirstWrite === 'function') {
      this._onBeforeFirstWrite((early) => super.write(early));
    }
    this.#written = true;
    return super.write(data, encoding as BufferEncoding, callback as (error?: Error | null) => void);
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#target.start(this.#contentType);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#start();
    this.#target.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#start();
    this.#target.end();
    callback();
  }
}

/** A target that keeps every byte, for `invokeHandler`. */
export function collectingTarget(): StreamTarget & { response(): StreamedResponse } {
  const chunks: Buffer[] = [];
  let contentType = DEFAULT_STREAM_CONTENT_TYPE;
  return {
    start(type) {
      contentType = type;
    },
    write(chunk, done) {
      chunks.push(chunk);
      done();
    },
    end() {},
    response: () => ({ contentType, body: Buffer.concat(chunks) }),
  };
}

export interface StreamingInvokeSettings {
  /** Milliseconds before the invocation times out. */
  timeout: number;
  warn(message: string): void;
  traceId?: string;
  tenantId?: string;
}

/**
 * Runs a handler marked with `streamifyResponse` as the runtime interface client does
 * (`StreamingInvokeProcessor`), inside the InvokeStore: it is called as
 * `(event, responseStream, context)` and must return a promise or other thenable ("Streaming
 * does not support non-async handlers." otherwise); a value it resolves with is ignored with a
 * warning; the invocation completes once the stream is ended and every byte was taken by
 * `target`. A stream the handler never ends runs into the timeout, as the runtime waits for it; a
 * stream destroyed unfinished fails ("Response stream is not finished."). A failure after the
 * first byte cannot change the response any more: the caller cuts it short.
 */
export function invokeStreaming(
  handler: (event: unknown, stream: Writable, context: Context) => unknown,
  event: unknown,
  context: Context,
  target: StreamTarget,
  settings: StreamingInvokeSettings,
): Promise<Outcome> {
  const started = performance.now();
  const stream = new EmulatedResponseStream(target, streamingHighWaterMark(handler));
  const requestId = context.awsRequestId;
  return new Promise<Outcome>((resolve) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...outcome, duration: performance.now() - started });
    };
    let failing = false;
    const fail = (value: unknown, timedOut = false) => {
      if (done) return;
      const outcome: Outcome = {
        ok: false,
        error: timedOut ? timeoutError(requestId, settings.timeout) : ric4Failure(value, requestId),
        timedOut,
        duration: 0,
      };
      if (!timedOut && stream.writableEnded && !stream.destroyed && !stream.writableFinished) {
        // The handler ended its stream before it failed: the runtime ends the already ended
        // response, so every byte written goes out. The failure is reported once they did.
        if (failing) return;
        failing = true;
        const settle = () => finish(outcome);
        stream.once('finish', settle);
        stream.once('close', settle);
        return;
      }
      // The runtime ends a failed stream; nothing the handler writes later goes out.
      if (!stream.destroyed) stream.destroy();
      finish(outcome);
    };
    const succeed = () => finish({ ok: true, result: null, json: 'null', duration: 0 });
    const timer = setTimeout(() => fail(undefined, true), settings.timeout);
    stream.on('error', (error) => fail(error));
    const ids = { requestId, traceId: settings.traceId, tenantId: settings.tenantId };
    let returned: unknown;
    try {
      returned = runInvocation(ids, () => handler(event, stream, context));
    } catch (error) {
      return fail(error);
    }
    // The runtime's streaming check takes objects only: a callable thenable counts as non-async.
    const thenable =
      typeof returned === 'object' &&
      returned !== null &&
      typeof (returned as { then?: unknown }).then === 'function';
    if (!thenable) return fail(new Error('Streaming does not support non-async handlers.'));
    Promise.resolve(returned as PromiseLike<unknown>).then((value) => {
      if (done) return;
      if (value !== undefined) settings.warn('Streaming handlers ignore return values.');
      if (stream.writableFinished) return succeed();
      if (stream.destroyed) return fail(new Error('Response stream is not finished.'));
      const onFinish = () => {
        stream.off('close', onClose);
        succeed();
      };
      const onClose = () => {
        stream.off('finish', onFinish);
        if (!stream.writableFinished) fail(new Error('Response stream is not finished.'));
      };
      stream.once('finish', onFinish);
      stream.once('close', onClose);
    }, fail);
  });
}
