import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../lib/http.js';
import { compressResponse, resultSize } from '../../lib/size.js';

const LIMIT = 1024 * 1024;

const response = (headers: string[], body: string | Buffer): HttpResponse => ({
  status: 200,
  reason: undefined,
  headers,
  body: Buffer.from(body),
});

describe('resultSize', () => {
  it('answers 0 when the result cannot be near the limit', () => {
    expect(resultSize({ body: 'small' }, LIMIT)).toBe(0);
    expect(resultSize({}, LIMIT)).toBe(0);
    expect(resultSize({ body: null }, LIMIT)).toBe(0);
  });

  it('counts the serialized JSON, escapes included, when it could be near the limit', () => {
    const result = { statusCode: 200, body: '"'.repeat(200_000) };
    expect(resultSize(result, LIMIT)).toBe(Buffer.byteLength(JSON.stringify(result)));
    expect(resultSize(result, LIMIT)).toBeGreaterThan(400_000);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const result = { body: '€'.repeat(200_000) };
    expect(resultSize(result, LIMIT)).toBe(Buffer.byteLength(JSON.stringify(result)));
  });
});

describe('compressResponse', () => {
  const text = 'compress me '.repeat(1000);

  it('gzips when gzip is accepted, and sets content-encoding, content-length and vary', () => {
    const out = compressResponse(
      response(['content-type', 'text/plain', 'content-length', '12000'], text),
      'gzip',
    );
    expect(out?.headers).toEqual([
      'content-type',
      'text/plain',
      'content-length',
      String(out?.body.length),
      'content-encoding',
      'gzip',
      'vary',
      'Accept-Encoding',
    ]);
    expect(gunzipSync(out?.body ?? Buffer.alloc(0)).toString()).toBe(text);
  });

  it('prefers gzip to br', () => {
    expect(compressResponse(response([], text), 'br, gzip')?.headers).toContain('gzip');
  });

  it('uses br when only br is accepted', () => {
    const out = compressResponse(response([], text), 'br');
    expect(out?.headers).toEqual(['content-encoding', 'br', 'vary', 'Accept-Encoding']);
    expect(brotliDecompressSync(out?.body ?? Buffer.alloc(0)).toString()).toBe(text);
  });

  it('accepts * and upper case, with a q value', () => {
    expect(compressResponse(response([], text), '*')?.headers).toContain('gzip');
    expect(compressResponse(response([], text), 'GZIP;q=0.5')?.headers).toContain('gzip');
  });

  it.each([
    ['no accept-encoding', undefined],
    ['identity only', 'identity'],
    ['gzip with q=0', 'gzip;q=0'],
    ['deflate only', 'deflate'],
  ])('gives undefined for %s', (_label, accept) => {
    expect(compressResponse(response([], text), accept)).toBeUndefined();
  });

  it('gives undefined for an empty body or one already encoded', () => {
    expect(compressResponse(response([], ''), 'gzip')).toBeUndefined();
    expect(compressResponse(response(['content-encoding', 'br'], text), 'gzip')).toBeUndefined();
  });

  it('adds Accept-Encoding to an existing vary, unless it is there or *', () => {
    expect(compressResponse(response(['vary', 'Origin'], text), 'gzip')?.headers).toContain(
      'Origin, Accept-Encoding',
    );
    expect(compressResponse(response(['vary', 'accept-encoding'], text), 'gzip')?.headers).toContain(
      'accept-encoding',
    );
    expect(compressResponse(response(['vary', '*'], text), 'gzip')?.headers).toContain('*');
  });
});
