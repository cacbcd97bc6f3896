import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { png } from '../fixtures/png.js';
import { bodyBytes, call, multi, nodeFrameworks, single } from './support.js';

let dir: string;
let pngPath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lambda-bridge-'));
  pngPath = join(dir, 'pixel.png');
  await writeFile(pngPath, png);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(nodeFrameworks)('response write patterns, in $name', (framework) => {
  it('W1: write("a"), write("b"), then end("c") on a later tick gives "abc"', async () => {
    const result = await call(
      framework.wrap((_req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.write('a');
        res.write('b');
        setTimeout(() => res.end('c'), 1);
      }),
      albEvent,
    );
    expect(result.body).toBe('abc');
    expect(single(result, 'content-length')).toBe('3');
  });

  it('W2: an explicit transfer-encoding: chunked gives the plain body, without framing or the header', async () => {
    const result = await call(
      framework.wrap((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
        res.write('first chunk, ');
        res.write('second chunk');
        res.end();
      }),
      albEventMulti,
    );
    expect(result.body).toBe('first chunk, second chunk');
    expect(multi(result, 'transfer-encoding')).toBeUndefined();
    expect(multi(result, 'content-length')).toEqual(['25']);
  });

  it('W3: chunked UTF-8 data holding \\r\\n and chunk-like lines stays byte-exact', async () => {
    const parts = ['ünï\r\n', '5\r\nhello\r\n', '0\r\n\r\n', 'tail €'];
    const result = await call(
      framework.wrap((_req, res) => {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.setHeader('transfer-encoding', 'chunked');
        for (const part of parts) res.write(part);
        res.end();
      }),
      albEvent,
    );
    expect(result.isBase64Encoded).toBe(false);
    expect(result.body).toBe(parts.join(''));
    expect(single(result, 'content-length')).toBe(String(Buffer.byteLength(parts.join(''))));
  });

  it('W3: chunked binary data stays byte-exact', async () => {
    const data = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x30, 0x0d, 0x0a, 0x0d, 0x0a, 0x80]);
    const result = await call(
      framework.wrap((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' });
        res.write(data.subarray(0, 4));
        res.end(data.subarray(4));
      }),
      albEvent,
    );
    expect(result.isBase64Encoded).toBe(true);
    expect(bodyBytes(result).equals(data)).toBe(true);
  });

  it('W4: fs.createReadStream(png).pipe(res) gives the PNG byte-exact, as base64', async () => {
    const result = await call(
      framework.wrap((_req, res) => {
        res.setHeader('content-type', 'image/png');
        createReadStream(pngPath, { highWaterMark: 64 }).pipe(res);
      }),
      albEvent,
    );
    expect(result.isBase64Encoded).toBe(true);
    expect(bodyBytes(result).equals(png)).toBe(true);
    expect(single(result, 'content-length')).toBe(String(png.length));
  });

  it('W4: res.end(Uint8Array) gives the bytes, as base64', async () => {
    const bytes = new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
    const view = bytes.subarray(8, 40);
    const result = await call(
      framework.wrap((_req, res) => {
        res.setHeader('content-type', 'image/png');
        res.end(view);
      }),
      albEvent,
    );
    expect(result.isBase64Encoded).toBe(true);
    expect(bodyBytes(result).equals(png.subarray(8, 40))).toBe(true);
  });

  it('Buffers written one by one are concatenated in order', async () => {
    const result = await call(
      framework.wrap((_req, res) => {
        res.setHeader('content-type', 'image/png');
        for (let at = 0; at < png.length; at += 100) res.write(png.subarray(at, at + 100));
        res.end();
      }),
      albEvent,
    );
    expect(bodyBytes(result).equals(png)).toBe(true);
  });

  it.each([
    ['latin1', 'caf\u00e9', Buffer.from([0x63, 0x61, 0x66, 0xe9])],
    ['hex', '48656c6c6f', Buffer.from('Hello')],
    ['base64', 'aGk=', Buffer.from('hi')],
    ['utf16le', 'ok', Buffer.from([0x6f, 0x00, 0x6b, 0x00])],
    ['utf8', 'ünï', Buffer.from('ünï', 'utf8')],
  ] as const)('write and end with a string in %s encoding give its bytes', async (encoding, text, bytes) => {
    const result = await call(
      framework.wrap((_req, res) => {
        res.setHeader('content-type', 'application/octet-stream');
        res.write(text, encoding);
        res.end(text, encoding);
      }),
      albEvent,
    );
    expect(bodyBytes(result).equals(Buffer.concat([bytes, bytes]))).toBe(true);
  });

  it('write and end callbacks run and finish is emitted', async () => {
    const calls: string[] = [];
    const result = await call(
      framework.wrap((_req, res) => {
        res.on('finish', () => calls.push('finish'));
        res.write('a', () => calls.push('write'));
        res.end('b', () => calls.push('end'));
      }),
      albEvent,
    );
    expect(bodyBytes(result).toString()).toBe('ab');
    expect(calls).toContain('write');
    expect(calls).toContain('end');
    expect(calls).toContain('finish');
  });

  it('end(callback) and a second end(callback) both call back', async () => {
    const calls: string[] = [];
    const result = await call(
      framework.wrap((_req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.write('only');
        res.end(() => calls.push('first'));
        res.end(() => calls.push('second'));
      }),
      albEvent,
    );
    expect(result.body).toBe('only');
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.sort()).toEqual(['first', 'second']);
  });

  it('writing null throws the error Node throws', async () => {
    const box: { code?: string } = {};
    await call(
      framework.wrap((_req, res) => {
        try {
          res.write(null);
        } catch (error) {
          box.code = Reflect.get(Object(error), 'code');
        }
        res.end();
      }),
      albEvent,
    );
    expect(box.code).toBe('ERR_STREAM_NULL_VALUES');
  });

  it('a write after end is discarded and reports an error to its callback', async () => {
    const box: { code?: string } = {};
    const result = await call(
      framework.wrap((_req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.end('done');
        res.write('late', (error) => {
          box.code = Reflect.get(Object(error), 'code');
        });
      }),
      albEvent,
    );
    expect(result.body).toBe('done');
    await new Promise((resolve) => setImmediate(resolve));
    expect(box.code).toBe('ERR_STREAM_WRITE_AFTER_END');
  });
});

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])('W4 in %s', (_name, make) => {
  it('res.sendFile(png) gives the PNG byte-exact', async () => {
    const app = make();
    app.get('/pixel.png', (_req, res) => {
      res.sendFile(pngPath);
    });
    const result = await call(app, { ...albEvent, path: '/pixel.png' });
    expect(result.statusCode).toBe(200);
    expect(single(result, 'content-type')).toBe('image/png');
    expect(result.isBase64Encoded).toBe(true);
    expect(bodyBytes(result).equals(png)).toBe(true);
  });
});

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('W4 in %s', (_name, Make) => {
  it('ctx.body = fs.createReadStream(png) gives the PNG byte-exact', async () => {
    const app = new Make();
    app.use((ctx) => {
      ctx.type = 'image/png';
      ctx.body = createReadStream(pngPath);
    });
    const result = await call(app, albEvent);
    expect(result.isBase64Encoded).toBe(true);
    expect(bodyBytes(result).equals(png)).toBe(true);
  });

  it('ctx.body = Buffer gives the bytes as base64 octet-stream', async () => {
    const app = new Make();
    app.use((ctx) => {
      ctx.body = png;
    });
    const result = await call(app, albEventMulti);
    expect(multi(result, 'content-type')).toEqual(['application/octet-stream']);
    expect(bodyBytes(result).equals(png)).toBe(true);
  });
});
