import { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import type { InvocationError } from './outcome.js';
import { ric4Failure, timeoutError } from './ric4.js';
import { runInvocation } from './store.js';

/** A streamed response as the runtime sends it: its content type and every byte written. */
export interface StreamedResponse {
  contentType: string;
  body: Buffer;
}

function invalidOperation(message: string): Error {
  const error = new Error(message);
  error.name = 'Runtime.InvalidStreamingOperation';
  return error;
}

/**
 * The `responseStream` a streaming handler writes to, collecting what the runtime would send:
 * `setContentType` works until the first write, `_onBeforeFirstWrite` (set by
 * `HttpResponseStream.from`) runs just before the first `write()` (not before `end(chunk)`, as in
 * the runtime), and a chunk that is neither text nor bytes is written as JSON.
 */
class CollectingStream extends Writable {
  readonly chunks: Buffer[] = [];
  contentType = 'application/octet-stream';
  _onBeforeFirstWrite: ((write: (chunk: string | Uint8Array) => unknown) => void) | undefined;
  #written = false;

  setContentType(contentType: string): void {
    if (this.#written) throw invalidOperation('Cannot set content-type, too late.');
    this.contentType = contentType;
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    if (!this.#written && typeof this._onBeforeFirstWrite === 'function') {
      this._onBeforeFirstWrite((early) => super.write(early));
    }
    this.#written = true;
    return super.write(data, encoding as BufferEncoding, callback as () => void);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    callback();
  }
}

export type StreamingOutcome = { stream: StreamedResponse } | { error: InvocationError };

/**
 * Runs a handler marked with `streamifyResponse` as the runtime interface client does: it is
 * called as `(event, responseStream, context)` and must return a promise ("Streaming does not
 * support non-async handlers." otherwise); its return value is ignored with a warning; the
 * response is complete when the stream is finished. A stream never ended runs into the timeout.
 */
export function invokeStreaming(
  handler: (event: unknown, stream: Writable, context: Context) => unknown,
  event: unknown,
  context: Context,
  settings: { timeout: number; warn(message: string): void; traceId?: string; tenantId?: string },
): Promise<StreamingOutcome> {
  const stream = new CollectingStream();
  return new Promise<StreamingOutcome>((resolve) => {
    let done = false;
    const finish = (outcome: StreamingOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const fail = (value: unknown) => finish({ error: ric4Failure(value, context.awsRequestId) });
    const timer = setTimeout(
      () => finish({ error: timeoutError(context.awsRequestId, settings.timeout) }),
      settings.timeout,
    );
    stream.on('error', fail);
    const ids = {
      requestId: context.awsRequestId,
      traceId: settings.traceId,
      tenantId: settings.tenantId,
    };
    let returned: unknown;
    try {
      returned = runInvocation(ids, () => handler(event, stream, context));
    } catch (error) {
      return fail(error);
    }
    if (
      typeof returned !== 'object' ||
      returned === null ||
      typeof (returned as { then?: unknown }).then !== 'function'
    ) {
      return fail(new Error('Streaming does not support non-async handlers.'));
    }
    Promise.resolve(returned).then((value) => {
      if (value !== undefined) settings.warn('Streaming handlers ignore return values.');
      const complete = () =>
        finish({ stream: { contentType: stream.contentType, body: Buffer.concat(stream.chunks) } });
      if (stream.writableFinished) complete();
      else stream.once('finish', complete);
    }, fail);
  });
}
