import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'aws-lambda';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import Koa2 from 'koa2';
import { afterEach, describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import { InvalidOptionError, StreamAbortedError, StreamingUnsupportedError } from '../../lib/errors.js';
import { createContext } from '../../lib/invoke/context.js';
import { EmulatedResponseStream } from '../../lib/invoke/stream-invoke.js';
import { isStreamingHandler } from '../../lib/invoke/streaming.js';
import type { LogEntry } from '../../lib/log.js';
import { albEvent } from '../fixtures/alb-event.js';
import { apiGatewayV1Event } from '../fixtures/apigw-v1-event.js';
import { apiGatewayV2Event, functionUrlEvent } from '../fixtures/apigw-v2-event.js';
import { edgeViewerRequestEvent } from '../fixtures/edge-events.js';
import { latticeV2Event } from '../fixtures/lattice-events.js';
import { recordingTarget, runStreaming } from './support.js';

const url = (path: string, method = 'GET') => ({
  ...functionUrlEvent,
  rawPath: path,
  requestContext: {
    ...functionUrlEvent.requestContext,
    http: { ...functionUrlEvent.requestContext.http, method, path },
  },
});

function logged() {
  const entries: LogEntry[] = [];
  return { entries, log: (entry: LogEntry) => entries.push(entry) };
}

describe('toLambda(app, { streaming: true })', () => {
  afterEach(() => {
    delete (globalThis as { awslambda?: unknown }).awslambda;
  });

  it('returns a handler marked as streaming, of three parameters', () => {
    const handler = toLambda((_req, res) => res.end(), { streaming: true });
    expect(isStreamingHandler(handler)).toBe(true);
    expect(handler.length).toBe(3);
  });

  it("uses the runtime's streamifyResponse when the awslambda global exists", () => {
    const seen: unknown[] = [];
    (globalThis as { awslambda?: unknown }).awslambda = {
      streamifyResponse: (handler: unknown) => {
        seen.push(handler);
        return handler;
      },
    };
    const handler = toLambda((_req, res) => res.end(), { streaming: true });
    expect(seen).toEqual([handler]);
  });

  it("uses the runtime's HttpResponseStream.from when the awslambda global exists", async () => {
    const preludes: unknown[] = [];
    (globalThis as { awslambda?: unknown }).awslambda = {
      HttpResponseStream: {
        from(stream: { setContentType(t: string): void; _onBeforeFirstWrite: unknown }, prelude: unknown) {
          preludes.push(prelude);
          stream.setContentType('application/vnd.awslambda.http-integration-response');
          stream._onBeforeFirstWrite = (write: (c: string) => void) => {
            write('{"runtime":true}');
            write('\0\0\0\0\0\0\0\0');
          };
          return stream;
        },
      },
    };
    const posted = await runStreaming(
      toLambda((_req, res) => res.end('x'), { streaming: true }),
      url('/'),
    );
    expect(preludes).toHaveLength(1);
    expect(posted.prelude).toEqual({ runtime: true });
    expect(posted.body.toString()).toBe('x');
  });

  it('refuses a "streaming" option that is not a boolean', () => {
    expect(() => toLambda((_req, res) => res.end(), { streaming: 'yes' as never })).toThrow(
      InvalidOptionError,
    );
  });

  describe.each([
    ['a function URL event', (path: string, method?: string) => url(path, method)],
    [
      'an API Gateway REST event',
      (path: string, method = 'GET') => ({ ...apiGatewayV1Event, path, httpMethod: method }),
    ],
  ])('for %s', (_name, eventFor) => {
    it('sends the head as the prelude (status, headers, every Set-Cookie in cookies), then the body raw', async () => {
      const app = express();
      app.get('/x', (_req, res) => {
        res.cookie('a', '1');
        res.cookie('b', '2');
        res
          .status(201)
          .type('application/octet-stream')
          .send(Buffer.from([0, 1, 2, 255]));
      });
      const posted = await runStreaming(toLambda(app, { streaming: true }), eventFor('/x'));
      expect(posted.error).toBeUndefined();
      expect(posted.contentType).toBe('application/vnd.awslambda.http-integration-response');
      expect(posted.prelude).toMatchObject({
        statusCode: 201,
        headers: { 'content-type': 'application/octet-stream', 'x-powered-by': 'Express' },
        cookies: ['a=1; Path=/', 'b=2; Path=/'],
      });
      expect(posted.prelude?.headers).not.toHaveProperty('set-cookie');
      expect([...posted.body]).toEqual([0, 1, 2, 255]);
      expect(posted.ended).toBe(true);
    });

    it('sends each chunk as the app writes it', async () => {
      const handler = toLambda(
        (_req, res) => {
          res.write('one');
          setTimeout(() => {
            res.write('two');
            res.end('three');
          }, 20);
        },
        { streaming: true },
      );
      const posted = await runStreaming(handler, eventFor('/'));
      const texts = posted.chunks.map(String).filter((c) => c !== '');
      expect(texts.slice(-3)).toEqual(['one', 'two', 'three']);
    });

    it.each([
      ['HEAD', 200],
      ['GET', 204],
      ['GET', 304],
    ])('%s answered %s sends the prelude and no body', async (method, status) => {
      const handler = toLambda(
        (_req, res) => {
          res.statusCode = status;
          res.end('ignored body');
        },
        { streaming: true },
      );
      const posted = await runStreaming(handler, eventFor('/', method));
      expect(posted.prelude).toMatchObject({ statusCode: status });
      expect(posted.body.length).toBe(0);
    });

    it('flushHeaders() sends the prelude at once', async () => {
      let release: () => void = () => {};
      let seen = 0;
      const handler = toLambda(
        (_req, res) => {
          res.setHeader('content-type', 'text/event-stream');
          res.flushHeaders();
          release = () => res.end('data: 1\n\n');
        },
        { streaming: true },
      );
      const running = runStreaming(handler, eventFor('/'));
      await new Promise((r) => setTimeout(r, 20));
      seen = release === undefined ? 0 : 1;
      release();
      const posted = await running;
      expect(seen).toBe(1);
      expect(posted.prelude).toMatchObject({
        statusCode: 200,
        headers: { 'content-type': 'text/event-stream' },
      });
      expect(posted.body.toString()).toBe('data: 1\n\n');
    });
  });

  it('an app error before the head answers a 500 prelude and body', async () => {
    const { entries, log } = logged();
    const handler = toLambda(
      (_req, _res) => {
        throw new Error('boom');
      },
      { streaming: true, log },
    );
    const posted = await runStreaming(handler, url('/'));
    expect(posted.error).toBeUndefined();
    expect(posted.prelude).toMatchObject({ statusCode: 500 });
    expect(posted.body.toString()).toBe('Internal Server Error');
    expect(entries.map((e) => e.code)).toEqual(['APP_ERROR']);
  });

  it('an app error after the first byte rejects the handler, so the runtime ends the stream with an error', async () => {
    const { entries, log } = logged();
    const handler = toLambda(
      async (_req, res) => {
        res.write('partial');
        await new Promise((r) => setTimeout(r, 5));
        throw new Error('late failure');
      },
      { streaming: true, log },
    );
    const posted = await runStreaming(handler, url('/'));
    expect(posted.error).toBeInstanceOf(StreamAbortedError);
    expect((posted.error as Error).message).toContain('late failure');
    expect(posted.body.toString()).toBe('partial');
    expect(posted.ended).toBe(false);
    expect(entries[0]).toMatchObject({ code: 'APP_ERROR' });
    expect(entries[0]?.message).toMatch(/^ended the stream with an error/);
  });

  it('the deadline guard answers 504 for an app that never starts, before the deadline', async () => {
    const { entries, log } = logged();
    const context = createContext({ timeout: 1 }) as Context;
    const handler = toLambda((_req, _res) => {}, { streaming: true, log, deadlineMargin: 200 });
    const posted = await runStreaming(handler, url('/'), { context });
    expect(posted.prelude).toMatchObject({ statusCode: 504 });
    expect(entries.map((e) => e.code)).toEqual(['APP_TIMEOUT']);
  });

  it('the deadline covers the app factory: one that is not ready in time answers 504 before the deadline', async () => {
    const { entries, log } = logged();
    const context = createContext({ timeout: 1 }) as Context;
    const started = performance.now();
    const slowFactory = toLambda(
      () =>
        new Promise<(req: unknown, res: { end(text: string): void }) => void>((resolve) => {
          setTimeout(() => resolve((_req, res) => res.end('late app')), 2_000);
        }),
      { streaming: true, log, deadlineMargin: 200 },
    );
    const posted = await runStreaming(slowFactory, url('/'), { context });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(posted.prelude).toMatchObject({ statusCode: 504 });
    expect(entries.map((e) => e.code)).toEqual(['APP_TIMEOUT']);
    expect(entries[0]?.message).toMatch(/^answered 504: the app was not ready within/);
  });

  it('the deadline guard ends an unfinished stream with an error and a warning', async () => {
    const { entries, log } = logged();
    const context = createContext({ timeout: 1 }) as Context;
    let writesAfter = 0;
    const handler = toLambda(
      (_req, res) => {
        res.write('started');
        const timer = setInterval(() => {
          if (res.write('more') === false || res.destroyed) writesAfter++;
          if (res.destroyed) clearInterval(timer);
        }, 50);
      },
      { streaming: true, log, deadlineMargin: 300 },
    );
    const posted = await runStreaming(handler, url('/'), { context });
    expect(posted.error).toBeInstanceOf(StreamAbortedError);
    expect(entries.map((e) => e.code)).toEqual(['APP_TIMEOUT']);
    expect(entries[0]?.message).toMatch(/^ended the stream with an error: the app did not finish/);
    await new Promise((r) => setTimeout(r, 120));
    expect(writesAfter).toBeGreaterThan(0);
  });

  it('res.write returns false when the response stream is full, and drain follows', async () => {
    const results: boolean[] = [];
    let drains = 0;
    const handler = toLambda(
      (_req, res) => {
        res.on('drain', () => drains++);
        const chunk = Buffer.alloc(4096);
        for (let i = 0; i < 8; i++) results.push(res.write(chunk));
        res.once('drain', () => res.end());
      },
      { streaming: true },
    );
    const posted = await runStreaming(handler, url('/'), { delay: 5, highWaterMark: 8192 });
    expect(results.slice(0, 1)).toEqual([true]);
    expect(results.at(-1)).toBe(false);
    expect(drains).toBeGreaterThanOrEqual(1);
    expect(posted.body.length).toBe(8 * 4096);
  });

  it.each([
    ['an ALB event', albEvent, /an Application Load Balancer/],
    ['an HTTP API event', apiGatewayV2Event, /an API Gateway HTTP API/],
    ['a VPC Lattice event', latticeV2Event, /from VPC Lattice,/],
    ['a Lambda@Edge event', edgeViewerRequestEvent, /Lambda@Edge viewer-request/],
  ])('%s gets a coded error that names the service and the fix', async (_name, event, service) => {
    const posted = await runStreaming(
      toLambda((_req, res) => res.end('x'), { streaming: true }),
      event,
    );
    expect(posted.error).toBeInstanceOf(StreamingUnsupportedError);
    expect((posted.error as StreamingUnsupportedError).code).toBe('LAMBDA_BRIDGE_STREAMING_UNSUPPORTED');
    expect((posted.error as Error).message).toMatch(service);
    expect((posted.error as Error).message).toMatch(/function URL.*REST API/);
    expect(posted.chunks).toEqual([]);
  });

  it('a hand-written REST event (no requestContext) streams as API Gateway REST does', async () => {
    const posted = await runStreaming(
      toLambda((_req, res) => res.end('streamed'), { streaming: true }),
      { httpMethod: 'GET', path: '/hand', headers: {}, body: null, isBase64Encoded: false },
    );
    expect(posted.error).toBeUndefined();
    expect(posted.prelude).toMatchObject({ statusCode: 200 });
    expect(posted.body.toString()).toBe('streamed');
  });

  it('a malformed event answers a 400 prelude', async () => {
    const { log } = logged();
    const posted = await runStreaming(
      toLambda((_req, res) => res.end('x'), { streaming: true, log }),
      { ...url('/'), rawPath: 'no-slash' },
    );
    expect(posted.prelude).toMatchObject({ statusCode: 400 });
  });

  it('a failing app factory answers a 500 prelude', async () => {
    const { entries, log } = logged();
    const posted = await runStreaming(
      toLambda(
        () => {
          throw new Error('no db');
        },
        { streaming: true, log },
      ),
      url('/'),
    );
    expect(posted.prelude).toMatchObject({ statusCode: 500 });
    expect(entries.map((e) => e.code)).toEqual(['APP_INIT_ERROR']);
  });

  it('cuts the stream with a coded warning past 200 MB, and the app stops', async () => {
    const { entries, log } = logged();
    const chunk = Buffer.alloc(1024 * 1024);
    let written = 0;
    const handler = toLambda(
      (_req, res) => {
        const pump = () => {
          while (!res.destroyed && written < 210 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
      },
      { streaming: true, log },
    );
    const posted = await runStreaming(handler, url('/'));
    expect(posted.error).toBeInstanceOf(StreamAbortedError);
    expect(entries.map((e) => e.code)).toContain('STREAM_TOO_LARGE');
    expect(posted.chunks.reduce((n, c) => n + c.length, 0)).toBeLessThanOrEqual(200 * 1024 * 1024 + 1024);
    expect(written).toBeLessThan(210 * 1024 * 1024);
  });

  describe.each([
    ['Express 4', express4],
    ['Express 5', express],
  ])('%s', (_name, make) => {
    it('pipeline(readable, res) streams every chunk', async () => {
      const app = make();
      app.get('/', async (_req, res) => {
        res.type('text/plain');
        await pipeline(Readable.from(['x', 'y', 'z']), res);
      });
      const posted = await runStreaming(toLambda(app, { streaming: true }), url('/'));
      expect(posted.body.toString()).toBe('xyz');
      expect(posted.chunks.map(String).filter((c) => ['x', 'y', 'z'].includes(c))).toEqual(['x', 'y', 'z']);
    });
  });

  describe.each([
    ['Koa 2', Koa2],
    ['Koa 3', Koa],
  ])('%s', (_name, Make) => {
    it('ctx.body = stream streams each chunk', async () => {
      const app = new Make();
      app.use((ctx) => {
        ctx.type = 'text/plain';
        ctx.body = Readable.from([Buffer.from('k1'), Buffer.from('k2')]);
      });
      const posted = await runStreaming(toLambda(app, { streaming: true }), url('/'));
      expect(posted.prelude).toMatchObject({
        statusCode: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      expect(posted.body.toString()).toBe('k1k2');
      expect(posted.chunks.map(String)).toEqual(expect.arrayContaining(['k1', 'k2']));
    });
  });
});

describe('the streamed status line', () => {
  it.each([
    ['a 1xx final status', 199, undefined],
    ['a status past 599', 600, 'Too Far'],
  ])(
    '%s answers a 500 prelude (INVALID_STATUS), as the buffered handler does',
    async (_name, status, reason) => {
      const { entries, log } = logged();
      const handler = toLambda(
        (_req, res) => {
          res.statusCode = status;
          if (reason !== undefined) res.statusMessage = reason;
          res.write('body');
          res.end();
        },
        { streaming: true, log },
      );
      const posted = await runStreaming(handler, url('/'));
      expect(posted.error).toBeUndefined();
      expect(posted.prelude).toMatchObject({ statusCode: 500 });
      expect(posted.body.toString()).toBe('Internal Server Error');
      expect(entries.map((e) => e.code)).toContain('INVALID_STATUS');
    },
  );
});

describe('apps that answer through their own response objects', () => {
  it('a Fastify instance with streaming: true is refused by name (InvalidOptionError)', () => {
    const app = Fastify();
    let error: unknown;
    try {
      toLambda(app, { streaming: true });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('LAMBDA_BRIDGE_INVALID_OPTION');
    expect((error as Error).message).toMatch(/a Fastify instance, which runs buffered only/);
    expect((error as Error).message).toMatch(/Express, Koa/);
    void app.close();
  });

  it('a Hono app (a fetch app) with streaming: true is refused by name', () => {
    const app = new Hono().get('/', (c) => c.text('hi'));
    expect(() => toLambda(app, { streaming: true })).toThrow(/a fetch app .*runs buffered only/);
  });

  it('a factory giving a fetch app answers 500 with an APP_INIT_ERROR warning naming the kind', async () => {
    const { entries, log } = logged();
    const handler = toLambda(() => ({ fetch: () => new Response('x') }), { streaming: true, log });
    const posted = await runStreaming(handler, url('/'));
    expect(posted.prelude).toMatchObject({ statusCode: 500 });
    const warning = entries.find((e) => e.code === 'APP_INIT_ERROR');
    expect(warning?.message).toMatch(/fetch app/);
  });
});

describe('pitfall W5: response streaming (function URL target, not ALB)', () => {
  it('W5: the headers go out with the first chunk, before the app ends', async () => {
    const seen: string[] = [];
    let release: () => void = () => {};
    const handler = toLambda(
      (_req, res) => {
        res.setHeader('x-first', 'yes');
        new Promise<void>((resolve) => {
          release = resolve;
        }).then(() => res.end('two'));
        res.write('one');
      },
      { streaming: true },
    );
    const { posted, target } = recordingTarget();
    const recorder = {
      ...target,
      write(chunk: Buffer, done: (error?: Error | null) => void) {
        seen.push(chunk.toString('latin1'));
        if (seen.join('').includes('one')) release();
        target.write(chunk, done);
      },
    };
    const stream = new EmulatedResponseStream(recorder);
    await handler(url('/') as never, stream as never, createContext());
    const text = seen.join('');
    const prelude = text.slice(0, text.indexOf('\0'));
    expect(JSON.parse(prelude)).toMatchObject({ statusCode: 200, headers: { 'x-first': 'yes' } });
    // "one" arrived before the app wrote "two" (the release waited for it).
    expect(text.indexOf('one')).toBeLessThan(text.indexOf('two'));
    expect(posted.ended).toBe(true);
  });

  it.each([
    ['an empty 200', 200],
    ['a 204', 204],
  ])('W5: %s with an empty body still sends its prelude (one write, then end)', async (_name, status) => {
    const handler = toLambda(
      (_req, res) => {
        res.statusCode = status;
        res.end();
      },
      { streaming: true },
    );
    const posted = await runStreaming(handler, url('/'));
    expect(posted.error).toBeUndefined();
    expect(posted.contentType).toBe('application/vnd.awslambda.http-integration-response');
    expect(posted.prelude).toMatchObject({ statusCode: status });
    expect(posted.body.length).toBe(0);
    expect(posted.ended).toBe(true);
  });
});
