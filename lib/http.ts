/**
 * The neutral HTTP exchange every event format is translated through.
 *
 * Headers are flat lists in wire order, `[name, value, name, value, …]`, like Node's
 * `rawHeaders`: repeated names stay repeated and nothing is folded until a consumer asks.
 */
export interface HttpRequest {
  method: string;
  /** The path as sent, without the query string. */
  path: string;
  /** The query string as sent, without `?`; `''` when there is none. */
  rawQuery: string;
  /** Lower-case names and their values, in wire order. */
  headers: string[];
  body: Buffer;
  /** The peer address as the load balancer saw it, when known. */
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  protocol: 'http' | 'https';
  /** The listener port the client connected to, when known. */
  port: number | undefined;
}

export interface HttpResponse {
  status: number;
  /** The reason phrase; the standard one for `status` when absent. */
  reason: string | undefined;
  /** Lower-case names and their values, in the order the app set them. */
  headers: string[];
  body: Buffer;
}

/** The value of the first header called `name` (lower case) in a flat list. */
export function firstHeader(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) return headers[i + 1];
  }
  return undefined;
}

/** The value of the last header called `name` (lower case) in a flat list. */
export function lastHeader(headers: readonly string[], name: string): string | undefined {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i] === name) return headers[i + 1];
  }
  return undefined;
}

/** The first `content-type` and `content-encoding` of a flat list (`''` when absent). */
export function contentHeaders(headers: readonly string[]): { type: string; coding: string } {
  let type = '';
  let coding = '';
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'content-type' && type === '') type = headers[i + 1];
    else if (headers[i] === 'content-encoding' && coding === '') coding = headers[i + 1];
  }
  return { type, coding };
}

/** The bytes of a header block on the wire: `name: value` and CRLF for each line. */
export function headerBlockSize(headers: readonly string[]): number {
  let bytes = 0;
  for (let i = 0; i < headers.length; i += 2) bytes += headers[i].length + headers[i + 1].length + 4;
  return bytes;
}

export const EMPTY_BODY: Buffer = Buffer.alloc(0);
