import { describe, expect, it } from 'vitest';
import { finalizeResponse, isBodiless } from '../../lib/finalize.js';
import type { HttpResponse } from '../../lib/http.js';

const response = (status: number, headers: string[], body = ''): HttpResponse => ({
  status,
  reason: undefined,
  headers,
  body: Buffer.from(body),
});

describe('isBodiless', () => {
  it.each([
    ['HEAD', 200, true],
    ['GET', 204, true],
    ['GET', 304, true],
    ['GET', 101, true],
    ['GET', 200, false],
    ['POST', 404, false],
    ['GET', 599, false],
  ] as const)('%s %i: %s', (method, status, bodiless) => {
    expect(isBodiless(method, status)).toBe(bodiless);
  });
});

describe('finalizeResponse', () => {
  it('C7: removes hop-by-hop headers and keeps the others in order', () => {
    const out = finalizeResponse(
      response(200, [
        'connection',
        'close',
        'x-a',
        '1',
        'transfer-encoding',
        'chunked',
        'proxy-x',
        'y',
        'x-b',
        '2',
      ]),
      'GET',
    );
    expect(out.headers).toEqual(['x-a', '1', 'x-b', '2', 'content-length', '0']);
  });

  it('sets content-length from the body, replacing what the app set', () => {
    const out = finalizeResponse(
      response(200, ['content-length', '99', 'content-length', '1'], 'hello'),
      'GET',
    );
    expect(out.headers).toEqual(['content-length', '5']);
    expect(out.body.toString()).toBe('hello');
  });

  it('C8: HEAD keeps the content-length the app gave and drops the body', () => {
    const out = finalizeResponse(
      response(200, ['content-type', 'text/plain', 'content-length', '42']),
      'HEAD',
    );
    expect(out.headers).toEqual(['content-type', 'text/plain', 'content-length', '42']);
    expect(out.body.length).toBe(0);
  });

  it('C8: HEAD without a content-length states the length of what was written', () => {
    const out = finalizeResponse(response(200, [], 'written body'), 'HEAD');
    expect(out.headers).toEqual(['content-length', '12']);
    expect(out.body.length).toBe(0);
  });

  it('HEAD with no body and no length states none', () => {
    expect(finalizeResponse(response(200, []), 'HEAD').headers).toEqual([]);
  });

  it('C9: 204 has no body and no content-length', () => {
    const out = finalizeResponse(response(204, ['content-length', '5'], 'hello'), 'GET');
    expect(out.headers).toEqual([]);
    expect(out.body.length).toBe(0);
  });

  it('C9: 304 keeps the content-length the app gave, and no body', () => {
    const out = finalizeResponse(response(304, ['etag', '"x"', 'content-length', '5'], 'hello'), 'GET');
    expect(out.headers).toEqual(['etag', '"x"', 'content-length', '5']);
    expect(out.body.length).toBe(0);
  });

  it('a HEAD 204 or 304 gets no invented content-length', () => {
    expect(finalizeResponse(response(204, [], 'x'), 'HEAD').headers).toEqual([]);
    expect(finalizeResponse(response(304, []), 'HEAD').headers).toEqual([]);
  });

  it('keeps the status and reason', () => {
    const out = finalizeResponse(
      { status: 418, reason: 'Teapot', headers: [], body: Buffer.alloc(0) },
      'GET',
    );
    expect(out).toMatchObject({ status: 418, reason: 'Teapot' });
  });

  it('does not change its input', () => {
    const input = response(200, ['connection', 'close', 'content-length', '9'], 'abc');
    const copy = structuredClone(input);
    finalizeResponse(input, 'HEAD');
    expect(input.headers).toEqual(copy.headers);
    expect(input.body.toString()).toBe('abc');
  });
});
