import { STATUS_CODES } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { defaultIsBinary, needsBase64 } from '../binary.js';
import { randomBytes } from '../builtin.js';
import { hasInvalidValueChar, isHeaderName } from '../headers.js';
import { contentHeaders, firstHeader, type HttpRequest, type HttpResponse } from '../http.js';
import { getOwn, pushOwn, setOwn } from '../own.js';
import { splitRawQuery } from '../query.js';
import { INTERIM, kind, type ResultReading } from './alb-reverse.js';
import { LAMBDA_RESULT_LIMIT } from './apigw-v1.js';
import { decodeBase64Strict } from './base64.js';

/** Where the emulated API sits: the names that appear in its events. */
export interface ApiTarget {
  region: string;
  accountId: string;
  /** The API id, or the function URL id. */
  apiId: string;
  /** `*.execute-api.<region>.amazonaws.com`, or `<url-id>.lambda-url.<region>.on.aws`. */
  domainName: string;
  stage: string;
}

/** An HTTP date as API Gateway writes `requestTime`: `10/Mar/2020:05:16:23 +0000`. */
export function requestTime(now: number): string {
  const d = new Date(now);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** A query value as API Gateway delivers it: percent-decoded; a malformed escape stays as sent. */
export function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// As with binary media types configured: a request body of no stated type arrives base64.
const isBinaryRequest = (type: string, coding: string) => type === '' || defaultIsBinary(type, coding);

export function bodyOf(request: HttpRequest): { body: string | undefined; isBase64Encoded: boolean } {
  if (request.body.length === 0) return { body: undefined, isBase64Encoded: false };
  const { type, coding } = contentHeaders(request.headers);
  const base64 = needsBase64(request.body, type, coding, isBinaryRequest);
  return { body: request.body.toString(base64 ? 'base64' : 'utf8'), isBase64Encoded: base64 };
}

/**
 * The payload 1.0 event API Gateway REST builds (contract 4.1): `headers` and
 * `multiValueHeaders` both present, query values decoded (`null` without a query), `body`
 * `null` when empty, and the request context of a `{proxy+}` resource on `stage`.
 */
export function v1EventFromRequest(
  request: HttpRequest,
  target: ApiTarget,
  requestId: string,
  now: number,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiHeaders: Record<string, string[]> = {};
  const src = request.headers;
  for (let i = 0; i < src.length; i += 2) {
    setOwn(headers, src[i], src[i + 1]);
    pushOwn(multiHeaders, src[i], src[i + 1]);
  }
  const pairs = splitRawQuery(request.rawQuery);
  let query: Record<string, string> | null = null;
  let multiQuery: Record<string, string[]> | null = null;
  if (pairs.length > 0) {
    query = {};
    multiQuery = {};
    for (const [rawKey, rawValue] of pairs) {
      const key = decode(rawKey);
      const value = decode(rawValue);
      setOwn(query, key, value);
      pushOwn(multiQuery, key, value);
    }
  }
  const { body, isBase64Encoded } = bodyOf(request);
  const proxy = request.path.slice(1);
  const userAgent = firstHeader(src, 'user-agent') ?? '';
  return {
    resource: '/{proxy+}',
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: multiHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: proxy === '' ? null : { proxy },
    stageVariables: null,
    requestContext: {
      accountId: target.accountId,
      apiId: target.apiId,
      authorizer: undefined,
      domainName: target.domainName,
      domainPrefix: target.apiId,
      extendedRequestId: randomBytes(8).toString('base64').replace(/=+$/, '='),
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.remoteAddress ?? '',
        user: null,
        userAgent,
        userArn: null,
      },
      path: `/${target.stage}${request.path}`,
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: requestTime(now),
      requestTimeEpoch: now,
      resourceId: 'proxy',
      resourcePath: '/{proxy+}',
      stage: target.stage,
    },
    body: body ?? null,
    isBase64Encoded,
  };
}

/**
 * The payload 2.0 event an HTTP API or a function URL builds (contracts 4.2, 4.3): `rawPath`,
 * `rawQueryString` without `?`, `cookies`, repeated headers and query values comma-joined.
 */
export function v2EventFromRequest(
  request: HttpRequest,
  target: ApiTarget,
  requestId: string,
  now: number,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const src = request.headers;
  for (let i = 0; i < src.length; i += 2) {
    const name = src[i];
    if (name === 'cookie') {
      for (const part of src[i + 1].split(';')) if (part.trim() !== '') cookies.push(part.trim());
      continue;
    }
    const prev = getOwn(headers, name);
    setOwn(headers, name, prev === undefined ? src[i + 1] : `${prev},${src[i + 1]}`);
  }
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.rawQuery,
    headers,
    requestContext: {
      accountId: target.accountId,
      apiId: target.apiId,
      domainName: target.domainName,
      domainPrefix: target.apiId,
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: request.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: target.stage,
      time: requestTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  if (cookies.length > 0) event.cookies = cookies;
  const pairs = splitRawQuery(request.rawQuery);
  if (pairs.length > 0) {
    const query: Record<string, string> = {};
    for (const [rawKey, rawValue] of pairs) {
      const key = decode(rawKey);
      const value = decode(rawValue);
      const prev = getOwn(query, key);
      setOwn(query, key, prev === undefined ? value : `${prev},${value}`);
    }
    event.queryStringParameters = query;
  }
  const { body, isBase64Encoded } = bodyOf(request);
  if (body !== undefined) event.body = body;
  event.isBase64Encoded = isBase64Encoded;
  return event;
}

/** Header values API Gateway accepts: strings, numbers and booleans, sent as text. */
function headerText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

export function pushChecked(out: string[], name: string, value: string): string | undefined {
  if (!isHeaderName(name)) return `header name ${JSON.stringify(name)} is not a valid HTTP token`;
  if (hasInvalidValueChar(value))
    return `header ${JSON.stringify(name)} holds a character not allowed in HTTP`;
  out.push(name.toLowerCase(), value);
  return undefined;
}

export function bodyBytes(body: unknown, base64: unknown): Buffer | string {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') return `body must be a string; it is ${kind(body)}`;
  if (base64 === true)
    return decodeBase64Strict(body) ?? 'isBase64Encoded is true but body is not valid base64';
  return Buffer.from(body, 'utf8');
}

const V1_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

/**
 * Reads a payload 1.0 result as API Gateway REST does (contract 4.1): only the five known
 * keys, a numeric `statusCode`, a string body; `headers` and `multiValueHeaders` are merged,
 * and for a name in both only the `multiValueHeaders` values are kept. Without a content type,
 * API Gateway answers `application/json`.
 */
export function responseFromV1Result(result: unknown, json: string): ResultReading {
  const warnings: string[] = [];
  const fail = (reason: string): ResultReading => ({ ok: false, reason, warnings });
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    return fail(
      `the result must be an object with a numeric statusCode; the handler returned ${kind(result)}`,
    );
  }
  const r = result as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!V1_KEYS.has(key))
      return fail(
        `the result has a key ${JSON.stringify(key)}; API Gateway accepts only ${[...V1_KEYS].join(', ')}`,
      );
  }
  const status = r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return fail(
      `statusCode must be a number from 200 to 599${INTERIM}; it is ${status === undefined ? 'missing' : kind(status)}`,
    );
  }
  const headers: string[] = [];
  const multi = r.multiValueHeaders;
  const single = r.headers;
  if (multi !== undefined && multi !== null && (typeof multi !== 'object' || Array.isArray(multi))) {
    return fail(`multiValueHeaders must be an object; it is ${kind(multi)}`);
  }
  if (single !== undefined && single !== null && (typeof single !== 'object' || Array.isArray(single))) {
    return fail(`headers must be an object; it is ${kind(single)}`);
  }
  const multiMap = (multi ?? {}) as Record<string, unknown>;
  const multiNames = new Set(Object.keys(multiMap).map((n) => n.toLowerCase()));
  for (const [name, value] of Object.entries((single ?? {}) as Record<string, unknown>)) {
    if (multiNames.has(name.toLowerCase())) continue;
    const text = headerText(value);
    if (text === undefined)
      return fail(`headers[${JSON.stringify(name)}] must be a string; it is ${kind(value)}`);
    const problem = pushChecked(headers, name, text);
    if (problem) return fail(problem);
  }
  for (const [name, values] of Object.entries(multiMap)) {
    if (!Array.isArray(values)) return fail(`multiValueHeaders[${JSON.stringify(name)}] must be an array`);
    for (const value of values) {
      const text = headerText(value);
      if (text === undefined) return fail(`multiValueHeaders[${JSON.stringify(name)}] holds ${kind(value)}`);
      const problem = pushChecked(headers, name, text);
      if (problem) return fail(problem);
    }
  }
  const body = bodyBytes(r.body, r.isBase64Encoded);
  if (typeof body === 'string') return fail(body);
  if (Buffer.byteLength(json) > LAMBDA_RESULT_LIMIT)
    return fail(`the result is over the ${LAMBDA_RESULT_LIMIT}-byte Lambda response limit`);
  if (!headers.includes('content-type')) headers.push('content-type', 'application/json');
  return { ok: true, response: { status, reason: STATUS_CODES[status], headers, body }, warnings };
}

/**
 * Reads a payload 2.0 result as an HTTP API or function URL does (contract 4.2): an object with
 * `statusCode` is a structured result, whose `cookies` become `Set-Cookie` lines; any other JSON
 * value is a 200 `application/json` body (a string result is the body itself).
 */
export function responseFromV2Result(result: unknown, json: string): ResultReading {
  const warnings: string[] = [];
  const fail = (reason: string): ResultReading => ({ ok: false, reason, warnings });
  if (Buffer.byteLength(json) > LAMBDA_RESULT_LIMIT)
    return fail(`the result is over the ${LAMBDA_RESULT_LIMIT}-byte Lambda response limit`);
  const r = result as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r) || r.statusCode === undefined) {
    const body = Buffer.from(typeof result === 'string' ? result : json, 'utf8');
    return {
      ok: true,
      response: { status: 200, reason: 'OK', headers: ['content-type', 'application/json'], body },
      warnings,
    };
  }
  const status = r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return fail(`statusCode must be a number from 200 to 599${INTERIM}; it is ${kind(status)}`);
  }
  const headers: string[] = [];
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers))
      return fail(`headers must be an object; it is ${kind(r.headers)}`);
    for (const [name, value] of Object.entries(r.headers as Record<string, unknown>)) {
      const text = headerText(value);
      if (text === undefined)
        return fail(`headers[${JSON.stringify(name)}] must be a string; it is ${kind(value)}`);
      const problem = pushChecked(headers, name, text);
      if (problem) return fail(problem);
    }
  }
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies))
      return fail(`cookies must be an array of strings; it is ${kind(r.cookies)}`);
    for (const cookie of r.cookies) {
      if (typeof cookie !== 'string') return fail(`cookies must hold strings; one is ${kind(cookie)}`);
      const problem = pushChecked(headers, 'set-cookie', cookie);
      if (problem) return fail(problem);
    }
  }
  const body = bodyBytes(r.body, r.isBase64Encoded);
  if (typeof body === 'string') return fail(body);
  return { ok: true, response: { status, reason: STATUS_CODES[status], headers, body }, warnings };
}

/** The JSON error an API answers with when the integration fails. */
export function apiErrorResponse(status: number, message: string): HttpResponse {
  const body = Buffer.from(JSON.stringify({ message }), 'utf8');
  return { status, reason: STATUS_CODES[status], headers: ['content-type', 'application/json'], body };
}
