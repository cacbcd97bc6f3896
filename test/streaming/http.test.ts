import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import { toListener } from '../../adapters/node.js';
import type { FormatName } from '../../lib/emulate.js';
import { streamifyResponse } from '../../lib/invoke/streaming.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(listener: http.RequestListener): Promise<string> {
  const server = http.createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function get(url: string, method = 'GET'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** Each chunk the client receives, with the milliseconds since the request started. */
async function timedChunks(url: string): Promise<{ res: IncomingMessage; chunks: [string, number][] }> {
  const started = performance.now();
  const res = await get(url);
  const chunks: [string, number][] = [];
  for await (const chunk of res) chunks.push([String(chunk), performance.now() - started]);
  return { res, chunks };
}

function abApp() {
  const app = express();
  app.get('/ab', (_req, res) => {
    res.type('text/plain');
    res.write('a');
    setTimeout(() => res.end('b'), 300);
  });
  return app;
}

describe.each<[FormatName]>([['function-url'], ['apigw-v1']])(
  'toListener(toLambda(app, { streaming: true }), { format: %s }) over real HTTP',
  (format) => {
    it('the client receives "a" at least 250 ms before "b"', async () => {
      const base = await listen(toListener(toLambda(abApp(), { streaming: true }), { format }));
      const { res, chunks } = await timedChunks(`${base}/ab`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(chunks.map(([c]) => c).join('')).toBe('ab');
      const a = chunks.find(([c]) => c.includes('a'));
      const b = chunks.find(([c]) => c.includes('b'));
      expect(a?.[0]).toBe('a');
      expect((b?.[1] ?? 0) - (a?.[1] ?? 0)).toBeGreaterThanOrEqual(250);
    });

    it('a 5 MiB random application/octet-stream body arrives byte-identical', async () => {
      const bytes = randomBytes(5 * 1024 * 1024);
      const app = express();
      app.get('/bin', (_req, res) => {
        res.type('application/octet-stream');
        let at = 0;
        const pump = () => {
          while (at < bytes.length) {
            const chunk = bytes.subarray(at, at + 64 * 1024);
            at += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end();
        };
        pump();
      });
      const base = await listen(toListener(toLambda(app, { streaming: true }), { format }));
      const res = await get(`${base}/bin`);
      const parts: Buffer[] = [];
      for await (const chunk of res) parts.push(chunk as Buffer);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    });

    it('two cookies arrive as two Set-Cookie lines', async () => {
      const app = express();
      app.get('/c', (_req, res) => {
        res.cookie('first', '1', { httpOnly: true });
        res.cookie('second', '2');
        res.send('ok');
      });
      const base = await listen(toListener(toLambda(app, { streaming: true }), { format }));
      const res = await get(`${base}/c`);
      res.resume();
      const lines = res.rawHeaders.filter(
        (_v, i) => i % 2 === 0 && res.rawHeaders[i].toLowerCase() === 'set-cookie',
      );
      expect(lines).toHaveLength(2);
      expect(res.headers['set-cookie']).toEqual(['first=1; Path=/; HttpOnly', 'second=2; Path=/']);
    });
  },
);

describe('streamed responses through real HTTP', () => {
  it("a client that reads slowly keeps the app's buffered bytes bounded", async () => {
    const chunk = Buffer.alloc(16 * 1024, 120);
    const total = 32 * 1024 * 1024;
    let written = 0;
    const app = express();
    app.get('/big', (_req, res) => {
      res.type('application/octet-stream');
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const inner = toLambda(app, { streaming: true });
    let highWaterMark = 0;
    let maxBuffered = 0;
    // The runtime's stream as the app writes into it: its queue is what the app has buffered.
    const measured = streamifyResponse(
      async (
        event: never,
        stream: {
          writableLength: number;
          writableHighWaterMark: number;
          write: (...args: unknown[]) => boolean;
        },
        context: never,
      ) => {
        highWaterMark = stream.writableHighWaterMark;
        const write = stream.write.bind(stream);
        stream.write = (...args: unknown[]) => {
          const ok = write(...args);
          maxBuffered = Math.max(maxBuffered, stream.writableLength);
          return ok;
        };
        return inner(event, stream as never, context);
      },
    );
    const base = await listen(toListener(measured, { format: 'function-url', timeout: 60_000 }));
    const res = await get(`${base}/big`);
    let received = 0;
    let behindMax = 0;
    res.pause();
    // Read 256 KiB every 10 ms: far slower than the app could write.
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        let piece: Buffer | null = res.read(256 * 1024) as Buffer | null;
        while (piece === null && res.readableLength > 0) piece = res.read() as Buffer | null;
        if (piece) received += piece.length;
        behindMax = Math.max(behindMax, written - received);
        if (res.readableEnded || (received >= total && res.readableLength === 0)) {
          clearInterval(tick);
          resolve();
        }
      }, 10);
      res.on('end', () => {
        clearInterval(tick);
        resolve();
      });
    });
    expect(received).toBe(total);
    expect(highWaterMark).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(2 * highWaterMark + chunk.length);
    // The app never ran far ahead of the client: the kernel's socket buffers at most, not the body.
    expect(behindMax).toBeLessThan(total / 2);
    console.info(
      `slow reader: runtime stream held at most ${maxBuffered} bytes (highWaterMark ${highWaterMark}); the app was at most ${behindMax} bytes ahead of the client`,
    );
  });

  it('Express res.sendFile streams the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-stream-'));
    const file = join(dir, 'data.bin');
    const bytes = randomBytes(1024 * 1024);
    writeFileSync(file, bytes);
    const app = express();
    app.get('/file', (_req, res) => res.sendFile(file));
    const base = await listen(toListener(toLambda(app, { streaming: true }), { format: 'function-url' }));
    const res = await get(`${base}/file`);
    const parts: Buffer[] = [];
    for await (const chunk of res) parts.push(chunk as Buffer);
    expect(res.statusCode).toBe(200);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    expect(parts.length).toBeGreaterThan(1);
  });

  it('server-sent events arrive one by one, as the app flushes them', async () => {
    const app = express();
    app.get('/events', (_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.setHeader('cache-control', 'no-cache');
      res.flushHeaders();
      let n = 0;
      const timer = setInterval(() => {
        n++;
        res.write(`data: ${n}\n\n`);
        if (n === 3) {
          clearInterval(timer);
          res.end();
        }
      }, 150);
    });
    const base = await listen(toListener(toLambda(app, { streaming: true }), { format: 'function-url' }));
    const started = performance.now();
    const res = await get(`${base}/events`);
    const headAt = performance.now() - started;
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events: [string, number][] = [];
    for await (const chunk of res) events.push([String(chunk), performance.now() - started]);
    expect(events.map(([e]) => e).join('')).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    expect(events.length).toBe(3);
    expect(headAt).toBeLessThan(events[0][1]);
    expect(events[2][1] - events[0][1]).toBeGreaterThanOrEqual(200);
  });

  it('HEAD gets the head and no body', async () => {
    const app = express();
    app.get('/h', (_req, res) => res.type('text/plain').send('body'));
    const base = await listen(toListener(toLambda(app, { streaming: true }), { format: 'function-url' }));
    const res = await get(`${base}/h`, 'HEAD');
    const parts: Buffer[] = [];
    for await (const chunk of res) parts.push(chunk as Buffer);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(Buffer.concat(parts).length).toBe(0);
  });
});
