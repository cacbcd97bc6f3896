import { describeThrown } from '../errors.js';
import type { HttpEvent } from '../formats/detect.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import type { BodyLimit } from '../node/response.js';
import type { Invocation } from './invocation.js';

/** One request for an app, whatever its kind, and how the bridge bounds it. */
export interface Exchange {
  request: HttpRequest;
  invocation: Invocation<HttpEvent>;
  /** Milliseconds until the bridge answers 504 for the app; `undefined` for no deadline. */
  wait: number | undefined;
  /** The whole wait, for messages, when part of it passed before the app ran. */
  budget?: number;
  /** Whether a 500 answer for an error the app threw carries its stack. */
  exposeErrors: boolean;
  warn(code: string, message: string): void;
  limit: BodyLimit;
}

/**
 * One app kind (a Node listener, a Fastify instance, a fetch app, …) turned into the one
 * function the bridge calls. It always resolves: an app that fails, hangs or overflows is
 * answered (500, 504, or `limit.onOverflow` and any response) instead.
 */
export type Dispatch = (exchange: Exchange) => Promise<HttpResponse>;

/** A plain-text answer the bridge gives for the app. */
export function plain(status: number, text: string): HttpResponse {
  const body = Buffer.from(text, 'utf8');
  return { status, reason: undefined, headers: ['content-type', 'text/plain; charset=utf-8'], body };
}

/** Stands in for a response the bridge stopped buffering; the caller answers for it. */
export const OVERFLOWED: HttpResponse = {
  status: 502,
  reason: undefined,
  headers: [],
  body: Buffer.alloc(0),
};

/** What a thrown value says, whatever it is (see `describeThrown`). */
export const errorMessage: (error: unknown) => string = describeThrown;

/** The stack of a thrown Error, or `message` when there is none or it cannot be read. */
function stackOf(error: unknown, message: string): string {
  try {
    const stack = error instanceof Error ? error.stack : undefined;
    return typeof stack === 'string' && stack !== '' ? stack : message;
  } catch {
    return message;
  }
}

/** The 500 answer for an error the app threw or rejected with. */
export function failed(error: unknown, exposeErrors: boolean): HttpResponse {
  return plain(500, exposeErrors ? stackOf(error, describeThrown(error)) : 'Internal Server Error');
}

/** The 504 answer, with its warning. */
export function timedOut(exchange: Exchange, what = 'finish its response'): HttpResponse {
  exchange.warn(
    'APP_TIMEOUT',
    `answered 504: the app did not ${what} within ${Math.round(exchange.budget ?? exchange.wait ?? 0)} ms, before the Lambda deadline.`,
  );
  return plain(504, 'Gateway Timeout');
}
