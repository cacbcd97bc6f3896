import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { foldHeaders } from '../headers.js';
import type { HttpRequest } from '../http.js';
import { pushOwn } from '../own.js';
import type { BridgeSocket } from './socket.js';

/**
 * An `IncomingMessage` that holds the whole request: `rawHeaders` in wire order, `headers`
 * folded as Node's server folds them, and the body already queued on the stream. Only public
 * fields are set, so a framework may swap its prototype (Express does) and it keeps working.
 */
function lazyDistinct(raw: readonly string[]): () => Record<string, string[]> {
  let built: Record<string, string[]> | undefined;
  return () => {
    built ??= distinctHeaders(raw);
    return built;
  };
}

function distinctHeaders(raw: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < raw.length; i += 2) pushOwn(out, raw[i], raw[i + 1]);
  return out;
}

export function createRequest(request: HttpRequest, socket: BridgeSocket): IncomingMessage {
  const req = new IncomingMessage(socket as unknown as Socket);
  req.method = request.method;
  req.url = request.rawQuery === '' ? request.path : `${request.path}?${request.rawQuery}`;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.rawHeaders = request.headers;
  req.headers = foldHeaders(request.headers);
  // Node builds this from its parser's count of header lines, which an in-memory request lacks.
  Object.defineProperty(req, 'headersDistinct', {
    configurable: true,
    enumerable: false,
    get: lazyDistinct(request.headers),
  });
  req.complete = true;
  if (request.body.length > 0) req.push(request.body);
  req.push(null);
  return req;
}
