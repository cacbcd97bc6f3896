import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { afterEach, describe, expect, it } from 'vitest';
import { toFetch } from '../../adapters/fetch.js';
import { toKoa } from '../../adapters/koa.js';
import { toExpress, toListener } from '../../adapters/node.js';
import type { AlbEmulatorOptions } from '../../lib/emulate-options.js';
import { invokeHandler } from '../../lib/invoke/handler.js';
import {
  HANDLER_STREAMING,
  HttpResponseStream,
  MalformedStreamingHandlerError,
  streamifyResponse,
} from '../../lib/invoke/streaming.js';
import type { LogEntry } from '../../lib/log.js';
import { closeServers, fetchRaw, listen } from './support.js';

afterEach(closeServers);

type Stream = import('node:stream').Writable & { setContentType(type: string): void };
const streaming = (fn: (event: unknown, stream: Stream, context: unknown) => unknown) =>
  streamifyResponse(fn as (...args: never[]) => unknown);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function logged() {
  const entries: LogEntry[] = [];
  return { entries, log: (entry: LogEntry) => entries.push(entry) };
}

async function serveHandler(handler: unknown, options: AlbEmulatorOptions) {
  return listen(toListener(handler as never, options));
}

const withPrelude = streaming(async (_event, stream) => {
  const out = HttpResponseStream.from(stream, {
    statusCode: 201,
    headers: { 'content-type': 'text/plain', 'x-one': 'yes' },
    cookies: ['a=1; Path=/', 'b=2; Path=/'],
  });
  out.write('hello ');
  await sleep(20);
  out.end('world');
});

describe.each([['function-url'], ['apigw-v1']] as const)('a streaming handler behind format %s', (format) => {
  it('answers with the status, headers and cookies of the prelude, then the body', async () => {
    const base = await serveHandler(withPrelude, { format });
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(201);
    expect(got.headers['content-type']).toBe('text/plain');
    expect(got.headers['x-one']).toBe('yes');
    expect(got.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(got.headers['transfer-encoding']).toBe('chunked');
    expect(got.body.toString()).toBe('hello world');
    expect(got.aborted).toBe(false);
  });

  it('a handler that never calls HttpResponseStream.from answers 200 application/octet-stream', async () => {
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        stream.write(Buffer.from([1, 2, 3]));
        stream.end();
      }),
      { format },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect([...got.body]).toEqual([1, 2, 3]);
  });

  it('setContentType names the content type of a plain stream', async () => {
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        stream.setContentType('text/csv');
        stream.end('a,b\n');
      }),
      { format },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.headers['content-type']).toBe('text/csv');
    expect(got.body.toString()).toBe('a,b\n');
  });
});

// A failed invocation behind a function URL is answered 500 {"message":"Internal Server Error"}.
describe("RIC 4's streaming rules, through format function-url", () => {
  it('a non-async streaming handler fails with "Streaming does not support non-async handlers."', async () => {
    const { entries, log } = logged();
    const base = await serveHandler(
      streaming((_e, stream) => {
        stream.write('sync');
      }),
      { format: 'function-url', log },
    );
    const got = await fetchRaw(`${base}/`);
    // The runtime fails it after its synchronous write: the bytes were out, so the response is cut.
    expect(got.body.toString()).toBe('sync');
    expect(got.aborted).toBe(true);
    expect(entries.map((e) => e.message).join('\n')).toContain(
      'Streaming does not support non-async handlers.',
    );
  });

  it('a non-async handler that wrote nothing answers the service failure with the reason', async () => {
    const base = await serveHandler(
      streaming(() => undefined),
      { format: 'function-url', log: () => {} },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(500);
    expect(got.headers['x-lambda-bridge-reason']).toContain('Streaming does not support non-async handlers.');
  });

  it('a stream left unfinished when the promise settles runs into the timeout, as the runtime waits for it', async () => {
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        stream.setContentType('text/plain');
      }),
      { format: 'function-url', log: () => {}, timeout: 300 },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(500);
    expect(got.headers['x-lambda-bridge-reason']).toContain('Task timed out after 0.30 seconds');
  });

  it('a stream destroyed unfinished fails with "Response stream is not finished."', async () => {
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        stream.destroy();
      }),
      { format: 'function-url', log: () => {} },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(500);
    expect(got.headers['x-lambda-bridge-reason']).toContain('Response stream is not finished.');
  });

  it('an unfinished stream after its first byte cuts the response short', async () => {
    const { entries, log } = logged();
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        stream.write('partial');
      }),
      { format: 'function-url', log, timeout: 300 },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(200);
    expect(got.aborted).toBe(true);
    expect(got.body.toString()).toBe('partial');
    expect(entries.map((e) => e.message).join('\n')).toMatch(/cut the streamed response short.*timed out/);
  });

  it('a returned value is ignored with a warning', async () => {
    const { entries, log } = logged();
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        stream.end('body');
        return { statusCode: 500 };
      }),
      { format: 'function-url', log },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('body');
    expect(entries.map((e) => e.message)).toContain('Streaming handlers ignore return values.');
  });

  it('an error after the first byte truncates the response', async () => {
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        stream.write('first');
        await sleep(30);
        throw new Error('broke mid-stream');
      }),
      { format: 'function-url', log: () => {} },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('first');
    expect(got.aborted).toBe(true);
  });

  it('an error before the first byte answers the service failure', async () => {
    const base = await serveHandler(
      streaming(async () => {
        throw new TypeError('nope');
      }),
      { format: 'function-url', log: () => {} },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(500);
    expect(got.headers['x-lambda-bridge-reason']).toContain('TypeError: nope');
  });

  it('a timeout after the first byte truncates the response', async () => {
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        stream.write('slow');
        await sleep(2000);
        stream.end();
      }),
      { format: 'function-url', timeout: 300, log: () => {} },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.body.toString()).toBe('slow');
    expect(got.aborted).toBe(true);
  });

  it('a prelude stream that only sees end(chunk) is refused: the prelude never went out', async () => {
    const base = await serveHandler(
      streaming(async (_e, stream) => {
        HttpResponseStream.from(stream, { statusCode: 200 }).end('only end');
      }),
      { format: 'function-url', log: () => {} },
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(500);
    expect(got.headers['x-lambda-bridge-reason']).toMatch(/prelude was complete/);
  });

  it('a malformed streaming mark is refused when the middleware is built', () => {
    const handler = Object.assign(async () => {}, { [HANDLER_STREAMING]: 'request' });
    expect(() => toListener(handler as never, { format: 'function-url' })).toThrow(
      MalformedStreamingHandlerError,
    );
  });

  it('HEAD gets the head and no body', async () => {
    const base = await serveHandler(withPrelude, { format: 'function-url' });
    const got = await fetchRaw(`${base}/`, 'HEAD');
    expect(got.status).toBe(201);
    expect(got.body.length).toBe(0);
  });
});

describe('a streaming handler behind a service that cannot stream', () => {
  it("format 'alb' answers the ALB's 502 page, the reason naming the ALB and the fix", async () => {
    const base = await serveHandler(withPrelude, { log: () => {} });
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(502);
    expect(got.headers.server).toBe('awselb/2.0');
    expect(got.headers['x-lambda-bridge-reason']).toMatch(/Application Load Balancer cannot stream/);
    expect(got.headers['x-lambda-bridge-reason']).toMatch(/function URL.*REST API/);
  });

  it("format 'apigw-v2' answers the HTTP API's failure, the reason naming the HTTP API", async () => {
    const base = await serveHandler(withPrelude, { format: 'apigw-v2', log: () => {} });
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(500);
    expect(got.body.toString()).toBe('{"message":"Internal Server Error"}');
    expect(got.headers['x-lambda-bridge-reason']).toMatch(/HTTP API.*cannot stream/);
  });

  it('toFetch, which answers buffered only, fails it with a reason naming the hosts that stream', async () => {
    const fetchHandler = toFetch(withPrelude as never, { format: 'function-url', log: () => {} });
    const response = await fetchHandler(new Request('http://localhost/'));
    expect(response.status).toBe(500);
    expect(response.headers.get('x-lambda-bridge-reason')).toMatch(
      /buffered responses only.*toListener, toExpress, toKoa or lambda-bridge serve/,
    );
  });
});

describe('limits', () => {
  it('streamBandwidth: true sends the bytes past the first 6 MB at 2 MB/s', async () => {
    const size = 8 * 1024 * 1024;
    const handler = streaming(async (_e, stream) => {
      const chunk = Buffer.alloc(256 * 1024);
      for (let sent = 0; sent < size; sent += chunk.length) {
        if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
      }
      stream.end();
    });
    const base = await serveHandler(handler, {
      format: 'function-url',
      streamBandwidth: true,
      timeout: 30_000,
    });
    const started = performance.now();
    const got = await fetchRaw(`${base}/`);
    const took = performance.now() - started;
    expect(got.body.length).toBe(size);
    // 2 MB past the first 6 MB at 2 MB/s: a second at least (a lower bound only).
    expect(took).toBeGreaterThanOrEqual(900);
  });

  it('a stream past 200 MB is cut short with a coded warning', async () => {
    const { entries, log } = logged();
    let refused = false;
    const handler = streaming(async (_e, stream) => {
      const chunk = Buffer.alloc(1024 * 1024);
      stream.on('error', () => {
        refused = true;
      });
      for (let i = 0; i < 205 && !stream.destroyed; i++) {
        if (!stream.write(chunk))
          await new Promise((r) => {
            stream.once('drain', r);
            stream.once('close', r);
          });
      }
      stream.end();
    });
    const base = await serveHandler(handler, { format: 'function-url', timeout: 60_000, log });
    const got = await fetchRaw(`${base}/`);
    expect(got.aborted).toBe(true);
    expect(got.body.length).toBeLessThanOrEqual(200 * 1024 * 1024);
    expect(got.body.length).toBeGreaterThan(190 * 1024 * 1024);
    expect(entries.map((e) => e.code)).toContain('STREAM_TOO_LARGE');
    expect(refused).toBe(true);
  });
});

describe('mounted in a framework', () => {
  it.each([
    ['Express 4', express4],
    ['Express 5', express],
  ])('%s: toExpress streams the handler', async (_name, make) => {
    const app = make();
    app.use('/s', toExpress(withPrelude as never, { format: 'function-url' }));
    const base = await listen(app);
    const got = await fetchRaw(`${base}/s`);
    expect(got.status).toBe(201);
    expect(got.body.toString()).toBe('hello world');
  });

  it.each([
    ['Koa 2', Koa2],
    ['Koa 3', Koa],
  ])('%s: toKoa streams the handler', async (_name, Make) => {
    const app = new Make();
    app.use(toKoa(withPrelude as never, { format: 'apigw-v1' }));
    const base = await listen(app.callback());
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(201);
    expect(got.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(got.body.toString()).toBe('hello world');
  });
});

describe('the emulated response stream', () => {
  it("has the highWaterMark streamifyResponse was given, as the runtime's stream does", async () => {
    const handler = streamifyResponse(
      async (_event: unknown, stream: Stream) => {
        stream.end(String(stream.writableHighWaterMark));
      },
      { highWaterMark: 1234 },
    );
    const outcome = await invokeHandler(handler as never, {});
    expect(outcome).toEqual({
      stream: { contentType: 'application/octet-stream', body: Buffer.from('1234') },
    });
  });
});
