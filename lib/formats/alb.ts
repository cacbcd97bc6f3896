import { STATUS_CODES } from 'node:http';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import type { BinaryPredicate } from '../binary.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import { setOwn } from '../own.js';
import { rawQueryFromParams } from '../query.js';
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

/** The target-group attribute that switches an ALB between single- and multi-value headers. */
export const MULTI_VALUE_ATTRIBUTE = 'lambda.multi_value_headers.enabled';

/** The largest result JSON an ALB accepts from a Lambda target (bytes). */
export const ALB_RESULT_LIMIT = 1024 * 1024;

/** The most response-header bytes an ALB passes on from a Lambda target. */
export const ALB_RESPONSE_HEADER_LIMIT = 32 * 1024;

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

/**
 * Reads an ALB event into the neutral request. Returns a string that names the problem when a
 * field is malformed; the caller answers that with a 400 result.
 */
export function requestFromAlbEvent(event: ALBEvent, basePath?: string): HttpRequest | string {
  const problem = checkTarget(event.httpMethod, event.path);
  if (problem) return problem;
  const multi = isMultiValueEvent(event);
  const headers: string[] = [];
  // An event may pair "headers" with "multiValueQueryStringParameters": read the header field it has.
  const multiHeaders = event.multiValueHeaders !== undefined && event.multiValueHeaders !== null;
  const headerProblem =
    multi && (multiHeaders || event.headers === undefined || event.headers === null)
      ? readMultiHeaders(event.multiValueHeaders, 'multiValueHeaders', headers)
      : readHeaders(event.headers, 'headers', headers);
  if (headerProblem) return headerProblem;

  let rawQuery: string;
  const multiParams = event.multiValueQueryStringParameters;
  if (multi && multiParams != null) {
    const queryProblem = checkParams(multiParams, 'multiValueQueryStringParameters', true);
    if (queryProblem) return queryProblem;
    rawQuery = rawQueryFromParams(undefined, multiParams as Record<string, string[]>);
  } else {
    const queryProblem = checkParams(event.queryStringParameters, 'queryStringParameters', false);
    if (queryProblem) return queryProblem;
    rawQuery = rawQueryFromParams(
      (event.queryStringParameters ?? undefined) as Record<string, string> | undefined,
      undefined,
    );
  }

  const body = readBody(event.body, event.isBase64Encoded);
  if (typeof body === 'string') return body;
  const path = stripBasePath(event.path, basePath);
  return completeRequest(event.httpMethod, path, rawQuery, headers, body, peerFromForwardedFor(headers));
}

/** How a result is built; computed once per handler. */
export interface ResultSettings {
  isBinary: BinaryPredicate;
  singleSetCookie: SingleSetCookie;
  /**
   * Called when a result cannot carry every Set-Cookie of the response: `where` names the result
   * shape ("a single-value ALB result"), `remedy` says how to lift the limit.
   */
  onCookiesDropped(kept: string, dropped: number, where: string, remedy: string): void;
  /** Called when the service does not accept some response headers, which are left out. */
  onHeadersDropped?(names: string[], why: string): void;
}

/**
 * `"<code> <reason>"`, as the ALB wants `statusDescription` (contract 2.1). A reason of nothing
 * but spaces and tabs, which a status line may carry, gives the standard phrase instead.
 */
export function statusDescription(status: number, reason: string | undefined): string {
  const phrase = reason === undefined || /^[ \t]*$/.test(reason) ? undefined : reason;
  return `${status} ${phrase ?? STATUS_CODES[status] ?? 'Unknown'}`;
}

/**
 * Builds the ALB result for a finalized response, in the header mode of the event. Returns a
 * string when the response cannot be expressed (only with `singleSetCookie: 'fail'`).
 */
export function albResultFromResponse(
  response: HttpResponse,
  multiValue: boolean,
  settings: ResultSettings,
): ALBResult | string {
  const grouped = groupHeaders(response);
  const result: ALBResult = {
    statusCode: response.status,
    statusDescription: statusDescription(response.status, response.reason),
  };
  if (multiValue) {
    result.multiValueHeaders = grouped.map;
  } else {
    const headers: Record<string, string> = {};
    for (const name of Object.keys(grouped.map)) {
      const values = grouped.map[name];
      if (name !== 'set-cookie') {
        setOwn(headers, name, values.length === 1 ? values[0] : values.join(', '));
        continue;
      }
      // A JSON object holds one value per name, and cookies cannot be comma-joined (contract 2.4).
      if (values.length > 1 && settings.singleSetCookie === 'fail') {
        return `the app set ${values.length} cookies, but a single-value ALB result can carry only one; enable the target group attribute ${MULTI_VALUE_ATTRIBUTE}`;
      }
      const kept = settings.singleSetCookie === 'first' ? values[0] : values[values.length - 1];
      headers[name] = kept;
      if (values.length > 1)
        settings.onCookiesDropped(
          kept,
          values.length - 1,
          'a single-value ALB result',
          `Enable the target group attribute ${MULTI_VALUE_ATTRIBUTE} to send them all`,
        );
    }
    result.headers = headers;
  }
  const { body, isBase64Encoded } = encodeBody(response, grouped, settings.isBinary);
  result.body = body;
  result.isBase64Encoded = isBase64Encoded;
  return result;
}
