import http from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import { toListener } from '../../adapters/node.js';
import { type DevServer, serve } from '../../adapters/serve.js';
import { HttpResponseStream, streamifyResponse } from '../../lib/invoke/streaming.js';
import { functionUrlEvent } from '../fixtures/apigw-v2-event.js';
import { closeServers, fetchRaw, listen, runStreaming } from './support.js';

type Stream = import('node:stream').Writable & { setContentType(type: string): void };
const streaming = (fn: (event: unknown, stream: Stream, context: unknown) => unknown) =>
  streamifyResponse(fn as (...args: never[]) => unknown);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const handlerFile = join(import.meta.dirname, 'fixtures', 'raw-handler.ts');
const running: DevServer[] = [];
afterEach(async () => {
  await closeServers();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe.each([[204], [304]])('a streamed %s carries no body', (status) => {
  it.each([['function-url'], ['apigw-v1']] as const)(
    'reverse, format %s: the client gets the head only',
    async (format) => {
      const base = await listen(
        toListener(
          streaming(async (_e, stream) => {
            const out = HttpResponseStream.from(stream, { statusCode: status, headers: { etag: '"1"' } });
            out.write('not sent');
            out.end();
          }) as never,
          { format },
        ),
      );
      const got = await fetchRaw(`${base}/`);
      expect(got.status).toBe(status);
      expect(got.headers.etag).toBe('"1"');
      expect(got.body.length).toBe(0);
      expect(got.aborted).toBe(false);
    },
  );

  it('forward, Express 5: the prelude has the status and the stream no body bytes', async () => {
    const app = express();
    app.get('/', (_req, res) => {
      res.status(status).set('etag', '"1"').send('not sent');
    });
    const event = {
      ...functionUrlEvent,
      rawPath: '/',
      requestContext: {
        ...functionUrlEvent.requestContext,
        http: { ...functionUrlEvent.requestContext.http, method: 'GET', path: '/' },
      },
    };
    const posted = await runStreaming(toLambda(app, { streaming: true }), event);
    expect(posted.error).toBeUndefined();
    expect(posted.prelude?.statusCode).toBe(status);
    expect(posted.body.length).toBe(0);
    expect(posted.ended).toBe(true);
  });
});

describe('a client that goes away mid-stream', () => {
  it('in process: the handler runs to its end, its writes taken and discarded', async () => {
    let finished: (written: number) => void = () => {};
    const ran = new Promise<number>((resolve) => {
      finished = resolve;
    });
    const base = await listen(
      toListener(
        streaming(async (_e, stream) => {
          let written = 0;
          for (let i = 0; i < 30; i++) {
            const ok = stream.write(Buffer.alloc(32 * 1024, 'x'));
            written++;
            if (!ok) await new Promise((r) => stream.once('drain', r));
            await sleep(5);
          }
          await new Promise<void>((r) => stream.end(r));
          finished(written);
        }) as never,
        { format: 'function-url', timeout: 20_000 },
      ),
    );
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${base}/`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.on('close', resolve);
      setTimeout(() => reject(new Error('no first chunk')), 10_000);
    });
    expect(await ran).toBe(30);
  });

  it('through serve (isolated environment): the handler streams its 40 MB to the end', async () => {
    const server = await serve({
      handler: handlerFile,
      port: 0,
      format: 'function-url',
      concurrency: 1,
      timeout: 30_000,
    });
    running.push(server);
    await new Promise<void>((resolve) => {
      const req = http.get(`${server.url}/slow`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
    });
    // The environment is busy until the handler ends: /state runs after it.
    const state = JSON.parse((await fetchRaw(`${server.url}/state`)).body.toString());
    expect(state).toMatchObject({ finished: true, written: 40 * 1024 * 1024 });
  }, 60_000);
});

describe('backpressure through serve across the process boundary', () => {
  it('a paused client holds the handler: write() returns false and it waits for drain, a bounded amount written', async () => {
    const server = await serve({
      handler: handlerFile,
      port: 0,
      format: 'function-url',
      concurrency: 1,
      maxConcurrency: 4,
      timeout: 60_000,
    });
    running.push(server);
    const readState = async () => JSON.parse((await fetchRaw(`${server.url}/state`)).body.toString());
    let response: http.IncomingMessage | undefined;
    await new Promise<void>((resolve) => {
      const req = http.get(`${server.url}/slow`, { agent: false }, (res) => {
        response = res;
        res.pause();
        resolve();
      });
      req.on('error', () => {});
    });
    await sleep(1500);
    const held = await readState();
    await sleep(1000);
    const later = await readState();
    expect(held.finished).toBe(false);
    expect(held.refused).toBeGreaterThan(0);
    // Nothing more went while the client read nothing: the handler waits for drain.
    expect(later.written).toBe(held.written);
    expect(later.refused).toBe(later.drains + 1);
    expect(later.written).toBeLessThan(40 * 1024 * 1024);
    let received = 0;
    const res = response as http.IncomingMessage;
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    res.resume();
    await new Promise((r) => res.on('end', r));
    expect(received).toBe(40 * 1024 * 1024);
    const done = await readState();
    expect(done).toMatchObject({ finished: true, written: 40 * 1024 * 1024 });
    expect(done.drains).toBe(done.refused);
  }, 60_000);
});
