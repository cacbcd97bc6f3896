import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { BinaryPredicate } from '../binary.js';
import type { HttpRequest, HttpResponse } from '../http.js';
import { setOwn } from '../own.js';
import { safeRawQuery } from '../query.js';
import {
  checkTarget,
  completeRequest,
  encodeBody,
  groupHeaders,
  isObject,
  isStringArray,
  readBody,
  readHeaders,
  show,
  stripBasePath,
} from './fields.js';
import { peerFromForwardedFor } from './forwarded.js';

/** Payload 2.0 (HTTP API or function URL), contract 4.5 rule 3. */
export function isApiGatewayV2Event(event: unknown): event is APIGatewayProxyEventV2 {
  const e = event as Record<string, unknown> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.version === '2.0' &&
    isObject(e.requestContext) &&
    isObject(e.requestContext.http)
  );
}

/** A function URL event: its domain is `<url-id>.lambda-url.<region>.on.aws` (contract 4.3). */
export function isFunctionUrlEvent(event: APIGatewayProxyEventV2): boolean {
  const domain = event.requestContext.domainName;
  return typeof domain === 'string' && /\.lambda-url\.[a-z0-9-]+\.on\.aws$/.test(domain);
}

/**
 * Reads a payload 2.0 event: `rawPath` and `rawQueryString` give the request target as sent;
 * the `cookies` array becomes one `cookie` header joined with `; `.
 */
export function requestFromV2Event(event: APIGatewayProxyEventV2, basePath?: string): HttpRequest | string {
  const http = event.requestContext.http as Record<string, unknown>;
  const problem = checkTarget(http.method, event.rawPath, 'rawPath');
  if (problem) return problem;
  const rawQueryString: unknown = event.rawQueryString ?? '';
  if (typeof rawQueryString !== 'string')
    return `rawQueryString must be a string; the event has ${show(rawQueryString)}`;
  const headers: string[] = [];
  const headerProblem = readHeaders(event.headers, 'headers', headers);
  if (headerProblem) return headerProblem;
  const cookies: unknown = event.cookies;
  if (cookies !== undefined && cookies !== null) {
    if (!isStringArray(cookies)) return 'cookies must be an array of strings';
    if (cookies.length > 0) {
      // API Gateway moves every cookie header into `cookies`; a stray one in `headers` yields to it.
      const kept: string[] = [];
      for (let i = 0; i < headers.length; i += 2)
        if (headers[i] !== 'cookie') kept.push(headers[i], headers[i + 1]);
      const joined: string[] = [];
      if (readHeaders({ cookie: cookies.join('; ') }, 'cookies', joined))
        return 'cookies hold a control character';
      headers.length = 0;
      headers.push(...kept, ...joined);
    }
  }
  const body = readBody(event.body, event.isBase64Encoded);
  if (typeof body === 'string') return body;
  const sourceIp = http.sourceIp;
  const peer =
    typeof sourceIp === 'string' && sourceIp !== ''
      ? { address: sourceIp, port: undefined }
      : peerFromForwardedFor(headers);
  const query = rawQueryString.charCodeAt(0) === 63 /* ? */ ? rawQueryString.slice(1) : rawQueryString;
  return completeRequest(
    http.method as string,
    stripBasePath(event.rawPath, basePath),
    safeRawQuery(query),
    headers,
    body,
    peer,
  );
}

/** The payload 2.0 result: `cookies` for every `Set-Cookie`, `headers` (joined with `, `) for the rest. */
export function v2ResultFromResponse(
  response: HttpResponse,
  isBinary: BinaryPredicate,
): APIGatewayProxyStructuredResultV2 {
  const grouped = groupHeaders(response);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const name of Object.keys(grouped.map)) {
    if (name === 'set-cookie') cookies = grouped.map[name];
    else setOwn(headers, name, grouped.map[name].join(', '));
  }
  const { body, isBase64Encoded } = encodeBody(response, grouped, isBinary);
  const result: APIGatewayProxyStructuredResultV2 = {
    statusCode: response.status,
    headers,
    body,
    isBase64Encoded,
  };
  if (cookies !== undefined) result.cookies = cookies;
  return result;
}
