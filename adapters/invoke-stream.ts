import type { ServerResponse } from 'node:http';
import type { InvocationError, Outcome } from '../lib/invoke/invoke.js';
import type { StreamTarget } from '../lib/invoke/stream-invoke.js';
import { EXECUTED_VERSION, errorPayload, resultBody, type StreamedBody } from '../lib/invoke-api/answer.js';
import { RESULT_LIMIT } from '../lib/invoke-api/errors.js';
import { type InvokeCompleteFields, invokeComplete, payloadChunk } from '../lib/invoke-api/event-stream.js';

/**
 * An InvokeWithResponseStream answer, written as the invocation goes: 200 and the head with the
 * first event, a `PayloadChunk` event per chunk, then `InvokeComplete`, which ends it.
 */
export class EventStreamAnswer {
  constructor(
    private readonly res: ServerResponse,
    private readonly requestId: string,
  ) {}

  private head(): void {
    if (this.res.headersSent) return;
    this.res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amz-executed-version': EXECUTED_VERSION,
      'x-amzn-requestid': this.requestId,
    });
  }

  /** Sends bytes the function wrote; `false` when the client is behind (wait for `drain` on the response). */
  chunk(bytes: Uint8Array): boolean {
    // A client that has gone takes every write at once: the function runs on to its end, as on Lambda.
    if (bytes.length === 0 || this.res.writableEnded || this.res.destroyed) return true;
    this.head();
    return this.res.write(payloadChunk(bytes));
  }

  /** Ends the stream: `ErrorCode`/`ErrorDetails` for a failure, `LogResult` for `Tail`. */
  complete(fields: InvokeCompleteFields): void {
    if (this.res.writableEnded) return;
    this.head();
    this.res.end(invokeComplete(fields));
  }

  /**
   * Where a streaming handler's bytes go: each write is a `PayloadChunk`, taken once the client
   * has read it (or has gone), so the handler's stream feels the client's pace.
   */
  target(): StreamTarget {
    return {
      start: () => {},
      write: (chunk, done) => {
        if (this.chunk(chunk)) {
          done();
          return;
        }
        const go = () => {
          this.res.off('drain', go);
          this.res.off('close', go);
          done();
        };
        this.res.on('drain', go);
        this.res.on('close', go);
      },
      end: () => {},
    };
  }

  /** Ends a streamed invocation: `InvokeComplete`, with the error fields when it failed. */
  end(outcome: Outcome, logResult: string | undefined): void {
    const log = logResult === undefined ? {} : { LogResult: logResult };
    if (outcome.ok) this.complete(log);
    else this.complete({ ...completeError(outcome.error), ...log });
  }
}

function completeError(error: InvocationError): InvokeCompleteFields {
  return { ErrorCode: error.errorType, ErrorDetails: JSON.stringify(errorPayload(error)) };
}

/**
 * A streaming handler's response kept whole, for Invoke (and Event): the bytes it wrote, kept up
 * to the result limit (counted past it); the payload of a successful invocation.
 */
export class CollectedResponse implements StreamTarget {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  start(): void {}

  write(chunk: Buffer, done: (error?: Error | null) => void): void {
    // Past the limit the result fails anyway: count the bytes, keep none.
    if (this.size <= RESULT_LIMIT) this.chunks.push(chunk);
    this.size += chunk.length;
    done();
  }

  end(): void {}

  /** What the handler wrote, and how many bytes (all of them, kept or not). */
  body(): StreamedBody {
    return { bytes: Buffer.concat(this.chunks), size: this.size };
  }
}

/**
 * InvokeWithResponseStream for an outcome that arrived whole (a handler that returns its result):
 * the result as one `PayloadChunk`, then `InvokeComplete`; a failure is `InvokeComplete` alone,
 * with the error type as `ErrorCode` and the error payload as `ErrorDetails`.
 */
export function answerWhole(
  answer: EventStreamAnswer,
  outcome: Outcome,
  logResult: string | undefined,
): void {
  const { body, error } = resultBody(outcome);
  const log = logResult === undefined ? {} : { LogResult: logResult };
  if (error !== undefined) {
    answer.complete({ ...completeError(error), ...log });
    return;
  }
  answer.chunk(body);
  answer.complete(log);
}
