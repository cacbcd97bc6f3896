import type { Transform } from 'node:stream';
import { nodeZlib } from './builtin.js';
import type { HttpResponse } from './http.js';

/** UTF-16 units in the strings of a result other than its body, plus a few per entry for the JSON around them. */
function textOutsideBody(result: object): number {
  let units = 0;
  const fields = result as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    units += key.length + 8;
    if (key === 'body') continue;
    const value = fields[key];
    if (typeof value === 'string') units += value.length;
    else if (typeof value === 'object' && value !== null) {
      const entries = value as Record<string, unknown>;
      for (const name of Object.keys(entries)) {
        units += name.length + 8;
        const item = entries[name];
        if (typeof item === 'string') units += item.length;
        else if (Array.isArray(item)) for (const one of item) units += String(one).length + 4;
        else units += String(item).length;
      }
    } else units += 24;
  }
  return units;
}

/**
 * The serialized size of a result, in bytes, headers included. Counting exactly costs a
 * `JSON.stringify`, so it is only done when a cheap upper bound says the result could be near the
 * limit. Returns 0 when the bound is under the limit.
 */
export function resultSize(
  result: { body?: string | null; isBase64Encoded?: boolean },
  limit: number,
): number {
  const body = typeof result.body === 'string' ? result.body : '';
  // Each UTF-16 unit serializes to at most 6 bytes (a \uXXXX escape).
  const rest = textOutsideBody(result) * 6;
  if (body.length * 6 + rest < limit) return 0;
  if (result.isBase64Encoded === true) {
    // Base64 needs no escaping: the body's JSON is its length plus the quotes; count the rest only.
    if (body.length + rest < limit) return 0;
    return body.length + 2 + Buffer.byteLength(JSON.stringify({ ...result, body: '' }));
  }
  return Buffer.byteLength(JSON.stringify(result));
}

function accepts(acceptEncoding: string, coding: string): boolean {
  // An exact coding's q-value decides; `*` only speaks for codings the header does not name.
  let wildcard = false;
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.split(';');
    const token = name.trim().toLowerCase();
    if (token !== coding && token !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const allowed = q === undefined || Number(q.slice(2)) > 0;
    if (token === coding) return allowed;
    wildcard = allowed;
  }
  return wildcard;
}

/** Whether `compressResponse` may compress for a client that sent this `accept-encoding`. */
export function acceptsCompression(acceptEncoding: string | undefined): boolean {
  return acceptEncoding !== undefined && (accepts(acceptEncoding, 'gzip') || accepts(acceptEncoding, 'br'));
}

/** A content coding the bridge compresses with. */
export type Coding = 'gzip' | 'br';

/** The coding to compress with for a client that sent this `accept-encoding`: gzip, else br. */
export function chooseCoding(acceptEncoding: string | undefined): Coding | undefined {
  if (acceptEncoding === undefined) return undefined;
  if (accepts(acceptEncoding, 'gzip')) return 'gzip';
  if (accepts(acceptEncoding, 'br')) return 'br';
  return undefined;
}

/** Brotli at quality 5: close to gzip's speed, smaller output. */
function brotliOptions() {
  return { params: { [nodeZlib().constants.BROTLI_PARAM_QUALITY]: 5 } };
}

/** A stream that compresses with `coding`, for a body compressed as it is written. */
export function createCompressor(coding: Coding): Transform {
  const zlib = nodeZlib();
  return coding === 'gzip' ? zlib.createGzip() : zlib.createBrotliCompress(brotliOptions());
}

/** The headers of a response once its body is compressed with `coding` to `length` bytes. */
export function encodedHeaders(headers: readonly string[], coding: Coding, length: number): string[] {
  const out: string[] = [];
  let vary = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    let value = headers[i + 1];
    if (name === 'content-length') value = String(length);
    if (name === 'vary') {
      vary = true;
      if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(value)) value = `${value}, Accept-Encoding`;
    }
    out.push(name, value);
  }
  out.push('content-encoding', coding);
  if (!vary) out.push('vary', 'Accept-Encoding');
  return out;
}

/**
 * Compresses a response the client accepts compressed (gzip, else br) and that is not encoded
 * already; `undefined` when neither applies.
 */
export function compressResponse(
  response: HttpResponse,
  acceptEncoding: string | undefined,
): HttpResponse | undefined {
  if (response.body.length === 0) return undefined;
  const headers = response.headers;
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'content-encoding') return undefined;
  const coding = chooseCoding(acceptEncoding);
  if (coding === undefined) return undefined;
  const zlib = nodeZlib();
  const body =
    coding === 'gzip'
      ? zlib.gzipSync(response.body)
      : zlib.brotliCompressSync(response.body, brotliOptions());
  return {
    status: response.status,
    reason: response.reason,
    headers: encodedHeaders(headers, coding, body.length),
    body,
  };
}
