import type { InvocationError, Outcome } from '../invoke/invoke.js';
import type { ApiAnswer } from './errors.js';
import { RESULT_LIMIT } from './errors.js';

/** The version lambda-bridge runs, whatever the qualifier: the local code is the only version. */
export const EXECUTED_VERSION = '$LATEST';

/** The most bytes of log an invocation's `X-Amz-Log-Result` carries: its last 4 KB. */
export const LOG_RESULT_LIMIT = 4096;

/** An invocation's log as `Tail` returns it: START, what the function wrote, END and REPORT. */
export class InvocationLog {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  write(text: string | Buffer): void {
    const chunk = typeof text === 'string' ? Buffer.from(text) : text;
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Only the end is ever returned: drop what can no longer be part of it.
    while (this.chunks.length > 1 && this.size - this.chunks[0].length >= LOG_RESULT_LIMIT) {
      this.size -= (this.chunks.shift() as Buffer).length;
    }
  }

  /** The base64 of the log's last 4 KB. */
  tail(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - LOG_RESULT_LIMIT)).toString('base64');
  }
}

/**
 * The error payload Lambda returns for a failed invocation. Errors Lambda itself reports (a
 * timeout, an exit, memory) carry no trace; the runtime's payloads keep theirs.
 */
export function errorPayload(error: InvocationError): Record<string, unknown> {
  const platform = /^(Sandbox\.|Function\.|Runtime\.(ExitError|OutOfMemory|InitTimeout))/.test(
    error.errorType,
  );
  if (platform && error.trace.length === 0) {
    return { errorType: error.errorType, errorMessage: error.errorMessage };
  }
  return { errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace };
}

/** What a streaming handler wrote, as Invoke returns it whole: the bytes kept, and how many were written. */
export interface StreamedBody {
  bytes: Buffer;
  size: number;
}

/**
 * What a finished invocation's result becomes: its JSON bytes (or the bytes a streaming handler
 * wrote), or the error Lambda reports instead.
 */
export function resultBody(
  outcome: Outcome,
  streamed?: StreamedBody,
): { body: Buffer; error: InvocationError | undefined } {
  if (!outcome.ok) {
    return { body: Buffer.from(JSON.stringify(errorPayload(outcome.error))), error: outcome.error };
  }
  const body = streamed?.bytes ?? Buffer.from(outcome.json);
  const size = streamed?.size ?? body.length;
  if (size <= RESULT_LIMIT) return { body, error: undefined };
  const error: InvocationError = {
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: `Response payload size (${size} bytes) exceeded maximum allowed payload size (${RESULT_LIMIT} bytes).`,
    trace: [],
  };
  return {
    body: Buffer.from(JSON.stringify(errorPayload(error))),
    error,
  };
}

/**
 * The answer to a `RequestResponse` invocation: 200 with the result, or 200 with
 * `X-Amz-Function-Error: Unhandled` and the error payload; the log's tail when asked for.
 */
export function invokeAnswer(
  outcome: Outcome,
  requestId: string,
  logResult?: string,
  streamed?: StreamedBody,
): ApiAnswer {
  const { body, error } = resultBody(outcome, streamed);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amz-executed-version': EXECUTED_VERSION,
    'x-amzn-requestid': requestId,
  };
  if (error !== undefined) headers['x-amz-function-error'] = 'Unhandled';
  if (logResult !== undefined) headers['x-amz-log-result'] = logResult;
  return { status: 200, headers, body };
}
