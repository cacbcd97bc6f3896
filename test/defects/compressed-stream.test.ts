import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { ALBEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { albEvent } from '../fixtures/alb-event.js';
import { invoke } from '../forward/support.js';

/** About 3 MB of repetitive JSON lines, streamed in 16 KB chunks with backpressure. */
function text(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 40_000; i++) lines.push(`{"id":${i},"name":"item ${i}","tags":["a","b","c"]}`);
  return Buffer.from(lines.join('\n'));
}

function streaming(body: Buffer) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('vary', 'Origin');
    let at = 0;
    new Readable({
      read() {
        if (at >= body.length) return this.push(null);
        this.push(body.subarray(at, at + 16 * 1024));
        at += 16 * 1024;
      },
    }).pipe(res);
  };
}

describe('defect 3: a body past the limit is compressed as it is written, and sent when it fits', () => {
  const body = text();
  for (const [coding, decode] of [
    ['gzip', gunzipSync],
    ['br', brotliDecompressSync],
  ] as const) {
    it(`${coding}: a streamed 3 MB JSON body arrives whole, compressed, with vary`, async () => {
      expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
      const event: ALBEvent = { ...albEvent, path: '/', headers: { 'accept-encoding': coding } };
      const { result, warnings } = await invoke(streaming(body), event);
      expect(warnings).toEqual([]);
      expect(result.statusCode).toBe(200);
      expect(result.isBase64Encoded).toBe(true);
      const headers = result.headers ?? {};
      expect(headers['content-encoding']).toBe(coding);
      expect(headers.vary).toBe('Origin, Accept-Encoding');
      const sent = Buffer.from(result.body ?? '', 'base64');
      expect(headers['content-length']).toBe(String(sent.length));
      expect(decode(sent).equals(body)).toBe(true);
    });
  }

  it('an app that ignores backpressure and writes 3 MB at once gets the same', async () => {
    const event: ALBEvent = { ...albEvent, path: '/', headers: { 'accept-encoding': 'gzip' } };
    const { result } = await invoke((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('content-type', 'application/json');
      for (let at = 0; at < body.length; at += 100_000) res.write(body.subarray(at, at + 100_000));
      res.end();
    }, event);
    expect(result.statusCode).toBe(200);
    expect(gunzipSync(Buffer.from(result.body ?? '', 'base64')).equals(body)).toBe(true);
  });
});
