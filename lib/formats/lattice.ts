import type { HttpRequest, HttpResponse } from '../http.js';
import { setOwn } from '../own.js';
import { queryFromDecodedParams } from '../query.js';
import { type ResultSettings, statusDescription } from './alb.js';
import {
  checkParams,
  checkTarget,
  completeRequest,
  encodeBody,
  groupHeaders,
  isObject,
  readBody,
  readHeaders,
  readMultiHeaders,
  show,
  stripBasePath,
} from './fields.js';
import { peerFromForwardedFor } from './forwarded.js';

// VPC Lattice sends one of two event shapes, chosen per target group (docs/front-doors.md).

/** A VPC Lattice event in the V1 structure (the target group default): snake_case fields. */
export interface LatticeEventV1 {
  raw_path: string;
  method: string;
  /** Repeated headers arrive joined with `, `. */
  headers: Record<string, string>;
  /** A repeated key arrives once, with its last value. */
  query_string_parameters?: Record<string, string> | null;
  body?: string | null;
  is_base64_encoded?: boolean;
}

/** The caller identity VPC Lattice attaches to a V2 event. */
export interface LatticeIdentity {
  sourceVpcArn?: string;
  /** `AWS_IAM` when the service's auth policy authenticated the caller, `NONE` otherwise. */
  type?: string;
  principal?: string;
  principalOrgID?: string;
  sessionName?: string;
  x509IssuerOu?: string;
  x509SanDns?: string;
  x509SanNameCn?: string;
  x509SanUri?: string;
  x509SubjectCn?: string;
}

/** A VPC Lattice event in the V2 structure: every header and query value in an array. */
export interface LatticeEventV2 {
  version: '2.0';
  path: string;
  method: string;
  headers: Record<string, string[]>;
  queryStringParameters?: Record<string, string[]> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext: {
    serviceNetworkArn: string;
    serviceArn: string;
    targetGroupArn: string;
    identity: LatticeIdentity;
    region: string;
    /** Microseconds since the epoch, as a string. */
    timeEpoch: string;
  };
}

/** The result VPC Lattice reads, for both event structures: one string per header name. */
export interface LatticeResult {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** The request body and the result JSON a Lambda target of VPC Lattice may have (6 MB each way). */
export const LATTICE_LIMIT = 6 * 1024 * 1024;

/** V2: `version: "2.0"` with a request context that names the Lattice target group. */
export function isLatticeV2Event(event: unknown): event is LatticeEventV2 {
  const e = event as Record<string, unknown> | null;
  if (typeof e !== 'object' || e === null || e.version !== '2.0') return false;
  const rc = e.requestContext;
  return isObject(rc) && ('serviceNetworkArn' in rc || 'targetGroupArn' in rc) && !('http' in rc);
}

/** V1: no other HTTP event has `raw_path` with `method`. */
export function isLatticeV1Event(event: unknown): event is LatticeEventV1 {
  const e = event as Record<string, unknown> | null;
  return typeof e === 'object' && e !== null && 'raw_path' in e && 'method' in e;
}

function finish(
  method: string,
  path: string,
  rawQuery: string,
  headers: string[],
  body: unknown,
  base64: unknown,
  basePath: string | undefined,
): HttpRequest | string {
  const bytes = readBody(body, base64);
  if (typeof bytes === 'string') return bytes;
  // The peer, protocol and port come from the x-forwarded-* headers VPC Lattice adds.
  return completeRequest(
    method,
    stripBasePath(path, basePath),
    rawQuery,
    headers,
    bytes,
    peerFromForwardedFor(headers),
  );
}

/**
 * Reads a V1 event. Query values arrive decoded, as API Gateway's do (docs/front-doors.md), so
 * the query string is rebuilt with each key and value encoded once.
 */
export function requestFromLatticeV1Event(event: LatticeEventV1, basePath?: string): HttpRequest | string {
  const problem = checkTarget(event.method, event.raw_path, 'raw_path', 'method');
  if (problem) return problem;
  const headers: string[] = [];
  const headerProblem = readHeaders(event.headers, 'headers', headers);
  if (headerProblem) return headerProblem;
  const query = event.query_string_parameters;
  const queryProblem = checkParams(query, 'query_string_parameters', false);
  if (queryProblem) return queryProblem;
  const rawQuery = queryFromDecodedParams(query as Record<string, string> | null, undefined);
  return finish(
    event.method,
    event.raw_path,
    rawQuery,
    headers,
    event.body,
    event.is_base64_encoded,
    basePath,
  );
}

/** Reads a V2 event: repeated header lines and query values stay, in order. */
export function requestFromLatticeV2Event(event: LatticeEventV2, basePath?: string): HttpRequest | string {
  const problem = checkTarget(event.method, event.path, 'path', 'method');
  if (problem) return problem;
  const headers: string[] = [];
  const headerProblem = readMultiHeaders(event.headers, 'headers', headers);
  if (headerProblem) return headerProblem;
  const query = event.queryStringParameters;
  const queryProblem = checkParams(query, 'queryStringParameters', true);
  if (queryProblem) return queryProblem;
  const rawQuery = queryFromDecodedParams(undefined, query as Record<string, string[]> | null);
  const rc = event.requestContext as unknown;
  if (!isObject(rc)) return `requestContext must be an object; the event has ${show(rc)}`;
  return finish(event.method, event.path, rawQuery, headers, event.body, event.isBase64Encoded, basePath);
}

/**
 * The result for either structure. Its `headers` hold one string per name, so repeated fields
 * are joined with `, `; `Set-Cookie` cannot be joined, and a response that sets several cookies
 * keeps one as `singleSetCookie` says (the last by default), with a warning.
 */
export function latticeResultFromResponse(
  response: HttpResponse,
  settings: ResultSettings,
): LatticeResult | string {
  const grouped = groupHeaders(response);
  const headers: Record<string, string> = {};
  for (const name of Object.keys(grouped.map)) {
    const values = grouped.map[name];
    if (name !== 'set-cookie') {
      setOwn(headers, name, values.length === 1 ? values[0] : values.join(', '));
      continue;
    }
    if (values.length > 1 && settings.singleSetCookie === 'fail') {
      return `the app set ${values.length} cookies, but a VPC Lattice result carries one value per header name`;
    }
    const kept = settings.singleSetCookie === 'first' ? values[0] : values[values.length - 1];
    headers[name] = kept;
    if (values.length > 1)
      settings.onCookiesDropped(kept, values.length - 1, 'a VPC Lattice result', LATTICE_COOKIE_REMEDY);
  }
  const { body, isBase64Encoded } = encodeBody(response, grouped, settings.isBinary);
  return {
    statusCode: response.status,
    statusDescription: statusDescription(response.status, response.reason),
    headers,
    body,
    isBase64Encoded,
  };
}

const LATTICE_COOKIE_REMEDY =
  'Set one cookie per response, or combine the values into one cookie; VPC Lattice has no multi-value result field';
