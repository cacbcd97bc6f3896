import { STATUS_CODES } from 'node:http';
import { describe } from '../errors.js';
import { foldHeaders } from '../headers.js';
import { EMPTY_BODY, firstHeader, type HttpRequest, type HttpResponse } from '../http.js';
import { isThenable } from '../invoke/invoke.js';
import {
  type Dispatch,
  type Exchange,
  errorMessage,
  failed,
  OVERFLOWED,
  plain,
  timedOut,
} from './dispatch.js';
import { attachInvocation } from './invocation.js';

/** A fetch handler: `(request) => Response`, as Hono's and H3's `app.fetch` are. */
export type FetchHandler = (request: Request, env?: never) => Response | PromiseLike<Response>;

/** Any app with a `fetch(request)` method: Hono 4, H3 2, srvx, or `fromFetch(fn)`. */
export interface FetchApp {
  fetch(request: Request, env?: never): Response | PromiseLike<Response>;
}

// Methods the Request constructor refuses; an ALB forwards them, a fetch app cannot see them.
const FORBIDDEN = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * The fetch `Request` for a request: the URL from the `host` header, the path and the raw query
 * (kept as sent, so it is decoded once, by the app); headers folded as Node's server folds them;
 * the body bytes (a GET or HEAD carries none, as fetch allows none).
 */
export function toRequest(request: HttpRequest): Request | string {
  const { method, path, rawQuery, body } = request;
  if (FORBIDDEN.has(method.toUpperCase())) return `a fetch Request cannot carry the ${method} method`;
  const target = rawQuery === '' ? path : `${path}?${rawQuery}`;
  const host = firstHeader(request.headers, 'host');
  const url = `${request.protocol}://${host ?? 'localhost'}${target}`;
  // Folded once, as Node folds them; the Request copies them into its own Headers.
  const folded = foldHeaders(request.headers) as Record<string, string | string[]>;
  let headers: Record<string, string> | Array<[string, string]> = folded as Record<string, string>;
  if (Array.isArray(folded['set-cookie'])) {
    const pairs: Array<[string, string]> = [];
    for (const name of Object.keys(folded)) {
      const value = folded[name];
      if (typeof value === 'string') pairs.push([name, value]);
      else for (const item of value) pairs.push([name, item]);
    }
    headers = pairs;
  }
  const init = {
    method,
    headers,
    body: body.length > 0 && method !== 'GET' && method !== 'HEAD' ? body : undefined,
  };
  try {
    return new Request(url, init);
  } catch (error) {
    // A host header that cannot be a URL authority: the request is still for the app.
    if (host !== undefined) {
      try {
        return new Request(`${request.protocol}://localhost${target}`, init);
      } catch {}
    }
    return `the request cannot be a fetch Request: ${errorMessage(error)}`;
  }
}

/**
 * Runs a fetch app: the event becomes a `Request` (with `request.ip`, the peer address, as srvx
 * sets it), the app's `Response` is read back whole, every `Set-Cookie` kept apart. The second
 * argument is the environment `hono/aws-lambda` passes (`event`, `requestContext`, `lambdaContext`).
 */
export function fetchDispatch(app: FetchApp): Dispatch {
  return (exchange) =>
    new Promise<HttpResponse>((resolve) => {
      const { warn, wait } = exchange;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (response: HttpResponse) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        resolve(response);
      };
      const fail = (error: unknown) => {
        if (settled) {
          warn('APP_ERROR', `the app failed after its invocation was answered: ${errorMessage(error)}`);
          return;
        }
        warn(
          'APP_ERROR',
          `answered 500: the app failed before finishing its response: ${errorMessage(error)}`,
        );
        settle(failed(error, exchange.exposeErrors));
      };

      const request = toRequest(exchange.request);
      if (typeof request === 'string') {
        warn('INVALID_EVENT', `answered 400: ${request}.`);
        settle(plain(400, 'Bad Request'));
        return;
      }
      attachInvocation(request, exchange.invocation);
      if (exchange.request.remoteAddress !== undefined) {
        (request as Request & { ip?: string }).ip = exchange.request.remoteAddress;
      }
      const { event, context } = exchange.invocation;
      const env = {
        event,
        requestContext: (event as { requestContext?: unknown }).requestContext,
        lambdaContext: context,
      };
      if (wait !== undefined) {
        timer = setTimeout(() => {
          if (settled) return;
          settle(timedOut(exchange));
        }, wait);
      }
      let returned: Response | PromiseLike<Response>;
      try {
        returned = app.fetch(request, env as never);
      } catch (error) {
        fail(error);
        return;
      }
      const read = (response: Response) =>
        readResponse(response, exchange, () => settled).then((done) => {
          if (done !== undefined) settle(done);
        });
      if (isThenable(returned)) returned.then(read, fail).then(undefined, fail);
      else read(returned).then(undefined, fail);
    });
}

function isResponse(value: unknown): value is Response {
  const r = value as Partial<Response> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.status === 'number' &&
    typeof r.headers?.get === 'function' &&
    typeof r.arrayBuffer === 'function'
  );
}

/** The app's `Response` as an HttpResponse; `undefined` once the invocation was answered without it. */
async function readResponse(
  response: Response,
  exchange: Exchange,
  answered: () => boolean,
): Promise<HttpResponse | undefined> {
  if (!isResponse(response)) {
    throw new Error(`the app's fetch returned ${describe(response)}, not a Response`);
  }
  const { status } = response;
  if (status < 200 || status > 599)
    throw new Error(`the app's fetch returned a network error (status ${status})`);
  const headers: string[] = [];
  let encoded = false;
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    if (name === 'content-encoding') encoded = true;
    headers.push(name, value);
  });
  const cookies = typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [];
  for (const cookie of cookies) headers.push('set-cookie', cookie);
  // No reason phrase: the standard one, or Node's server's 'unknown' for a code it does not know.
  const reason =
    response.statusText !== '' ? response.statusText : STATUS_CODES[status] ? undefined : 'unknown';
  if (response.body === null) return { status, reason, headers, body: EMPTY_BODY };

  const { limit } = exchange;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (answered()) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    size += value.byteLength;
    if (size > limit.bytes && !limit.bodiless(status) && limit.coding(encoded) === undefined) {
      reader.cancel().catch(() => {});
      limit.onOverflow(size, false);
      return OVERFLOWED;
    }
    chunks.push(value);
  }
  const body =
    chunks.length === 1
      ? Buffer.from(chunks[0].buffer, chunks[0].byteOffset, chunks[0].byteLength)
      : Buffer.concat(chunks);
  return { status, reason, headers, body };
}
