import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { BinaryPredicate } from '../binary.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import { queryFromDecodedParams } from '../query.js';
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
  stripBasePath,
} from './fields.js';
import { peerFromForwardedFor } from './forwarded.js';

/** The largest response a synchronously invoked function returns, in bytes (Lambda's quota). */
export const LAMBDA_RESULT_LIMIT = 6 * 1024 * 1024;

/** API Gateway payload 1.0 (REST, or HTTP API with version "1.0"), contract 4.5 rule 4. */
export function isApiGatewayV1Event(event: unknown): event is APIGatewayProxyEvent {
  const e = event as Record<string, unknown> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.httpMethod === 'string' && isObject(e.requestContext)
  );
}

/**
 * An event written by hand for a test, as serverless-http's and many teams' suites build them:
 * `httpMethod` but no `requestContext` (every event API Gateway sends has one). It is read as
 * payload 1.0, with a missing `path` taken as `/` and missing headers as none.
 */
export function isHandWrittenV1Event(event: unknown): event is APIGatewayProxyEvent {
  const e = event as Record<string, unknown> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.httpMethod === 'string' && e.requestContext === undefined
  );
}

/** The fields a hand-written event lacks that API Gateway always sends, for the warning. */
export function handWrittenGaps(event: APIGatewayProxyEvent): string[] {
  const gaps = ['requestContext'];
  if (event.path === undefined || event.path === null) gaps.push('path (read as "/")');
  if (event.headers == null && event.multiValueHeaders == null) gaps.push('headers (read as none)');
  return gaps;
}

/** Reads a hand-written payload 1.0 event (see isHandWrittenV1Event). */
export function requestFromHandWrittenV1Event(
  event: APIGatewayProxyEvent,
  basePath?: string,
): HttpRequest | string {
  const path = event.path ?? '/';
  return requestFromV1Event(path === event.path ? event : { ...event, path }, basePath);
}

/**
 * Reads a payload 1.0 event. Query values arrive decoded (unlike an ALB's), so the query string
 * is rebuilt with each key and value encoded once; headers come from `multiValueHeaders`.
 */
export function requestFromV1Event(event: APIGatewayProxyEvent, basePath?: string): HttpRequest | string {
  const problem = checkTarget(event.httpMethod, event.path);
  if (problem) return problem;
  const headers: string[] = [];
  const headerProblem = isObject(event.multiValueHeaders)
    ? readMultiHeaders(event.multiValueHeaders, 'multiValueHeaders', headers)
    : readHeaders(event.headers, 'headers', headers);
  if (headerProblem) return headerProblem;
  const multi = event.multiValueQueryStringParameters;
  const single = event.queryStringParameters;
  const queryProblem = isObject(multi)
    ? checkParams(multi, 'multiValueQueryStringParameters', true)
    : checkParams(single, 'queryStringParameters', false);
  if (queryProblem) return queryProblem;
  const rawQuery = isObject(multi)
    ? queryFromDecodedParams(undefined, multi as Record<string, string[]>)
    : queryFromDecodedParams(single as Record<string, string> | null, undefined);
  const body = readBody(event.body, event.isBase64Encoded);
  if (typeof body === 'string') return body;
  const sourceIp = (event.requestContext as { identity?: { sourceIp?: unknown } } | undefined)?.identity
    ?.sourceIp;
  const peer =
    typeof sourceIp === 'string' && sourceIp !== ''
      ? { address: sourceIp, port: undefined }
      : peerFromForwardedFor(headers);
  return completeRequest(
    event.httpMethod,
    stripBasePath(event.path, basePath),
    rawQuery,
    headers,
    body,
    peer,
  );
}

/** The payload 1.0 result: every header, each `Set-Cookie` included, in `multiValueHeaders`. */
export function v1ResultFromResponse(
  response: HttpResponse,
  isBinary: BinaryPredicate,
): APIGatewayProxyResult {
  const grouped = groupHeaders(response);
  const { body, isBase64Encoded } = encodeBody(response, grouped, isBinary);
  return { statusCode: response.status, multiValueHeaders: grouped.map, body, isBase64Encoded };
}
