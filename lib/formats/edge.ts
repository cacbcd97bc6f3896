import { STATUS_CODES } from 'node:http';
import type { CloudFrontHeaders, CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda';
import { type HttpRequest, type HttpResponse, lastHeader } from '../http.js';
import { pushOwn } from '../own.js';
import { safeRawQuery } from '../query.js';
import type { ResultSettings } from './alb.js';
import {
  checkTarget,
  completeRequest,
  encodeBody,
  groupHeaders,
  isObject,
  readBody,
  readMultiHeaders,
  show,
  stripBasePath,
} from './fields.js';

// Lambda@Edge viewer-request and origin-request events (docs/front-doors.md).

export type EdgeEventType = 'viewer-request' | 'origin-request';

/**
 * The largest response a Lambda@Edge function may generate, headers and body included:
 * 40 KB for viewer requests, 1 MB for origin requests (CloudFront quotas).
 */
export const EDGE_RESULT_LIMITS: Readonly<Record<EdgeEventType, number>> = {
  'viewer-request': 40 * 1024,
  'origin-request': 1024 * 1024,
};

/** Where CloudFront truncates the request body it exposes with "include body". */
export const EDGE_BODY_LIMITS: Readonly<Record<EdgeEventType, number>> = EDGE_RESULT_LIMITS;

/** Set on the request the app sees when CloudFront truncated its body; any sent by a client is removed. */
export const TRUNCATED_HEADER = 'x-lambda-bridge-body-truncated';

/** The event record's `cf` object, when the event is a CloudFront one. */
export function edgeRecord(event: unknown): Record<string, unknown> | undefined {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) return undefined;
  const cf = (records[0] as { cf?: unknown } | null | undefined)?.cf;
  return isObject(cf) ? cf : undefined;
}

/** The event type from `config.eventType`, when it is present and a string. */
export function edgeEventType(cf: Record<string, unknown>): string | undefined {
  const type = (cf.config as { eventType?: unknown } | undefined)?.eventType;
  return typeof type === 'string' ? type : undefined;
}

/**
 * Headers CloudFront neither exposes to nor accepts from a Lambda@Edge function: a generated
 * response holding one fails validation with 502 (edge-functions-restrictions, "Disallowed
 * headers").
 */
export function isDisallowedHeader(name: string): boolean {
  switch (name) {
    case 'connection':
    case 'expect':
    case 'keep-alive':
    case 'proxy-authenticate':
    case 'proxy-authorization':
    case 'proxy-connection':
    case 'trailer':
    case 'upgrade':
    case 'x-accel-buffering':
    case 'x-accel-charset':
    case 'x-accel-limit-rate':
    case 'x-accel-redirect':
    case 'x-cache':
    case 'x-forwarded-proto':
    case 'x-real-ip':
      return true;
    default:
      return name.startsWith('x-amz-cf-') || name.startsWith('x-amzn-') || name.startsWith('x-edge-');
  }
}

/** Headers a request-event function can read but not set (edge-functions-restrictions, "Read-only headers"). */
export function isReadOnlyHeader(name: string, type: EdgeEventType): boolean {
  switch (name) {
    case 'content-length':
    case 'transfer-encoding':
    case 'via':
      return true;
    case 'host':
      return type === 'viewer-request';
    case 'accept-encoding':
    case 'if-modified-since':
    case 'if-none-match':
    case 'if-range':
    case 'if-unmodified-since':
      return type === 'origin-request';
    default:
      return false;
  }
}

/** `{ lowercase: [{ key, value }] }` as `{ lowercase: [value] }`, for the shared header reader. */
function valuesOf(headers: unknown): Record<string, unknown> | string {
  if (headers === undefined || headers === null) return {};
  if (!isObject(headers)) return `headers must be an object of { key, value } arrays; it is ${show(headers)}`;
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(headers)) {
    const entries = headers[name];
    if (!Array.isArray(entries)) return `headers[${JSON.stringify(name)}] must be an array of { key, value }`;
    for (const entry of entries) {
      const value = (entry as { value?: unknown } | null)?.value;
      if (typeof value !== 'string')
        return `headers[${JSON.stringify(name)}] holds an entry without a string value`;
      pushOwn(out, name, value);
    }
  }
  return out;
}

/**
 * Reads a viewer-request or origin-request event. The `querystring` is raw (as the viewer sent
 * it, without `?`); the peer is `clientIp`; the protocol is `cloudfront-forwarded-proto` when the
 * distribution forwards it, `http` otherwise. A body CloudFront truncated is passed as it is,
 * with `x-lambda-bridge-body-truncated: true` on the request.
 */
export function requestFromEdgeEvent(event: CloudFrontRequestEvent, basePath?: string): HttpRequest | string {
  const cf = edgeRecord(event) as Record<string, unknown>;
  const type = edgeEventType(cf);
  if (type !== 'viewer-request' && type !== 'origin-request') {
    return `config.eventType must be "viewer-request" or "origin-request"; the event has ${show(type)}`;
  }
  const request = cf.request;
  if (!isObject(request)) return `request must be an object; the event has ${show(request)}`;
  const problem = checkTarget(request.method, request.uri, 'uri', 'method');
  if (problem) return problem;
  const querystring = request.querystring ?? '';
  if (typeof querystring !== 'string')
    return `querystring must be a string; the event has ${show(querystring)}`;
  const values = valuesOf(request.headers);
  if (typeof values === 'string') return values;
  const lines: string[] = [];
  const headerProblem = readMultiHeaders(values, 'headers', lines);
  if (headerProblem) return headerProblem;
  const headers: string[] = [];
  for (let i = 0; i < lines.length; i += 2)
    if (lines[i] !== TRUNCATED_HEADER) headers.push(lines[i], lines[i + 1]);

  let body: Buffer = Buffer.alloc(0);
  if (request.body !== undefined && request.body !== null) {
    if (!isObject(request.body)) return `body must be an object; the event has ${show(request.body)}`;
    const { data, encoding, inputTruncated } = request.body;
    if (encoding !== 'base64' && encoding !== 'text' && encoding !== undefined)
      return `body.encoding must be "base64" or "text"; the event has ${show(encoding)}`;
    const bytes = readBody(data, encoding === 'base64');
    if (typeof bytes === 'string') return bytes.replace('isBase64Encoded', 'body.encoding "base64"');
    body = bytes;
    if (inputTruncated === true) headers.push(TRUNCATED_HEADER, 'true');
  }
  const clientIp = request.clientIp;
  const completed = completeRequest(
    request.method as string,
    stripBasePath(request.uri as string, basePath),
    // Everything after the first `?` of the target, so a leading `?` here belongs to the query.
    safeRawQuery(querystring),
    headers,
    body,
    { address: typeof clientIp === 'string' && clientIp !== '' ? clientIp : undefined, port: undefined },
  );
  // CloudFront does not expose x-forwarded-proto to Lambda@Edge; cloudfront-forwarded-proto is its own.
  const proto = lastHeader(completed.headers, 'cloudfront-forwarded-proto');
  completed.protocol = proto?.trim().toLowerCase() === 'https' ? 'https' : 'http';
  completed.port = undefined;
  return completed;
}

/** `content-type` → `Content-Type`: CloudFront wants each header's key in its usual casing. */
export function headerKey(name: string): string {
  const key = name.replace(
    /(^|-)([a-z])/g,
    (_m, dash: string, letter: string) => dash + letter.toUpperCase(),
  );
  return key.startsWith('Cloudfront-') ? `CloudFront-${key.slice(11)}` : key;
}

/**
 * The generated response for a request event: `status` as a string, headers as
 * `{ lowercase: [{ key, value }] }` (every `Set-Cookie` kept, one entry each), `bodyEncoding`
 * `text` or `base64`. Headers CloudFront refuses in a generated response are left out, and
 * reported through `onHeadersDropped`; `content-length` is left out silently (CloudFront sets it).
 */
export function edgeResultFromResponse(
  response: HttpResponse,
  type: EdgeEventType,
  settings: ResultSettings,
): CloudFrontResultResponse {
  const grouped = groupHeaders(response);
  const headers: CloudFrontHeaders = {};
  const dropped: string[] = [];
  for (const name of Object.keys(grouped.map)) {
    if (name === 'content-length') continue;
    if (isDisallowedHeader(name) || isReadOnlyHeader(name, type)) {
      dropped.push(name);
      continue;
    }
    const key = headerKey(name);
    const entries = grouped.map[name].map((value) => ({ key, value }));
    if (name === '__proto__') Object.defineProperty(headers, name, { value: entries, enumerable: true });
    else headers[name] = entries;
  }
  if (dropped.length > 0)
    settings.onHeadersDropped?.(
      dropped,
      `CloudFront refuses them in a response generated by a ${type} function (it would answer 502)`,
    );
  const { body, isBase64Encoded } = encodeBody(response, grouped, settings.isBinary);
  const result: CloudFrontResultResponse = {
    status: String(response.status),
    statusDescription: response.reason || STATUS_CODES[response.status] || 'Unknown',
    headers,
  };
  if (body !== '') {
    result.body = body;
    result.bodyEncoding = isBase64Encoded ? 'base64' : 'text';
  }
  return result;
}
