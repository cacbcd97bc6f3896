import { STATUS_CODES } from 'node:http';
import type { CloudFrontHeaders, CloudFrontRequestEvent } from 'aws-lambda';
import { randomBytes } from '../builtin.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import { pushOwn } from '../own.js';
import { kind, type ResultReading } from './alb-reverse.js';
import { bodyBytes, pushChecked } from './apigw-reverse.js';
import {
  EDGE_BODY_LIMITS,
  EDGE_RESULT_LIMITS,
  type EdgeEventType,
  headerKey,
  isDisallowedHeader,
  isReadOnlyHeader,
} from './edge.js';

/** Where the emulated distribution sits: the names that appear in its events. */
export interface EdgeTarget {
  distributionId: string;
  distributionDomainName: string;
}

/**
 * The headers as a request trigger sees them: the disallowed ones are not exposed; before an
 * origin request CloudFront appends the viewer to `x-forwarded-for` and adds its `via` and
 * `cloudfront-forwarded-proto`.
 */
export function edgeHeaders(request: HttpRequest, type: EdgeEventType): string[] {
  const out: string[] = [];
  let forwarded: string | undefined;
  const src = request.headers;
  for (let i = 0; i < src.length; i += 2) {
    const name = src[i];
    if (isDisallowedHeader(name)) continue;
    if (type === 'origin-request' && name === 'x-forwarded-for') {
      forwarded = forwarded === undefined ? src[i + 1] : `${forwarded}, ${src[i + 1]}`;
      continue;
    }
    out.push(name, src[i + 1]);
  }
  if (type === 'origin-request') {
    const client = request.remoteAddress ?? '';
    out.push('x-forwarded-for', forwarded === undefined ? client : `${forwarded}, ${client}`);
    out.push('via', `2.0 ${randomBytes(16).toString('hex')}.cloudfront.net (CloudFront)`);
    // CloudFront adds its CloudFront-* headers after the viewer request event.
    out.push('cloudfront-forwarded-proto', request.protocol);
  }
  return out;
}

/**
 * The event of a viewer-request or origin-request trigger with "include body" on: the body
 * base64-encoded, truncated at 40 KB (viewer) or 1 MB (origin) with `inputTruncated: true`.
 */
export function edgeEventFromRequest(
  request: HttpRequest,
  type: EdgeEventType,
  target: EdgeTarget,
): CloudFrontRequestEvent {
  const headers: CloudFrontHeaders = {};
  const src = request.headers;
  for (let i = 0; i < src.length; i += 2)
    pushOwn(headers as Record<string, Array<{ key?: string; value: string }>>, src[i], {
      key: headerKey(src[i]),
      value: src[i + 1],
    });
  const cfRequest: CloudFrontRequestEvent['Records'][0]['cf']['request'] = {
    clientIp: request.remoteAddress ?? '',
    headers,
    method: request.method,
    querystring: request.rawQuery,
    uri: request.path,
  };
  if (request.body.length > 0) {
    const limit = EDGE_BODY_LIMITS[type];
    const truncated = request.body.length > limit;
    cfRequest.body = {
      action: 'read-only',
      data: (truncated ? request.body.subarray(0, limit) : request.body).toString('base64'),
      encoding: 'base64',
      inputTruncated: truncated,
    };
  }
  if (type === 'origin-request') {
    const host = headers.host?.[0]?.value ?? 'example.org';
    cfRequest.origin = {
      custom: {
        customHeaders: {},
        domainName: host,
        keepaliveTimeout: 5,
        path: '',
        port: 443,
        protocol: 'https',
        readTimeout: 30,
        sslProtocols: ['TLSv1.2'],
      },
    };
  }
  return {
    Records: [
      {
        cf: {
          config: {
            distributionDomainName: target.distributionDomainName,
            distributionId: target.distributionId,
            eventType: type,
            requestId: randomBytes(42).toString('base64url'),
          },
          request: cfRequest,
        },
      },
    ],
  };
}

const STATUS = /^[1-5]\d\d$/;

/**
 * Reads a request trigger's result as CloudFront validates it: an object with `status` is a
 * generated response (`status` a three-digit string, headers as `{ lowercase: [{ key, value }] }`
 * without disallowed or read-only names, `bodyEncoding` `text` or `base64`, within 40 KB or
 * 1 MB); anything else lets the request go on to the origin, which the emulator does not have.
 */
export function responseFromEdgeResult(result: unknown, json: string, type: EdgeEventType): ResultReading {
  const warnings: string[] = [];
  const fail = (reason: string): ResultReading => ({ ok: false, reason, warnings });
  const r = result as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r) || !('status' in r)) {
    if (typeof r === 'object' && r !== null && 'uri' in r)
      return fail(
        'the function returned the request, which CloudFront forwards to the origin; the emulated distribution has no origin, so return a generated response ({ status, headers, body })',
      );
    return fail(
      `the result must be a generated response with a status; the handler returned ${kind(result)}`,
    );
  }
  const limit = EDGE_RESULT_LIMITS[type];
  if (Buffer.byteLength(json) > limit)
    return fail(`the generated response is over CloudFront's ${limit}-byte limit for a ${type} function`);
  const status = r.status;
  if (typeof status !== 'string' || !STATUS.test(status))
    return fail(`status must be a string with a 3-digit HTTP status code; it is ${kind(status)}`);
  if (r.statusDescription !== undefined && typeof r.statusDescription !== 'string')
    return fail(`statusDescription must be a string; it is ${kind(r.statusDescription)}`);
  const headers: string[] = [];
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers))
      return fail(`headers must be an object of { key, value } arrays; it is ${kind(r.headers)}`);
    for (const [name, entries] of Object.entries(r.headers as Record<string, unknown>)) {
      if (name !== name.toLowerCase()) return fail(`header name ${JSON.stringify(name)} must be lower case`);
      if (isDisallowedHeader(name) || isReadOnlyHeader(name, type))
        return fail(
          `header ${JSON.stringify(name)} is one CloudFront does not accept from a ${type} function`,
        );
      if (!Array.isArray(entries)) return fail(`headers[${JSON.stringify(name)}] must be an array`);
      for (const entry of entries) {
        const { key, value } = (entry ?? {}) as { key?: unknown; value?: unknown };
        if (typeof value !== 'string')
          return fail(`headers[${JSON.stringify(name)}] holds an entry whose value is ${kind(value)}`);
        if (key !== undefined && (typeof key !== 'string' || key.toLowerCase() !== name))
          return fail(`headers[${JSON.stringify(name)}] holds an entry whose key is ${kind(key)}`);
        const problem = pushChecked(headers, name, value);
        if (problem) return fail(problem);
      }
    }
  }
  const encoding = r.bodyEncoding;
  if (encoding !== undefined && encoding !== 'text' && encoding !== 'base64')
    return fail(`bodyEncoding must be "text" or "base64"; it is ${kind(encoding)}`);
  const body = bodyBytes(r.body, encoding === 'base64');
  if (typeof body === 'string')
    return fail(body.replace('isBase64Encoded is true', 'bodyEncoding is "base64"'));
  const code = Number(status);
  const reason = typeof r.statusDescription === 'string' ? r.statusDescription : STATUS_CODES[code];
  return { ok: true, response: { status: code, reason, headers, body }, warnings };
}

/**
 * CloudFront's own error page: 502 when a function's result fails validation
 * (LambdaValidationError), 503 when the function fails or times out (LambdaExecutionError).
 */
export function cloudFrontErrorPage(status: number, cause?: string): HttpResponse {
  const title = `${status} ERROR`;
  const body = Buffer.from(
    `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n<H1>${title}</H1>\n<H2>The request could not be satisfied.</H2>\n</BODY></HTML>`,
    'latin1',
  );
  const headers = ['server', 'CloudFront', 'content-type', 'text/html'];
  if (cause !== undefined) headers.push('x-cache', `${cause} from cloudfront`);
  return { status, reason: STATUS_CODES[status], headers, body };
}
