import { randomBytes } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import {
  bodyBytes,
  call,
  expectWellFormed,
  honoFramework,
  invoke,
  listenerFramework,
  multi,
  single,
} from './support.js';

const LIMIT = 1024 * 1024;
const jsonSize = (result: ALBResult) => Buffer.byteLength(JSON.stringify(result));

/** About 2.5 MB of repetitive JSON: far over the limit, and very compressible. */
const bigJson = Buffer.from(
  JSON.stringify(Array.from({ length: 50_000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] }))),
);
/** Random bytes compress to no less than their own size. */
const noise = randomBytes(900 * 1024);

const accepting = (encoding: string): ALBEvent => ({
  ...albEvent,
  headers: { ...albEvent.headers, 'accept-encoding': encoding },
});

// The size guard holds on both response paths: a Node response and a fetch Response.
describe.each([listenerFramework, honoFramework])(
  'C10: results over the 1 MB ALB limit, in $name',
  (framework) => {
    const send = (body: Buffer, headers: Record<string, string>) =>
      framework.answer({ headers: Object.entries(headers), body });

    describe('when the client accepts gzip', () => {
      it('a >1 MB JSON response is gzipped and fits, and decodes to the same bytes', async () => {
        expect(bigJson.length).toBeGreaterThan(2 * LIMIT);
        const result = await call(
          send(bigJson, { 'content-type': 'application/json' }),
          accepting('gzip, deflate, br'),
        );
        expectWellFormed(result, 'single');
        expect(result.statusCode).toBe(200);
        expect(jsonSize(result)).toBeLessThanOrEqual(LIMIT);
        expect(result.isBase64Encoded).toBe(true);
        expect(single(result, 'content-encoding')).toBe('gzip');
        expect(single(result, 'vary')).toBe('Accept-Encoding');
        const compressed = bodyBytes(result);
        expect(single(result, 'content-length')).toBe(String(compressed.length));
        expect(gunzipSync(compressed).equals(bigJson)).toBe(true);
      });

      it('in multi-value mode the compressed result keeps the multi-value shape and merges vary', async () => {
        const result = await call(send(bigJson, { 'content-type': 'application/json', vary: 'Origin' }), {
          ...albEventMulti,
          multiValueHeaders: { ...albEventMulti.multiValueHeaders, 'accept-encoding': ['gzip'] },
        });
        expectWellFormed(result, 'multi');
        expect(multi(result, 'content-encoding')).toEqual(['gzip']);
        expect(multi(result, 'vary')).toEqual(['Origin, Accept-Encoding']);
        expect(gunzipSync(bodyBytes(result)).equals(bigJson)).toBe(true);
      });

      it('a client that accepts only br gets br', async () => {
        const result = await call(send(bigJson, { 'content-type': 'application/json' }), accepting('br'));
        expect(single(result, 'content-encoding')).toBe('br');
        expect(brotliDecompressSync(bodyBytes(result)).equals(bigJson)).toBe(true);
      });

      it('a result under the limit is not compressed', async () => {
        const small = Buffer.from('{"small":true}');
        const result = await call(send(small, { 'content-type': 'application/json' }), accepting('gzip'));
        expect(single(result, 'content-encoding')).toBeUndefined();
        expect(result.body).toBe('{"small":true}');
      });
    });

    describe('when the result cannot be made to fit', () => {
      it('incompressible random bytes get a 502 whose body and warning state the size and the limit', async () => {
        const { result, warnings } = await invoke(
          send(noise, { 'content-type': 'application/octet-stream' }),
          accepting('gzip'),
        );
        expectWellFormed(result, 'single');
        expect(result.statusCode).toBe(502);
        expect(result.statusDescription).toBe('502 Bad Gateway');
        expect(result.isBase64Encoded).toBe(false);
        expect(result.body).toMatch(
          /^The ALB result is \d+ bytes of JSON, over its 1048576-byte limit even compressed\.$/,
        );
        const stated = Number(/is (\d+) bytes/.exec(result.body ?? '')?.[1]);
        expect(stated).toBeGreaterThan(LIMIT);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ level: 'warn', code: 'RESULT_TOO_LARGE' });
        expect(warnings[0].message).toContain(String(stated));
        expect(warnings[0].message).toContain('1048576');
      });

      it('C10: binary under 1 MB that is over it after base64 and JSON gets the 502, when gzip is not accepted', async () => {
        const raw = randomBytes(800 * 1024);
        const { result, warnings } = await invoke(send(raw, { 'content-type': 'image/png' }), {
          ...albEvent,
          headers: { ...albEvent.headers, 'accept-encoding': 'identity' },
        });
        expect(raw.length).toBeLessThan(LIMIT);
        expect(result.statusCode).toBe(502);
        expect(result.body).not.toContain('compressed');
        expect(warnings.map((w) => w.code)).toEqual(['RESULT_TOO_LARGE']);
      });

      it('a binary body fits up to about 768 KiB: base64 makes it a third larger', async () => {
        const identity = { ...albEvent, headers: { ...albEvent.headers, 'accept-encoding': 'identity' } };
        const fits = await invoke(send(randomBytes(760 * 1024), { 'content-type': 'image/png' }), identity);
        expect(fits.result.statusCode).toBe(200);
        expect(jsonSize(fits.result)).toBeLessThanOrEqual(LIMIT);
        const over = await invoke(send(randomBytes(772 * 1024), { 'content-type': 'image/png' }), identity);
        expect(over.result.statusCode).toBe(502);
        expect(over.warnings.map((w) => w.code)).toEqual(['RESULT_TOO_LARGE']);
      });

      it('text whose JSON escaping takes it over the limit is measured as JSON', async () => {
        const quotes = Buffer.from('"'.repeat(600 * 1024));
        const { result } = await invoke(send(quotes, { 'content-type': 'text/plain' }), {
          ...albEvent,
          headers: { ...albEvent.headers, 'accept-encoding': 'gzip;q=0' },
        });
        expect(result.statusCode).toBe(502);
      });

      it('a response the app already encoded is not compressed again', async () => {
        const { result } = await invoke(
          send(noise, { 'content-type': 'application/json', 'content-encoding': 'br' }),
          accepting('gzip'),
        );
        expect(result.statusCode).toBe(502);
        expect(result.body).not.toContain('even compressed');
      });

      it('a HEAD request for a large response is not too large: its body is dropped first', async () => {
        // The app states the length: a fetch app's HEAD answer has no body to count.
        const headers = {
          'content-type': 'application/octet-stream',
          'content-length': String(noise.length),
        };
        const result = await call(send(noise, headers), { ...accepting('identity'), httpMethod: 'HEAD' });
        expect(result.statusCode).toBe(200);
        expect(result.body).toBe('');
        expect(single(result, 'content-length')).toBe(String(noise.length));
      });
    });

    it('a result just under the limit is sent unchanged, without a warning', async () => {
      const body = Buffer.alloc(LIMIT - 4096, 'a');
      const result = await call(send(body, { 'content-type': 'text/plain' }), accepting('gzip'));
      expect(result.statusCode).toBe(200);
      expect(jsonSize(result)).toBeLessThanOrEqual(LIMIT);
      expect(single(result, 'content-encoding')).toBeUndefined();
      expect(result.body?.length).toBe(body.length);
    });

    it('an Express app sending a large JSON payload is gzipped to fit', async () => {
      const app = express();
      const rows = Array.from({ length: 30_000 }, (_, i) => ({ id: i, label: `row ${i}` }));
      app.get('/lambda', (_req, res) => {
        res.json(rows);
      });
      const result = await call(app, accepting('gzip'));
      expect(result.statusCode).toBe(200);
      expect(JSON.parse(gunzipSync(bodyBytes(result)).toString())).toEqual(rows);
    });
  },
);
