import { isUtf8 } from 'node:buffer';
import { STATUS_CODES } from 'node:http';
import type { ALBEvent } from 'aws-lambda';
import { mediaType } from '../binary.js';
import { randomUUID } from '../builtin.js';
import { hasInvalidValueChar, isHeaderName } from '../headers.js';
import { contentHeaders, type HttpRequest, type HttpResponse, headerBlockSize } from '../http.js';
import { pushOwn, setOwn } from '../own.js';
import { splitRawQuery } from '../query.js';
import { resultSize } from '../size.js';
import { ALB_RESPONSE_HEADER_LIMIT, ALB_RESULT_LIMIT } from './alb.js';
import { decodeBase64Strict } from './base64.js';

/** How the emulated target group is set up. */
export interface AlbTargetSettings {
  /** `lambda.multi_value_headers.enabled` */
  multiValue: boolean;
  targetGroupArn: string;
}

// The request types an ALB passes as they are; every other body arrives base64 (contract 1.5).
function isPlainRequestType(contentType: string): boolean {
  if (contentType === '') return false;
  const type = mediaType(contentType);
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/javascript' ||
    type === 'application/xml'
  );
}

/**
 * Whether an ALB would have to pass the body as text (a text type, no content-encoding) but
 * cannot, because it is not valid UTF-8.
 */
export function isUnreadableText(request: HttpRequest): boolean {
  if (request.body.length === 0) return false;
  const { type, coding } = contentHeaders(request.headers);
  return coding === '' && isPlainRequestType(type) && !isUtf8(request.body);
}

/** A fresh trace header value, `Root=1-<8 hex: epoch seconds>-<24 hex>`. */
export function newTraceId(now: number = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  // randomUUID draws from a cached entropy pool; its first 24 hex digits make the id part.
  const random = randomUUID();
  return `Root=1-${seconds}-${random.slice(0, 8)}${random.slice(9, 13)}${random.slice(14, 18)}${random.slice(19, 23)}${random.slice(24, 28)}`;
}

/**
 * The headers as the function sees them behind an ALB: the ALB appends the client address to
 * `x-forwarded-for` and sets `x-forwarded-proto`, `x-forwarded-port` and `x-amzn-trace-id`
 * (contract 1.4). Client-sent values of the last three are replaced.
 */
export function withAlbHeaders(request: HttpRequest, traceId: string): string[] {
  const out: string[] = [];
  let forwarded: string | undefined;
  const src = request.headers;
  for (let i = 0; i < src.length; i += 2) {
    const name = src[i];
    if (name === 'x-forwarded-for') {
      forwarded = forwarded === undefined ? src[i + 1] : `${forwarded}, ${src[i + 1]}`;
    } else if (name !== 'x-forwarded-proto' && name !== 'x-forwarded-port' && name !== 'x-amzn-trace-id') {
      out.push(name, src[i + 1]);
    }
  }
  const client = request.remoteAddress ?? '';
  out.push('x-amzn-trace-id', traceId);
  out.push(
    'x-forwarded-for',
    forwarded === undefined || forwarded.trim() === '' ? client : `${forwarded}, ${client}`,
  );
  out.push('x-forwarded-port', String(request.port ?? (request.protocol === 'https' ? 443 : 80)));
  out.push('x-forwarded-proto', request.protocol);
  return out;
}

/**
 * Builds the event an ALB sends for a request whose headers already carry what the ALB adds
 * (`withAlbHeaders`). Exactly one field of each pair is set; query keys and values stay
 * URL-encoded as sent; in single-value mode the last of repeated headers and keys wins.
 */
export function albEventFromRequest(request: HttpRequest, target: AlbTargetSettings): ALBEvent {
  const src = request.headers;
  const query = splitRawQuery(request.rawQuery);
  const { type, coding } = contentHeaders(src);
  const { body } = request;
  // A body that is not UTF-8 cannot be text; the emulator refuses it first, the codec stays lossless.
  const base64 = body.length > 0 && (coding !== '' || !isPlainRequestType(type) || !isUtf8(body));
  const event: ALBEvent = {
    requestContext: { elb: { targetGroupArn: target.targetGroupArn } },
    httpMethod: request.method,
    path: request.path,
    body: body.length === 0 ? '' : body.toString(base64 ? 'base64' : 'utf8'),
    isBase64Encoded: base64,
  };
  if (target.multiValue) {
    const headers: Record<string, string[]> = {};
    for (let i = 0; i < src.length; i += 2) pushOwn(headers, src[i], src[i + 1]);
    const params: Record<string, string[]> = {};
    for (const [key, value] of query) pushOwn(params, key, value);
    event.multiValueHeaders = headers;
    event.multiValueQueryStringParameters = params;
  } else {
    const headers: Record<string, string> = {};
    for (let i = 0; i < src.length; i += 2) setOwn(headers, src[i], src[i + 1]);
    const params: Record<string, string> = {};
    for (const [key, value] of query) setOwn(params, key, value);
    event.headers = headers;
    event.queryStringParameters = params;
  }
  return event;
}

/** What the emulated ALB does with a result that breaks its rules. */
export interface AlbValidation {
  /** Reject (502) what a real ALB rejects; otherwise serve what can be read, with warnings. */
  strict: boolean;
  multiValue: boolean;
}

export type ResultReading =
  | { ok: true; response: HttpResponse; warnings: string[] }
  | { ok: false; reason: string; warnings: string[] };

const KNOWN_KEYS = new Set([
  'statusCode',
  'statusDescription',
  'headers',
  'multiValueHeaders',
  'body',
  'isBase64Encoded',
]);
const DESCRIPTION = /^(\d{3}) (.*)$/s;
/** The ALB's quota for the whole response header block (contract 3). */

/** At most this many unknown result keys are named in the one warning about them. */
const LISTED_KEYS = 5;

/** A final status cannot be 1xx: those are interim responses (RFC 9110 15.2). */
export const INTERIM = ' (a 1xx status is interim and cannot end a response)';

/** How a bad value is named in a result-validation message. */
export function kind(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Reads a handler's result (after the runtime's JSON round trip) as the ALB does, contract
 * 2.1–2.5: `statusCode` a number, no `null` fields, string header values, a string body, valid
 * base64, the header field of the target group's mode, at most 1 MB of JSON.
 */
export function responseFromAlbResult(
  result: unknown,
  rules: AlbValidation,
  serializedSize?: number,
): ResultReading {
  const warnings: string[] = [];
  const fail = (reason: string): ResultReading => ({ ok: false, reason, warnings });
  // Serve-anyway mode turns what it can into a warning; the rest fails in both modes.
  const breach = (reason: string): boolean => {
    if (rules.strict) return true;
    warnings.push(`${reason} (served anyway: strict is off)`);
    return false;
  };

  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    return fail(
      `the result must be an object with a numeric statusCode; the handler returned ${kind(result)}`,
    );
  }
  const r = result as Record<string, unknown>;

  let status: number;
  if (
    typeof r.statusCode === 'number' &&
    Number.isInteger(r.statusCode) &&
    r.statusCode >= 200 &&
    r.statusCode <= 599
  ) {
    status = r.statusCode;
  } else if (typeof r.statusCode === 'string' && /^[2-5]\d\d$/.test(r.statusCode) && !rules.strict) {
    warnings.push(
      `statusCode must be a number; it is the string ${JSON.stringify(r.statusCode)} (served anyway: strict is off)`,
    );
    status = Number(r.statusCode);
  } else {
    return fail(
      `statusCode must be a number from 200 to 599${INTERIM}; it is ${r.statusCode === undefined ? 'missing' : kind(r.statusCode)}`,
    );
  }

  const unknown: string[] = [];
  let unknownCount = 0;
  for (const key of Object.keys(r)) {
    if (!KNOWN_KEYS.has(key)) {
      if (unknownCount++ < LISTED_KEYS) unknown.push(JSON.stringify(key));
    } else if (r[key] === null && breach(`${key} is null; omit a field instead of sending null`)) {
      return fail(`${key} is null; omit a field instead of sending null`);
    }
  }

  if (unknownCount === 1) {
    warnings.push(`the result has a key ${unknown[0]} that an ALB result does not use; it was ignored`);
  } else if (unknownCount > 1) {
    const more = unknownCount > LISTED_KEYS ? ', …' : '';
    warnings.push(
      `the result has ${unknownCount} keys that an ALB result does not use (${unknown.join(', ')}${more}); they were ignored`,
    );
  }

  let reason: string | undefined;
  const description = r.statusDescription;
  if (description !== undefined && description !== null) {
    const match = typeof description === 'string' ? DESCRIPTION.exec(description) : null;
    if (typeof description !== 'string') {
      if (breach(`statusDescription must be a string; it is ${kind(description)}`)) {
        return fail(`statusDescription must be a string; it is ${kind(description)}`);
      }
    } else if (match === null || Number(match[1]) !== status || hasInvalidValueChar(match[2])) {
      warnings.push(
        `statusDescription ${JSON.stringify(description)} is not "${status} <reason>"; the standard reason phrase was used`,
      );
    } else {
      reason = match[2];
    }
  }

  const headers: string[] = [];
  const field = rules.multiValue ? 'multiValueHeaders' : 'headers';
  const other = rules.multiValue ? 'headers' : 'multiValueHeaders';
  let source = r[field];
  if ((source === undefined || source === null) && r[other] !== undefined && r[other] !== null) {
    const why = `the result has "${other}" but the target group is in ${rules.multiValue ? 'multi' : 'single'}-value mode, so the ALB reads "${field}" and the headers are lost; return "${field}" (or ${rules.multiValue ? 'disable' : 'enable'} lambda.multi_value_headers.enabled)`;
    if (rules.strict) warnings.push(why);
    else {
      warnings.push(`${why} (used anyway: strict is off)`);
      source = r[other];
    }
  }
  if (source !== undefined && source !== null) {
    if (typeof source !== 'object' || Array.isArray(source)) {
      return fail(`${field} must be an object; it is ${kind(source)}`);
    }
    const map = source as Record<string, unknown>;
    for (const name of Object.keys(map)) {
      const values = Array.isArray(map[name]) ? (map[name] as unknown[]) : [map[name]];
      if (Array.isArray(map[name]) !== (source === r.multiValueHeaders)) {
        const want = source === r.multiValueHeaders ? 'an array of strings' : 'a string';
        if (breach(`${field}[${JSON.stringify(name)}] must be ${want}; it is ${kind(map[name])}`)) {
          return fail(`${field}[${JSON.stringify(name)}] must be ${want}; it is ${kind(map[name])}`);
        }
      }
      for (const value of values) {
        let text: string;
        if (typeof value === 'string') text = value;
        else if (breach(`header ${JSON.stringify(name)} has ${kind(value)}; header values must be strings`)) {
          return fail(`header ${JSON.stringify(name)} has ${kind(value)}; header values must be strings`);
        } else text = String(value);
        if (!isHeaderName(name)) return fail(`header name ${JSON.stringify(name)} is not a valid HTTP token`);
        if (hasInvalidValueChar(text)) {
          return fail(
            `header ${JSON.stringify(name)} holds a character not allowed in HTTP (CR, LF, NUL or another control)`,
          );
        }
        headers.push(name.toLowerCase(), text);
      }
    }
  }

  let body: Buffer;
  const rawBody = r.body;
  if (rawBody === undefined || rawBody === null) {
    body = Buffer.alloc(0);
  } else if (typeof rawBody !== 'string') {
    if (breach(`body must be a string; it is ${kind(rawBody)}`))
      return fail(`body must be a string; it is ${kind(rawBody)}`);
    body = Buffer.from(JSON.stringify(rawBody), 'utf8');
  } else if (r.isBase64Encoded === true) {
    const decoded = decodeBase64Strict(rawBody);
    if (decoded === undefined) return fail('isBase64Encoded is true but body is not valid base64');
    body = decoded;
  } else {
    if (r.isBase64Encoded !== undefined && r.isBase64Encoded !== false && r.isBase64Encoded !== null) {
      if (breach(`isBase64Encoded must be a boolean; it is ${kind(r.isBase64Encoded)}`)) {
        return fail(`isBase64Encoded must be a boolean; it is ${kind(r.isBase64Encoded)}`);
      }
    }
    body = Buffer.from(rawBody, 'utf8');
  }

  const size = serializedSize ?? resultSize(r, ALB_RESULT_LIMIT);
  if (
    size > ALB_RESULT_LIMIT &&
    breach(`the result is ${size} bytes of JSON, over the ALB's ${ALB_RESULT_LIMIT}-byte limit`)
  ) {
    return fail(`the result is ${size} bytes of JSON, over the ALB's ${ALB_RESULT_LIMIT}-byte limit`);
  }
  const headerBytes = headerBlockSize(headers);
  if (headerBytes > ALB_RESPONSE_HEADER_LIMIT) {
    return fail(
      `the response headers are ${headerBytes} bytes, over the ALB's ${ALB_RESPONSE_HEADER_LIMIT}-byte limit`,
    );
  }
  return { ok: true, response: { status, reason: reason ?? STATUS_CODES[status], headers, body }, warnings };
}
