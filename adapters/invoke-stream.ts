import type { ServerResponse } from 'node:http';
import type { Outcome } from '../lib/invoke/invoke.js';
import { EXECUTED_VERSION, errorPayload, resultBody } from '../lib/invoke-api/answer.js';
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
    if (bytes.length === 0 || this.res.writableEnded) return true;
    this.head();
    return this.res.write(payloadChunk(bytes));
  }

  /** Ends the stream: `ErrorCode`/`ErrorDetails` for a failure, `LogResult` for `Tail`. */
  complete(fields: InvokeCompleteFields): void {
    if (this.res.writableEnded) return;
    this.head();
    this.res.end(invokeComplete(fields));
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
    answer.complete({
      ErrorCode: error.errorType,
      ErrorDetails: JSON.stringify(errorPayload(error)),
      ...log,
    });
    return;
  }
  answer.chunk(body);
  answer.complete(log);
}
