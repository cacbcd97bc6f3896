import { isHopByHop } from './headers.js';
import { EMPTY_BODY, type HttpResponse } from './http.js';

/** Whether a response to `method` with `status` carries no body (RFC 9110 6.4.1). */
export function isBodiless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

/**
 * Applies what a proxy in front of the app does to every response, whatever the event format:
 * hop-by-hop headers are dropped; `content-length` is set from the body that is actually sent;
 * HEAD, 204, 304 and 1xx responses carry no body. A HEAD response keeps the `content-length`
 * the app gave it (the length a GET would have), or the length of what it wrote.
 */
export function finalizeResponse(response: HttpResponse, method: string): HttpResponse {
  const { status, body } = response;
  const bodiless = isBodiless(method, status);
  const headers: string[] = [];
  let appLength: string | undefined;
  const src = response.headers;
  for (let i = 0; i < src.length; i += 2) {
    const name = src[i];
    if (name === 'content-length') {
      // Only a decimal length may be sent on: a client fails on anything else.
      const value = src[i + 1].replace(/^[ \t]+|[ \t]+$/g, '');
      if (appLength === undefined && /^\d+$/.test(value)) appLength = value;
      continue;
    }
    if (isHopByHop(name)) continue;
    headers.push(name, src[i + 1]);
  }
  if (!bodiless) {
    headers.push('content-length', String(body.length));
  } else if (method === 'HEAD' && status >= 200 && status !== 204 && status !== 304) {
    const length = appLength ?? (body.length > 0 ? String(body.length) : undefined);
    if (length !== undefined) headers.push('content-length', length);
  } else if (status === 304 && appLength !== undefined) {
    headers.push('content-length', appLength);
  }
  return { status, reason: response.reason, headers, body: bodiless ? EMPTY_BODY : body };
}
