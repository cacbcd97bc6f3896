import { isHopByHop } from './headers.js';
import { EMPTY_BODY, type HttpResponse } from './http.js';

/** Whether a response to `method` with `status` carries no body (RFC 9110 6.4.1). */
export function isBodiless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

// RFC 9112 4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Why a response cannot end an exchange as it is, or `undefined`: the final status is an integer
 * from 200 to 599 (a 1xx is interim, RFC 9110 15.2), and the reason phrase holds no control
 * character and nothing beyond Latin-1.
 */
export function finalStatusProblem(status: unknown, reason: unknown): string | undefined {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    const shown = typeof status === 'string' ? JSON.stringify(status) : String(status);
    return `the app's final status is ${shown}; a final status is an integer from 200 to 599 (1xx responses are interim)`;
  }
  if (reason !== undefined && (typeof reason !== 'string' || !REASON.test(reason))) {
    return `the app's reason phrase ${JSON.stringify(reason)} holds characters a status line cannot carry (controls, or beyond Latin-1)`;
  }
  return undefined;
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
