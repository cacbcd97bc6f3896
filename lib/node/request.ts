import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { foldHeaders } from '../headers.js';
import type { HttpRequest } from '../http.js';
import { pushOwn } from '../own.js';
import type { BridgeSocket } from './socket.js';

/**
 * Node's own count of header lines in `rawHeaders` (a private symbol its parser sets), from which
 * `IncomingMessage.prototype`'s lazy `headers` and `headersDistinct` getters read. Setting it lets
 * Node fold both on first use, exactly as it does for a parsed request, with no per-request
 * property definition; the getters live on Node's prototype, so they survive a framework swapping
 * the request's prototype (Express does). Found on the first request built (`null` until then),
 * not at import; `undefined` on a Node without it.
 */
let headersCount: symbol | undefined | null = null;

function findHeadersCount(fresh: IncomingMessage): symbol | undefined {
  const symbol = Object.getOwnPropertySymbols(fresh).find((s) => s.description === 'kHeadersCount');
  return symbol !== undefined && (fresh as unknown as Record<symbol, unknown>)[symbol] === 0
    ? symbol
    : undefined;
}

function distinctHeaders(raw: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < raw.length; i += 2) pushOwn(out, raw[i], raw[i + 1]);
  return out;
}

/**
 * An `IncomingMessage` that holds the whole request: `rawHeaders` in wire order, `headers`
 * folded as Node's server folds them (by Node's own getters, or `foldHeaders` on a Node without
 * its header count), and the body already queued on the stream. Only public
 * fields (and Node's header count) are set, so a framework may swap its prototype (Express does)
 * and it keeps working.
 */
export function createRequest(request: HttpRequest, socket: BridgeSocket): IncomingMessage {
  const req = new IncomingMessage(socket as unknown as Socket);
  if (headersCount === null) headersCount = findHeadersCount(req);
  req.method = request.method;
  req.url = request.rawQuery === '' ? request.path : `${request.path}?${request.rawQuery}`;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.rawHeaders = request.headers;
  if (headersCount !== undefined) {
    // `headers` and `headersDistinct` are built by Node's own getters, on first use.
    (req as unknown as Record<symbol, number>)[headersCount] = request.headers.length;
  } else {
    // Node's setters store them where its getters read them.
    req.headers = foldHeaders(request.headers);
    req.headersDistinct = distinctHeaders(request.headers);
  }
  req.complete = true;
  if (request.body.length > 0) req.push(request.body);
  req.push(null);
  return req;
}
