import { type BinaryPredicate, needsBase64 } from '../binary.js';
import { asWireText, hasInvalidValueChar, isHeaderName, isPlainValue, lowerHeaderName } from '../headers.js';
import { type HttpRequest, type HttpResponse, lastHeader } from '../http.js';
import { pushOwn } from '../own.js';
import { safePath } from '../query.js';
import { decodeBase64Strict } from './base64.js';
import type { Peer } from './forwarded.js';

// Reading and writing the fields the HTTP event formats share. Readers return a string that
// names the problem when a field is malformed; the bridge answers that with a 400 result.

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

/** A short rendering of a bad value for a message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function pushHeader(out: string[], rawName: string, value: string): string | undefined {
  // Checked as given: some non-ASCII letters lower-case to ASCII (U+212A KELVIN SIGN becomes "k").
  const name = lowerHeaderName(rawName);
  if (name === undefined) return `header name ${JSON.stringify(rawName)} is not a valid HTTP token`;
  // Printable ASCII and tab: the usual header value, which needs neither conversion nor more checks.
  if (isPlainValue(value)) {
    out.push(name, value);
    return undefined;
  }
  const wire = asWireText(value);
  if (hasInvalidValueChar(wire))
    return `header ${JSON.stringify(name)} holds a control character (CR, LF or NUL)`;
  out.push(name, wire);
  return undefined;
}

/** Appends the lines of a `{ name: value }` header field (absent or null: none). */
export function readHeaders(source: unknown, field: string, out: string[]): string | undefined {
  if (source === undefined || source === null) return undefined;
  if (!isObject(source)) return `${field} must be an object of strings`;
  for (const name of Object.keys(source)) {
    const value = source[name];
    if (typeof value !== 'string')
      return `${field}[${JSON.stringify(name)}] must be a string; it is ${show(value)}`;
    const problem = pushHeader(out, name, value);
    if (problem) return problem;
  }
  return undefined;
}

/** Appends the lines of a `{ name: [values] }` header field (absent or null: none). */
export function readMultiHeaders(source: unknown, field: string, out: string[]): string | undefined {
  if (source === undefined || source === null) return undefined;
  if (!isObject(source)) return `${field} must be an object of string arrays`;
  for (const name of Object.keys(source)) {
    const values = source[name];
    if (!isStringArray(values)) return `${field}[${JSON.stringify(name)}] must be an array of strings`;
    for (const value of values) {
      const problem = pushHeader(out, name, value);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Checks a `{ key: value }` (or, with `multi`, `{ key: [values] }`) query field. */
export function checkParams(source: unknown, field: string, multi: boolean): string | undefined {
  if (source === undefined || source === null) return undefined;
  if (!isObject(source)) return `${field} must be an object of ${multi ? 'string arrays' : 'strings'}`;
  for (const key of Object.keys(source)) {
    if (multi ? !isStringArray(source[key]) : typeof source[key] !== 'string') {
      return `${field}[${JSON.stringify(key)}] must be ${multi ? 'an array of strings' : 'a string'}`;
    }
  }
  return undefined;
}

/** The body bytes of an event: `""`, `null` or absent is empty; base64 is checked strictly. */
export function readBody(body: unknown, isBase64Encoded: unknown): Buffer | string {
  if (body === null || body === undefined || body === '') return Buffer.alloc(0);
  if (typeof body !== 'string') return `body must be a string; the event has ${show(body)}`;
  if (isBase64Encoded === true) {
    return decodeBase64Strict(body) ?? 'body is marked isBase64Encoded but is not valid base64';
  }
  if (isBase64Encoded === false || isBase64Encoded === undefined || isBase64Encoded === null) {
    return Buffer.from(body, 'utf8');
  }
  return `isBase64Encoded must be a boolean; the event has ${show(isBase64Encoded)}`;
}

/** Checks the method and path of an event. */
export function checkTarget(
  method: unknown,
  path: unknown,
  pathField = 'path',
  methodField = 'httpMethod',
): string | undefined {
  if (typeof method !== 'string' || !isHeaderName(method)) {
    return `${methodField} must be an HTTP method such as "GET"; the event has ${show(method)}`;
  }
  // `OPTIONS *` (RFC 9112 3.2.4) is the one request whose target is not a path.
  if (path === '*' && method === 'OPTIONS') return undefined;
  if (typeof path !== 'string' || path.charCodeAt(0) !== 47 /* / */) {
    return `${pathField} must be a string that starts with "/"; the event has ${show(path)}`;
  }
  return undefined;
}

/**
 * The app reads the decoded body, so `content-length` states its byte length (a string, as Node
 * gives it) whatever the client sent, and `transfer-encoding` is dropped: the body is whole. A
 * request that carried any framing keeps it as `content-length`, `0` included: without either
 * header, HTTP means "no body", and body parsers skip the request.
 */
function withBodyLength(headers: string[], length: number): string[] {
  let at = -1;
  let extra = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === 'content-length') {
      if (at === -1) at = i;
      else extra = true;
    } else if (name === 'transfer-encoding') {
      extra = true;
    }
  }
  if (!extra) {
    if (at !== -1) headers[at + 1] = String(length);
    else if (length > 0) headers.push('content-length', String(length));
    return headers;
  }
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === 'transfer-encoding' || (name === 'content-length' && i !== at)) continue;
    out.push(name, i === at ? String(length) : headers[i + 1]);
  }
  if (at === -1) out.push('content-length', String(length));
  return out;
}

/** Assembles the neutral request; the protocol and port come from `x-forwarded-proto`/`-port`. */
export function completeRequest(
  method: string,
  path: string,
  rawQuery: string,
  headers: string[],
  body: Buffer,
  peer: Peer,
): HttpRequest {
  const wire = withBodyLength(headers, body.length);
  const proto = lastHeader(wire, 'x-forwarded-proto');
  const port = Number(lastHeader(wire, 'x-forwarded-port'));
  return {
    method,
    path: safePath(path),
    rawQuery,
    headers: wire,
    body,
    remoteAddress: peer.address,
    remotePort: peer.port,
    protocol: proto !== undefined && proto.trim().toLowerCase() === 'https' ? 'https' : 'http',
    port: Number.isInteger(port) && port > 0 ? port : undefined,
  };
}

/** Removes a base path (`/prod`, a custom domain mapping) from the start of a path. */
export function stripBasePath(path: string, basePath: string | undefined): string {
  if (!basePath || !path.startsWith(basePath)) return path;
  const rest = path.slice(basePath.length);
  if (rest === '') return '/';
  return rest.charCodeAt(0) === 47 ? rest : path;
}

/** A response's headers grouped by name, in first-seen order, with its content type and coding. */
export interface GroupedHeaders {
  map: Record<string, string[]>;
  contentType: string;
  contentEncoding: string;
}

export function groupHeaders(response: HttpResponse): GroupedHeaders {
  const map: Record<string, string[]> = {};
  const src = response.headers;
  let contentType = '';
  let contentEncoding = '';
  for (let i = 0; i < src.length; i += 2) {
    const name = src[i];
    const value = src[i + 1];
    if (name === 'content-type' && contentType === '') contentType = value;
    else if (name === 'content-encoding' && contentEncoding === '') contentEncoding = value;
    // Own properties only: `constructor` and `__proto__` are headers like any other.
    pushOwn(map, name, value);
  }
  return { map, contentType, contentEncoding };
}

/** The result body: text, or base64 for binary and non-UTF-8 bodies. */
export function encodeBody(
  response: HttpResponse,
  grouped: GroupedHeaders,
  isBinary: BinaryPredicate,
): { body: string; isBase64Encoded: boolean } {
  const { body } = response;
  if (body.length === 0) return { body: '', isBase64Encoded: false };
  const base64 = needsBase64(body, grouped.contentType, grouped.contentEncoding, isBinary);
  return { body: body.toString(base64 ? 'base64' : 'utf8'), isBase64Encoded: base64 };
}
