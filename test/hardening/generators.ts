import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { OPEN } from './known-issues.js';

// Generators for realistic and hostile HTTP requests: on the wire (bytes a client sends) and
// as the neutral request the reverse bridge builds an event from.

/** Names that are members of `Object.prototype`, plus other keys pollution attacks use. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const POLLUTION_KEYS = [
  ...PROTOTYPE_KEYS,
  'prototype',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'a[__proto__][polluted]',
];

export const METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'PROPFIND',
  'MKCOL',
  'LOCK',
  'REPORT',
  'SEARCH',
  'PURGE',
] as const;

const chars = (text: string) => fc.constantFrom(...text.split(''));

// ---------------------------------------------------------------------------------------------
// Paths and queries

const PATH_CHARS = "abcdefXYZ0129-._~!$&'()*+,;=:@";
const PATH_ESCAPES = [
  '%20',
  '%2F',
  '%2f',
  '%25',
  '%3F',
  '%23',
  '%00',
  '%C3%A9',
  '%E2%82%AC',
  '%F0%9F%98%80',
  '%FF',
  '%',
  '%z',
  '%G1',
  '%4',
  '+',
  '.',
  '..',
  '%2e%2e',
  '__proto__',
  'constructor',
];

/** Text that is already percent-encoded: unicode as its UTF-8 escapes. */
const encodedUnicode = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 3 })
  .map((text) => encodeURIComponent(text));

const pathSegment = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: chars(PATH_CHARS), maxLength: 10 }) },
      { weight: 2, arbitrary: fc.constantFrom(...PATH_ESCAPES) },
      { weight: 1, arbitrary: encodedUnicode },
    ),
    { maxLength: 4 },
  )
  .map((parts) => parts.join(''));

/** A path as a client sends it: ASCII, with encoded and malformed escapes, dot and empty segments. */
export const wirePath = fc
  .array(pathSegment, { minLength: 1, maxLength: 6 })
  .map((segments) => `/${segments.join('/')}`);

/** A path as an event may hold it: also raw unicode, spaces, `#` and controls. */
export const eventPath = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: pathSegment },
      {
        weight: 1,
        arbitrary: fc.string({ unit: 'binary', maxLength: 6 }).map((s) => s.replace(/[/?]/g, '')),
      },
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((segments) => `/${segments.join('/')}`);

const QUERY_CHARS = "abcXYZ019-._~!$'()*,;:@/?";
const QUERY_ESCAPES = [
  '+',
  '%20',
  '%2B',
  '%26',
  '%3D',
  '%25',
  '%23',
  '%',
  '%z',
  '%ZZ',
  '%2',
  '%%URL%%',
  '%C3%A9',
  '%E2%82%AC',
  '%FF',
  '%00',
];

const queryText = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: chars(QUERY_CHARS), maxLength: 6 }) },
      { weight: 2, arbitrary: fc.constantFrom(...QUERY_ESCAPES) },
      { weight: 1, arbitrary: encodedUnicode },
    ),
    { maxLength: 3 },
  )
  .map((parts) => parts.join(''));

const queryKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', 'id', 'q', 'x[]', 'a[b]', '0', '1', '10', '2') },
  { weight: 3, arbitrary: queryText },
  { weight: 1, arbitrary: fc.constantFrom(...POLLUTION_KEYS) },
);

/** One `&`-separated part: `key`, `key=`, `key=value`, or empty (`&&`). */
const queryPart = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(queryKey, queryText).map(([k, v]) => `${k}=${v}`) },
  { weight: 1, arbitrary: queryKey },
  { weight: 1, arbitrary: queryKey.map((k) => `${k}=`) },
  { weight: 1, arbitrary: fc.constant('') },
  // A value holding `=`: split on the first one.
  { weight: 1, arbitrary: fc.tuple(queryKey, queryText).map(([k, v]) => `${k}=${v}=${v}`) },
);

/**
 * A raw query string (no `?`), or `undefined` for none. Keys repeat often, so single-value mode
 * has to pick the last value.
 */
export const rawQuery = fc.option(
  fc
    .array(queryPart, { maxLength: 8 })
    // Repeat some parts so keys recur.
    .chain((parts) => fc.shuffledSubarray(parts).map((again) => [...parts, ...again].join('&'))),
  { nil: undefined, freq: 5 },
);

/** A raw query an event may carry: also raw unicode, spaces and `#` in keys and values. */
export const eventQueryText = fc.oneof(
  { weight: 3, arbitrary: queryText },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

// ---------------------------------------------------------------------------------------------
// Headers

const VISIBLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');

/** Printable ASCII and tab. */
const asciiValue = (maxLength: number) => fc.string({ unit: chars(`${VISIBLE}\t`), maxLength });

/** Unicode text without control characters (what a valid header value may decode to). */
const unicodeText = (maxLength: number) =>
  fc.string({ unit: 'binary', maxLength }).map((text) => text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ''));

/** A header value as an event holds it: text, possibly beyond ASCII. */
export const eventHeaderValue = fc.oneof(
  { weight: 6, arbitrary: asciiValue(40) },
  { weight: 2, arbitrary: unicodeText(12) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: asciiValue(4000).filter((v) => v.length > 0) },
);

/** Latin-1 text of bytes 0x80-0xFF: not valid UTF-8 as a rule. */
const latin1Value = fc.string({
  unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 6,
});

/**
 * The bytes of a header value on the wire, as Latin-1 text: ASCII, valid UTF-8, and (once
 * defect R3 is fixed) bytes that are not UTF-8.
 */
export const wireHeaderValue = fc.oneof(
  { weight: 8, arbitrary: asciiValue(40) },
  { weight: 2, arbitrary: unicodeText(10).map((text) => Buffer.from(text, 'utf8').toString('latin1')) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: asciiValue(2000) },
  { weight: OPEN.invalidUtf8HeaderValue ? 0 : 1, arbitrary: latin1Value },
);

const COMMON_NAMES = [
  'Accept',
  'accept',
  'Accept-Language',
  'X-A',
  'x-a',
  'X-B',
  'Cookie',
  'cookie',
  'User-Agent',
  'Authorization',
  'Referer',
  'If-None-Match',
  'Set-Cookie',
  'Via',
  'Forwarded',
  'X-Requested-With',
  'X-Forwarded-For',
  'x-forwarded-for',
  'X-Forwarded-Proto',
  'X-Forwarded-Port',
  'X-Amzn-Trace-Id',
];

const TOKEN_CHARS = "!#$%&'*+-.^_`|~abcdefghijklmnopqrstuvwxyz0123456789";

const randomName = fc
  .string({ unit: chars(TOKEN_CHARS), minLength: 1, maxLength: 16 })
  .chain((name) => fc.mixedCase(fc.constant(`x-${name}`)));

/** A header name in any case. */
export const headerName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...COMMON_NAMES) },
  { weight: 4, arbitrary: randomName },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS, 'prototype') },
);

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));

/** What a client may claim in `x-forwarded-for`: addresses, ports, garbage. */
const forwardedValue = fc.oneof(
  fc.array(ipv4, { minLength: 1, maxLength: 4 }).map((ips) => ips.join(', ')),
  fc.constantFrom('', 'unknown', '10.0.0.1:443', '[2001:db8::1]:8080', '2001:db8::2', ' , '),
);

// ---------------------------------------------------------------------------------------------
// Bodies

export const CONTENT_TYPES = [
  'text/plain',
  'text/html; charset=utf-8',
  'TEXT/CSV',
  'application/json',
  'application/json; charset=utf-8',
  'application/xml',
  'application/javascript',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/vnd.api+json',
  'image/png',
];
export const CONTENT_ENCODINGS = ['gzip', 'br', 'identity', 'deflate, gzip'];

/** The largest body an ALB passes (contract 3). */
export const REQUEST_LIMIT = 1024 * 1024;

/** Gives a buffer a short rendering in counterexamples. */
function named(buffer: Buffer, name: string): Buffer {
  Object.defineProperty(buffer, fc.toStringMethod, { value: () => name });
  return buffer;
}

function describeBody(bytes: Buffer): string {
  const own = (bytes as unknown as Record<symbol, (() => string) | undefined>)[fc.toStringMethod];
  return own ? own() : fc.stringify(bytes);
}

/** Deterministic pseudo-random bytes (fast for a megabyte, and reproducible when shrinking). */
export function noise(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return named(out, `noise(${length}, ${seed})`);
}

export const body = fc.oneof(
  { weight: 4, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 5, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((t) => Buffer.from(t, 'utf8')) },
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 2049, max: REQUEST_LIMIT }), fc.integer())
      .map(([length, seed]) => noise(length, seed)),
  },
  { weight: 1, arbitrary: fc.integer().map((seed) => noise(REQUEST_LIMIT, seed)) },
);

/** Whether the reverse bridge sends this body as text (contract 1.5). */
export function travelsAsText(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentEncoding !== undefined || contentType === undefined) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/javascript' ||
    type === 'application/xml'
  );
}

/** While defect R2 is open, a body that travels as text is made valid UTF-8 (same length). */
export function reverseSafeBody(bytes: Buffer, contentType?: string, contentEncoding?: string): Buffer {
  if (!OPEN.invalidUtf8TextBody || !travelsAsText(contentType, contentEncoding) || isUtf8(bytes))
    return bytes;
  const ascii = Buffer.from(bytes);
  for (let i = 0; i < ascii.length; i++) ascii[i] &= 0x7f;
  return named(ascii, `ascii(${describeBody(bytes)})`);
}

// ---------------------------------------------------------------------------------------------
// Whole requests

/** A request as a client puts it on the wire. */
export interface WireRequest {
  method: string;
  path: string;
  query: string | undefined;
  /** Header lines in order, names in any case, values as Latin-1 text of their bytes. */
  headers: Array<[string, string]>;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  body: Buffer;
  framing: 'length' | 'chunked';
  /** Sizes of the chunks for chunked framing (cycled). */
  chunks: number[];
  /** The echo app's answer. */
  status: number;
  reason: string | undefined;
  cookies: number;
}

export const STATUSES = [
  200, 200, 200, 201, 202, 203, 204, 206, 299, 301, 302, 304, 400, 401, 404, 410, 418, 422, 451, 499, 500,
  503, 599,
];

const reasonPhrase = fc.option(
  fc.oneof(
    asciiValue(30).map((r) => r.trim()),
    fc.constantFrom('Custom Reason', 'OK', 'Not Quite'),
  ),
  { nil: undefined, freq: 3 },
);

/** A request a client may send. Header lines stay far below Node's 16 KB header limit. */
export const wireRequest: fc.Arbitrary<WireRequest> = fc
  .record({
    method: fc.constantFrom(...METHODS),
    path: wirePath,
    query: rawQuery,
    headers: fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.tuple(headerName, wireHeaderValue) },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom('X-Forwarded-For', 'x-forwarded-for'), forwardedValue),
        },
      ),
      { maxLength: 12 },
    ),
    contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined, freq: 4 }),
    contentEncoding: fc.option(fc.constantFrom(...CONTENT_ENCODINGS), { nil: undefined, freq: 1 }),
    body,
    framing: fc.constantFrom('length' as const, 'length' as const, 'chunked' as const),
    chunks: fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 4 }),
    status: fc.constantFrom(...STATUSES),
    reason: reasonPhrase,
    cookies: fc.nat(3),
  })
  .map((r) => {
    // Keep the header block well under Node's 16 KB limit.
    let size = 0;
    const headers = r.headers.filter(([name, value]) => {
      size += name.length + value.length + 4;
      return size < 9000;
    });
    return { ...r, headers, body: reverseSafeBody(r.body, r.contentType, r.contentEncoding) };
  });

/** The bytes of a wire request, with `Connection: close` and the echo app's control headers. */
export function serialize(request: WireRequest, caseId: string): Buffer {
  const target = request.query === undefined ? request.path : `${request.path}?${request.query}`;
  let head = `${request.method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Case: ${caseId}\r\n`;
  for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
  if (request.contentType !== undefined) head += `Content-Type: ${request.contentType}\r\n`;
  if (request.contentEncoding !== undefined) head += `Content-Encoding: ${request.contentEncoding}\r\n`;
  head += `X-Echo-Status: ${request.status}\r\nX-Echo-Cookies: ${request.cookies}\r\n`;
  if (request.reason !== undefined) head += `X-Echo-Reason: ${request.reason}\r\n`;
  const parts: Buffer[] = [];
  // Chunked framing holds an empty body too: the last-chunk alone.
  if (request.framing === 'chunked') {
    head += 'Transfer-Encoding: chunked\r\n';
    let at = 0;
    for (let i = 0; at < request.body.length; i++) {
      const size = Math.min(request.chunks[i % request.chunks.length], request.body.length - at);
      parts.push(
        Buffer.from(`${size.toString(16)}\r\n`),
        request.body.subarray(at, at + size),
        Buffer.from('\r\n'),
      );
      at += size;
    }
    parts.push(Buffer.from('0\r\n\r\n'));
  } else if (request.body.length > 0 || request.method === 'POST') {
    head += `Content-Length: ${request.body.length}\r\n`;
    parts.push(request.body);
  }
  head += 'Connection: close\r\n\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), ...parts]);
}

// ---------------------------------------------------------------------------------------------
// Neutral requests, for the codec property

/** A request as the reverse bridge holds it before building an event (lower-case names). */
export interface CodecRequest {
  method: string;
  path: string;
  rawQuery: string;
  headers: string[];
  body: Buffer;
  remoteAddress: string;
  protocol: 'http' | 'https';
  port: number | undefined;
}

const codecQuery = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: queryPart },
      {
        weight: 1,
        arbitrary: fc
          .tuple(eventQueryText, eventQueryText)
          .map(([k, v]) => `${k.replace(/[&=]/g, '')}=${v.replace(/&/g, '')}`),
      },
    ),
    { maxLength: 8 },
  )
  .chain((parts) => fc.shuffledSubarray(parts).map((again) => [...parts, ...again].join('&')));

export const codecRequest: fc.Arbitrary<CodecRequest> = fc
  .record({
    method: fc.oneof(fc.constantFrom(...METHODS), fc.stringMatching(/^[A-Z][A-Z-]{0,11}$/)),
    path: eventPath,
    rawQuery: codecQuery,
    headers: fc.array(fc.tuple(headerName, eventHeaderValue), { maxLength: 14 }),
    contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined, freq: 4 }),
    contentEncoding: fc.option(fc.constantFrom(...CONTENT_ENCODINGS), { nil: undefined, freq: 1 }),
    contentLength: fc.option(fc.constantFrom('0', '5', '999999', 'abc'), { nil: undefined, freq: 3 }),
    body,
    remoteAddress: fc.oneof(ipv4, fc.constantFrom('2001:db8::7', '::1')),
    protocol: fc.constantFrom('http' as const, 'https' as const),
    port: fc.option(fc.constantFrom(80, 443, 8080), { nil: undefined }),
  })
  .map((r) => {
    const headers: string[] = [];
    for (const [name, value] of r.headers) headers.push(name.toLowerCase(), value);
    if (r.contentType !== undefined) headers.push('content-type', r.contentType);
    if (r.contentEncoding !== undefined) headers.push('content-encoding', r.contentEncoding);
    if (r.contentLength !== undefined) headers.push('content-length', r.contentLength);
    return {
      method: r.method,
      path: r.path,
      rawQuery: r.rawQuery,
      headers,
      body: reverseSafeBody(r.body, r.contentType, r.contentEncoding),
      remoteAddress: r.remoteAddress,
      protocol: r.protocol,
      port: r.port,
    };
  });

// ---------------------------------------------------------------------------------------------
// Events as the wire may carry them, for the forward-only property

export interface EventShape {
  multi: boolean;
  /** Both field pairs present (multi-value wins). */
  both: boolean;
  method: string;
  path: string;
  headers: Array<[string, string]>;
  query: Array<[string, string]>;
  body: Buffer;
  base64: boolean;
}

const eventKey = fc.oneof(
  { weight: 3, arbitrary: queryText },
  { weight: 1, arbitrary: eventQueryText },
  { weight: 2, arbitrary: fc.constantFrom(...POLLUTION_KEYS) },
);

export const eventShape: fc.Arbitrary<EventShape> = fc.record({
  multi: fc.boolean(),
  both: fc.boolean(),
  // Not HEAD: the forward property reads the app's answer from the body.
  method: fc.constantFrom(...METHODS.filter((m) => m !== 'HEAD')),
  path: eventPath,
  headers: fc.array(
    fc.tuple(
      fc.oneof(
        { weight: 3, arbitrary: headerName.map((n) => n.toLowerCase()) },
        { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
      ),
      eventHeaderValue,
    ),
    { maxLength: 10 },
  ),
  query: fc.array(fc.tuple(eventKey, eventQueryText), { maxLength: 8 }),
  body,
  base64: fc.boolean(),
});
