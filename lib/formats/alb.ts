import { STATUS_CODES } from 'node:http';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { type BinaryPredicate, needsBase64 } from '../binary.js';
import { asWireText, hasInvalidValueChar, isHeaderName } from '../headers.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import { rawQueryFromParams, safePath } from '../query.js';
import { decodeBase64Strict } from './base64.js';
import { peerFromForwardedFor } from './forwarded.js';

/** The target-group attribute that switches an ALB between single- and multi-value headers. */
export const MULTI_VALUE_ATTRIBUTE = 'lambda.multi_value_headers.enabled';

/** The largest result JSON an ALB accepts from a Lambda target (bytes). */
export const ALB_RESULT_LIMIT = 1024 * 1024;

/** Which Set-Cookie a single-value result keeps when the app sets several. */
export type SingleSetCookie = 'last' | 'first' | 'fail';

export function isAlbEvent(event: unknown): event is ALBEvent {
  const rc = (event as { requestContext?: unknown } | null)?.requestContext;
  return typeof rc === 'object' && rc !== null && Object.hasOwn(rc, 'elb');
}

/**
 * Multi-value mode is read from the event, as the ALB sends exactly one field of each pair
 * (contract 1.1). When a producer sends both, the multi-value fields win.
 */
export function isMultiValueEvent(event: ALBEvent): boolean {
  return isObject(event.multiValueHeaders) || isObject(event.multiValueQueryStringParameters);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

function pushHeader(out: string[], rawName: string, value: string): string | undefined {
  const name = rawName.toLowerCase();
  if (!isHeaderName(name)) return `header name ${JSON.stringify(rawName)} is not a valid HTTP token`;
  const wire = asWireText(value);
  if (hasInvalidValueChar(wire))
    return `header ${JSON.stringify(name)} holds a control character (CR, LF or NUL)`;
  out.push(name, wire);
  return undefined;
}

/**
 * Reads an ALB event into the neutral request. Returns a string that names the problem when a
 * field is malformed; the caller answers that with a 400 result.
 */
export function requestFromAlbEvent(event: ALBEvent): HttpRequest | string {
  const { httpMethod, path } = event;
  if (typeof httpMethod !== 'string' || !isHeaderName(httpMethod)) {
    return `httpMethod must be an HTTP method such as "GET"; the event has ${show(httpMethod)}`;
  }
  if (typeof path !== 'string' || path.charCodeAt(0) !== 47 /* / */) {
    return `path must be a string that starts with "/"; the event has ${show(path)}`;
  }

  const multi = isMultiValueEvent(event);
  const headers: string[] = [];
  let problem: string | undefined;
  if (multi) {
    const source: unknown = event.multiValueHeaders ?? {};
    if (!isObject(source)) return 'multiValueHeaders must be an object of string arrays';
    for (const name of Object.keys(source)) {
      const values = source[name];
      if (!isStringArray(values))
        return `multiValueHeaders[${JSON.stringify(name)}] must be an array of strings`;
      for (const value of values) {
        problem = pushHeader(headers, name, value);
        if (problem) return problem;
      }
    }
  } else {
    const source: unknown = event.headers ?? {};
    if (!isObject(source)) return 'headers must be an object of strings';
    for (const name of Object.keys(source)) {
      const value = source[name];
      if (typeof value !== 'string')
        return `headers[${JSON.stringify(name)}] must be a string; it is ${show(value)}`;
      problem = pushHeader(headers, name, value);
      if (problem) return problem;
    }
  }

  let rawQuery: string;
  if (multi && event.multiValueQueryStringParameters != null) {
    const params: unknown = event.multiValueQueryStringParameters;
    if (!isObject(params)) return 'multiValueQueryStringParameters must be an object of string arrays';
    for (const key of Object.keys(params)) {
      if (!isStringArray(params[key])) {
        return `multiValueQueryStringParameters[${JSON.stringify(key)}] must be an array of strings`;
      }
    }
    rawQuery = rawQueryFromParams(undefined, params as Record<string, string[]>);
  } else {
    const params: unknown = event.queryStringParameters ?? {};
    if (!isObject(params)) return 'queryStringParameters must be an object of strings';
    for (const key of Object.keys(params)) {
      if (typeof params[key] !== 'string')
        return `queryStringParameters[${JSON.stringify(key)}] must be a string`;
    }
    rawQuery = rawQueryFromParams(params as Record<string, string>, undefined);
  }

  const { body: rawBody, isBase64Encoded } = event;
  let body: Buffer;
  if (rawBody === null || rawBody === undefined || rawBody === '') {
    body = Buffer.alloc(0);
  } else if (typeof rawBody !== 'string') {
    return `body must be a string; the event has ${show(rawBody)}`;
  } else if (isBase64Encoded === true) {
    const decoded = decodeBase64Strict(rawBody);
    if (decoded === undefined) return 'body is marked isBase64Encoded but is not valid base64';
    body = decoded;
  } else if (isBase64Encoded === false || isBase64Encoded === undefined || isBase64Encoded === null) {
    body = Buffer.from(rawBody, 'utf8');
  } else {
    return `isBase64Encoded must be a boolean; the event has ${show(isBase64Encoded)}`;
  }

  const wire = withBodyLength(headers, body.length);
  const peer = peerFromForwardedFor(wire);
  const proto = lastValue(wire, 'x-forwarded-proto');
  const port = Number(lastValue(wire, 'x-forwarded-port'));
  return {
    method: httpMethod,
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

function lastValue(headers: readonly string[], name: string): string | undefined {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

/**
 * The app reads the decoded body, so `content-length` states its byte length (a string, as Node
 * gives it) whatever the client sent, and `transfer-encoding` is dropped: the body is whole.
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
  if (at === -1 && length > 0) out.push('content-length', String(length));
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** How a result is built; computed once per handler. */
export interface AlbResultSettings {
  isBinary: BinaryPredicate;
  singleSetCookie: SingleSetCookie;
  /** Called when a single-value result cannot carry every Set-Cookie of the response. */
  onCookiesDropped(kept: string, dropped: number): void;
}

/** `"<code> <reason>"`, as the ALB wants `statusDescription` (contract 2.1). */
export function statusDescription(status: number, reason: string | undefined): string {
  return `${status} ${reason || STATUS_CODES[status] || 'Unknown'}`;
}

/**
 * Builds the ALB result for a finalized response, in the header mode of the event. Returns a
 * string when the response cannot be expressed (only with `singleSetCookie: 'fail'`).
 */
export function albResultFromResponse(
  response: HttpResponse,
  multiValue: boolean,
  settings: AlbResultSettings,
): ALBResult | string {
  const src = response.headers;
  let contentType = '';
  let contentEncoding = '';
  const result: ALBResult = {
    statusCode: response.status,
    statusDescription: statusDescription(response.status, response.reason),
    isBase64Encoded: false,
  };
  if (multiValue) {
    const headers: Record<string, string[]> = {};
    for (let i = 0; i < src.length; i += 2) {
      const name = src[i];
      const value = src[i + 1];
      if (name === 'content-type' && contentType === '') contentType = value;
      else if (name === 'content-encoding' && contentEncoding === '') contentEncoding = value;
      const list = headers[name];
      if (list === undefined) headers[name] = [value];
      else list.push(value);
    }
    result.multiValueHeaders = headers;
  } else {
    const headers: Record<string, string> = {};
    let cookies: string[] | undefined;
    for (let i = 0; i < src.length; i += 2) {
      const name = src[i];
      const value = src[i + 1];
      if (name === 'set-cookie') {
        if (cookies === undefined) cookies = [value];
        else cookies.push(value);
        continue;
      }
      if (name === 'content-type' && contentType === '') contentType = value;
      else if (name === 'content-encoding' && contentEncoding === '') contentEncoding = value;
      const prev = headers[name];
      headers[name] = prev === undefined ? value : `${prev}, ${value}`;
    }
    if (cookies !== undefined) {
      // A JSON object holds one value per name, and cookies cannot be comma-joined (contract 2.4).
      if (cookies.length > 1 && settings.singleSetCookie === 'fail') {
        return `the app set ${cookies.length} cookies, but a single-value ALB result can carry only one; enable the target group attribute ${MULTI_VALUE_ATTRIBUTE}`;
      }
      const kept = settings.singleSetCookie === 'first' ? cookies[0] : cookies[cookies.length - 1];
      headers['set-cookie'] = kept;
      if (cookies.length > 1) settings.onCookiesDropped(kept, cookies.length - 1);
    }
    result.headers = headers;
  }
  const { body } = response;
  if (body.length > 0) {
    const base64 = needsBase64(body, contentType, contentEncoding, settings.isBinary);
    result.body = body.toString(base64 ? 'base64' : 'utf8');
    result.isBase64Encoded = base64;
  } else {
    result.body = '';
  }
  return result;
}
