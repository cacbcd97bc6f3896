import type { IncomingHttpHeaders } from 'node:http';
import { getOwn } from './own.js';

// Node's HTTP server keeps the first of these when a request repeats them (lib/_http_incoming.js).
const SINGLE_VALUED = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * Folds a flat list of lower-case header lines into `req.headers` exactly as Node's HTTP server
 * does: `set-cookie` becomes an array, `cookie` lines are joined with `; `, the single-valued
 * fields keep their first line, and every other repeated field is joined with `, `.
 */
export function foldHeaders(raw: readonly string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    // Only own values count: `constructor` must not pick up Object.prototype.constructor.
    const prev = getOwn(out, name);
    if (prev === undefined) {
      // As in Node, assigning `__proto__` a string changes nothing: that line is dropped.
      out[name] = name === 'set-cookie' ? [value] : value;
    } else if (name === 'set-cookie') {
      (prev as string[]).push(value);
    } else if (name === 'cookie') {
      out[name] = `${prev}; ${value}`;
    } else if (!SINGLE_VALUED.has(name)) {
      out[name] = `${prev}, ${value}`;
    }
  }
  return out;
}

/** Connection-level headers that a proxy neither forwards nor honours (RFC 9110 7.6.1). */
export function isHopByHop(name: string): boolean {
  switch (name) {
    case 'connection':
    case 'keep-alive':
    case 'transfer-encoding':
    case 'te':
    case 'trailer':
    case 'upgrade':
      return true;
    default:
      return name.startsWith('proxy-');
  }
}

/** 1 for the characters of an RFC 9110 token (tchar), by char code below 128; 2 for A-Z. */
const TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1; // 0-9
for (let c = 65; c <= 90; c++) TCHAR[c] = 2; // A-Z
for (let c = 97; c <= 122; c++) TCHAR[c] = 1; // a-z

// Header names are checked with a char-code loop (faster than a regular expression on strings
// this short); values keep regular expressions, which V8 runs faster on strings of 100 and more.

/** A header name must be an RFC 9110 token. */
export function isHeaderName(name: string): boolean {
  const length = name.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    if (c > 127 || TCHAR[c] === 0) return false;
  }
  return true;
}

/**
 * The lower-case form of a header name that is an RFC 9110 token as given, or `undefined` when
 * it is not one. A name already in lower case (as load balancers send them) is not copied.
 */
export function lowerHeaderName(name: string): string | undefined {
  const length = name.length;
  if (length === 0) return undefined;
  let upper = false;
  for (let i = 0; i < length; i++) {
    const c = name.charCodeAt(i);
    const kind = c > 127 ? 0 : TCHAR[c];
    if (kind === 0) return undefined;
    if (kind === 2) upper = true;
  }
  return upper ? name.toLowerCase() : name;
}

// Printable ASCII and tab: the usual header value, which needs neither conversion nor more checks.
const PLAIN_VALUE = /^[\t\x20-\x7e]*$/;
export function isPlainValue(value: string): boolean {
  return PLAIN_VALUE.test(value);
}

// What Node accepts in a header value: tab, visible ASCII, space and obs-text (RFC 9110 5.5).
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** Whether a header value holds a character that cannot be sent (CR, LF, NUL, other controls, or beyond Latin-1). */
export function hasInvalidValueChar(value: string): boolean {
  return INVALID_VALUE.test(value);
}

const NON_ASCII = /[^\x00-\x7f]/;
/**
 * Header text as Node's parser would hand it to an app: the UTF-8 bytes of the value read as
 * Latin-1. An ALB event holds header values decoded as UTF-8 (it rejects other bytes), so any
 * non-ASCII character, `é` included, stands for its UTF-8 bytes on the wire. ASCII is unchanged.
 */
export function asWireText(value: string): string {
  return NON_ASCII.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}
