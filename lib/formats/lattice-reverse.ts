import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse } from '../http.js';
import { getOwn, pushOwn, setOwn } from '../own.js';
import { splitRawQuery } from '../query.js';
import { kind, type ResultReading, withAlbHeaders } from './alb-reverse.js';
import { bodyBytes, bodyOf, decode, pushChecked } from './apigw-reverse.js';
import { LATTICE_LIMIT, type LatticeEventV1, type LatticeEventV2 } from './lattice.js';

/** Where the emulated Lattice service sits: the names that appear in V2 events. */
export interface LatticeTarget {
  serviceNetworkArn: string;
  serviceArn: string;
  targetGroupArn: string;
  region: string;
  sourceVpcArn: string;
}

/**
 * The headers as a Lattice target sees them: VPC Lattice appends the client to
 * `x-forwarded-for` and sets `x-forwarded-port` and `x-forwarded-proto` (http-targets), and
 * adds no trace header.
 */
export function withLatticeHeaders(request: HttpRequest, traceId: string): string[] {
  const lines = withAlbHeaders(request, traceId);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 2)
    if (lines[i] !== 'x-amzn-trace-id') out.push(lines[i], lines[i + 1]);
  return out;
}

/**
 * A query key or value as the emulated Lattice delivers it: `+` read as a space and
 * percent-escapes decoded, as a form decoder reads them (a malformed escape stays as sent). AWS
 * does not document Lattice's decoding (docs/front-doors.md).
 */
function decodeQuery(text: string): string {
  return decode(text.includes('+') ? text.replace(/\+/g, ' ') : text);
}

/** The V1 event: repeated headers joined with `, `, the last value of a repeated query key, decoded. */
export function latticeV1EventFromRequest(request: HttpRequest): LatticeEventV1 {
  const headers: Record<string, string> = {};
  const src = request.headers;
  for (let i = 0; i < src.length; i += 2) {
    const prev = getOwn(headers, src[i]);
    setOwn(headers, src[i], prev === undefined ? src[i + 1] : `${prev}, ${src[i + 1]}`);
  }
  const query: Record<string, string> = {};
  for (const [key, value] of splitRawQuery(request.rawQuery))
    setOwn(query, decodeQuery(key), decodeQuery(value));
  const { body, isBase64Encoded } = bodyOf(request);
  return {
    raw_path: request.path,
    method: request.method,
    headers,
    query_string_parameters: query,
    body: body ?? '',
    is_base64_encoded: isBase64Encoded,
  };
}

/** The V2 event: every header line and query value kept, in order, in arrays; the target's ARNs. */
export function latticeV2EventFromRequest(
  request: HttpRequest,
  target: LatticeTarget,
  now: number,
): LatticeEventV2 {
  const headers: Record<string, string[]> = {};
  const src = request.headers;
  for (let i = 0; i < src.length; i += 2) pushOwn(headers, src[i], src[i + 1]);
  const query: Record<string, string[]> = {};
  for (const [key, value] of splitRawQuery(request.rawQuery))
    pushOwn(query, decodeQuery(key), decodeQuery(value));
  const { body, isBase64Encoded } = bodyOf(request);
  const event: LatticeEventV2 = {
    version: '2.0',
    path: request.path,
    method: request.method,
    headers,
    queryStringParameters: query,
    isBase64Encoded,
    requestContext: {
      serviceNetworkArn: target.serviceNetworkArn,
      serviceArn: target.serviceArn,
      targetGroupArn: target.targetGroupArn,
      // No auth policy on the emulated service: the caller is not authenticated.
      identity: { sourceVpcArn: target.sourceVpcArn, type: 'NONE' },
      region: target.region,
      timeEpoch: `${now}000`,
    },
  };
  if (body !== undefined) event.body = body;
  return event;
}

/**
 * Reads a result as a Lattice target group does: an object with an integer `statusCode`, a
 * `headers` object of strings, a string `body`, a boolean `isBase64Encoded`, at most 6 MB of JSON.
 */
export function responseFromLatticeResult(result: unknown, json: string): ResultReading {
  const warnings: string[] = [];
  const fail = (reason: string): ResultReading => ({ ok: false, reason, warnings });
  if (Buffer.byteLength(json) > LATTICE_LIMIT)
    return fail(`the result is over VPC Lattice's ${LATTICE_LIMIT}-byte response limit`);
  if (typeof result !== 'object' || result === null || Array.isArray(result))
    return fail(
      `the result must be an object with a numeric statusCode; the handler returned ${kind(result)}`,
    );
  const r = result as Record<string, unknown>;
  const status = r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
    return fail(
      `statusCode must be a number from 100 to 599; it is ${status === undefined ? 'missing' : kind(status)}`,
    );
  if (r.statusDescription !== undefined && typeof r.statusDescription !== 'string')
    return fail(`statusDescription must be a string; it is ${kind(r.statusDescription)}`);
  const headers: string[] = [];
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object' || Array.isArray(r.headers))
      return fail(`headers must be an object of strings; it is ${kind(r.headers)}`);
    for (const [name, value] of Object.entries(r.headers as Record<string, unknown>)) {
      if (typeof value !== 'string')
        return fail(`headers[${JSON.stringify(name)}] must be a string; it is ${kind(value)}`);
      const problem = pushChecked(headers, name, value);
      if (problem) return fail(problem);
    }
  }
  if (r.isBase64Encoded !== undefined && typeof r.isBase64Encoded !== 'boolean')
    return fail(`isBase64Encoded must be a boolean; it is ${kind(r.isBase64Encoded)}`);
  const body = bodyBytes(r.body, r.isBase64Encoded);
  if (typeof body === 'string') return fail(body);
  const description =
    typeof r.statusDescription === 'string' ? /^\d{3} (.+)$/s.exec(r.statusDescription) : null;
  const reason = description?.[1] ?? STATUS_CODES[status];
  return { ok: true, response: { status, reason, headers, body }, warnings };
}

/** The answer of the emulated service when the function fails or returns an unusable result. */
export function latticeErrorResponse(status: number): HttpResponse {
  const phrase = STATUS_CODES[status] ?? 'Error';
  const body = Buffer.from(phrase, 'utf8');
  return { status, reason: phrase, headers: ['content-type', 'text/plain; charset=utf-8'], body };
}
