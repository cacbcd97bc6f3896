import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import express from 'express';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { toLambda, toListener } from '../../index.js';
import { baseEvent, baseMultiEvent } from '../fixtures/malformed/events.js';
import { loose } from '../reverse/support.js';
import {
  collector,
  exchangeRaw,
  guardProcess,
  parseResponse,
  prototypeSnapshot,
  silent,
  sleep,
  useServers,
  within,
} from './support.js';

guardProcess();
const { listen } = useServers();

const MB = 1024 * 1024;

function bodyOf(result: ALBResult): Buffer {
  return Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
}

const TOKEN_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/;

/** Checks that every line of a raw response's header block is one well-formed header line. */
function expectCleanHeaderBlock(raw: Buffer): void {
  const end = raw.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  const block = raw.subarray(0, end).toString('latin1');
  const [statusLine, ...lines] = block.split('\r\n');
  expect(statusLine).toMatch(/^HTTP\/1\.1 \d{3} [\t\x20-\x7e]*$/);
  for (const line of lines) expect(line).toMatch(TOKEN_LINE);
  // Text of the attempt may appear inside a value (the reason header quotes it), never as a line.
  for (const line of lines) expect(line).not.toMatch(/^x-injected\s*:/i);
  // No bare CR or LF anywhere in the block.
  expect(block.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
}

const GET = Buffer.from('GET /inject HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');

describe('header injection', () => {
  const injections: Array<[string, unknown]> = [
    ['a header value with CR LF', { statusCode: 200, headers: { 'x-a': 'a\r\nX-Injected: 1' } }],
    ['a header value with a bare LF', { statusCode: 200, headers: { 'x-a': 'a\nX-Injected: 1' } }],
    ['a header value with a bare CR', { statusCode: 200, headers: { 'x-a': 'a\rX-Injected: 1' } }],
    ['a header name with CR LF', { statusCode: 200, headers: { 'x-a\r\nX-Injected': '1' } }],
    ['a Set-Cookie with CR LF', { statusCode: 200, headers: { 'set-cookie': 'a=1\r\nX-Injected: 1' } }],
    [
      'a multi-value Set-Cookie with CR LF',
      { statusCode: 200, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2\r\nX-Injected: 1'] } },
    ],
    [
      'a multi-value header name with CR LF',
      { statusCode: 200, multiValueHeaders: { 'a\r\nX-Injected': ['1'] } },
    ],
    ['a statusDescription with CR LF', { statusCode: 200, statusDescription: '200 OK\r\nX-Injected: 1' }],
    ['a statusDescription with a bare LF', { statusCode: 200, statusDescription: '200 OK\nX-Injected: 1' }],
    [
      'an array header value with CR LF (strict off)',
      { statusCode: 200, headers: { 'x-a': ['a\r\nX-Injected: 1'] } },
    ],
  ];

  for (const [name, result] of injections) {
    for (const multiValueHeaders of [false, true]) {
      for (const strict of [true, false]) {
        it(`CR/LF from a handler result never reaches the wire: ${name} (${multiValueHeaders ? 'multi' : 'single'}-value, strict ${strict})`, async () => {
          const { port } = await listen(
            toListener(
              loose(async () => result),
              { log: silent, multiValueHeaders, strict },
            ),
          );
          const raw = await exchangeRaw(port, GET);
          expectCleanHeaderBlock(raw);
        });
      }
    }
  }

  it('CR/LF in a handler error message never reaches the wire (the reason header is one line)', async () => {
    const handler = async () => {
      throw new Error('boom\r\nX-Injected: 1\nX-Injected: 2');
    };
    const { port } = await listen(toListener(handler, { log: silent }));
    const raw = await exchangeRaw(port, GET);
    expect(parseResponse(raw, 'GET').status).toBe(502);
    expectCleanHeaderBlock(raw);
  });

  it('CR/LF an app puts in a header or status message behind toLambda never reaches the wire', async () => {
    const attempts: Array<(res: ServerResponse) => void> = [
      (res) => res.setHeader('x-a', 'a\r\nX-Injected: 1'),
      (res) => res.writeHead(200, { 'x-a': 'a\nX-Injected: 1' }),
      (res) => res.writeHead(200, 'OK\r\nX-Injected: 1'),
      (res) => {
        res.statusMessage = 'OK\r\nX-Injected: 1';
      },
      (res) => res.setHeader('x-a\r\nX-Injected', '1'),
    ];
    for (const attempt of attempts) {
      const app = (_req: IncomingMessage, res: ServerResponse) => {
        attempt(res);
        res.end('body');
      };
      for (const multiValueHeaders of [false, true]) {
        const { port } = await listen(
          toListener(toLambda(app, { log: silent }), { log: silent, multiValueHeaders }),
        );
        const raw = await exchangeRaw(port, GET);
        // Node refuses the value, so the app fails: a 500 from the bridge.
        expect(parseResponse(raw, 'GET').status).toBe(500);
        expectCleanHeaderBlock(raw);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('prototype pollution', () => {
  const hostileQuery = JSON.parse(
    '{"__proto__":"p","constructor":"c","__proto__[polluted]":"1","constructor[prototype][polluted]":"1","a[__proto__][polluted]":"1","toString":"t"}',
  );
  const hostileHeaders = JSON.parse(
    '{"__proto__":"p","constructor":"c","tostring":"t","hasownproperty":"h"}',
  );

  function hostileEvent(multi: boolean): ALBEvent {
    if (!multi) {
      return {
        ...baseEvent(),
        queryStringParameters: hostileQuery,
        headers: { ...baseEvent().headers, ...hostileHeaders },
      };
    }
    const wrap = (o: Record<string, string>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [v, v]]));
    return {
      ...baseMultiEvent(),
      multiValueQueryStringParameters: wrap(hostileQuery),
      multiValueHeaders: { ...baseMultiEvent().multiValueHeaders, ...wrap(hostileHeaders) },
    };
  }

  const expressApp = express();
  expressApp.set('query parser', 'extended');
  expressApp.use((req, res) => {
    res.json({ query: req.query, constructorHeader: req.headers.constructor, url: req.url });
  });
  const koaApp = new Koa();
  koaApp.silent = true;
  koaApp.use((ctx) => {
    ctx.body = { query: ctx.query, constructorHeader: ctx.get('constructor'), url: ctx.url };
  });
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    res.end(JSON.stringify({ constructorHeader: req.headers.constructor, url: req.url }));
  };

  for (const [name, app] of [
    ['Express (qs)', expressApp],
    ['Koa', koaApp],
    ['a plain listener', listener],
  ] as const) {
    for (const multi of [false, true]) {
      it(`prototype-pollution keys in an event's query and headers change no prototype: ${name}, ${multi ? 'multi' : 'single'}-value`, async () => {
        const before = prototypeSnapshot();
        const { log, entries } = collector();
        const result = await toLambda(app, { log })(hostileEvent(multi));
        expect(result.statusCode, String(result.body)).toBe(200);
        expect(entries).toEqual([]);
        expect(prototypeSnapshot()).toBe(before);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        const seen = JSON.parse(bodyOf(result).toString());
        // The `constructor` header is a header like any other, folded as Node folds it.
        expect(seen.constructorHeader).toBe(multi ? 'c, c' : 'c');
        expect(seen.url).toContain('__proto__=p');
        expect(seen.url).toContain('constructor=c');
      });
    }
  }

  for (const multiValueHeaders of [false, true]) {
    it(`prototype-pollution keys in a request's query and headers change no prototype in the reverse event (${multiValueHeaders ? 'multi' : 'single'}-value)`, async () => {
      const before = prototypeSnapshot();
      const events: ALBEvent[] = [];
      const handler = async (event: ALBEvent) => {
        events.push(event);
        return { statusCode: 200, body: 'ok' };
      };
      const { port } = await listen(toListener(handler, { log: silent, multiValueHeaders }));
      const raw = await exchangeRaw(
        port,
        Buffer.from(
          'GET /p?__proto__=p&constructor=c&__proto__[polluted]=1&constructor[prototype][polluted]=1&toString=t HTTP/1.1\r\n' +
            'Host: 127.0.0.1\r\n__proto__: hp\r\nconstructor: hc\r\nhasOwnProperty: hh\r\nConnection: close\r\n\r\n',
        ),
      );
      expect(parseResponse(raw, 'GET').status).toBe(200);
      expect(prototypeSnapshot()).toBe(before);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(events).toHaveLength(1);
      const [event] = events;
      const query =
        (multiValueHeaders ? event.multiValueQueryStringParameters : event.queryStringParameters) ?? {};
      const headers = (multiValueHeaders ? event.multiValueHeaders : event.headers) ?? {};
      for (const map of [query, headers]) expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
      const value = (v: string) => (multiValueHeaders ? [v] : v);
      expect(Object.getOwnPropertyDescriptor(query, '__proto__')?.value).toEqual(value('p'));
      expect(Object.getOwnPropertyDescriptor(query, 'constructor')?.value).toEqual(value('c'));
      expect(Object.getOwnPropertyDescriptor(query, 'toString')?.value).toEqual(value('t'));
      expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toEqual(value('hp'));
      expect(Object.getOwnPropertyDescriptor(headers, 'constructor')?.value).toEqual(value('hc'));
      expect(Object.getOwnPropertyDescriptor(headers, 'hasownproperty')?.value).toEqual(value('hh'));
      // As JSON, the event the runtime would deliver holds the same keys.
      expect(JSON.parse(JSON.stringify(event))).toEqual(JSON.parse(JSON.stringify(event)));
    });
  }

  it('response headers named after Object.prototype members reach the result and the wire', async () => {
    const app = (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('__proto__', 'p');
      res.setHeader('constructor', 'c');
      res.appendHeader('constructor', 'd');
      res.setHeader('toString', 't');
      res.end('ok');
    };
    for (const multiValueHeaders of [false, true]) {
      const { port } = await listen(
        toListener(toLambda(app, { log: silent }), { log: silent, multiValueHeaders }),
      );
      const response = parseResponse(await exchangeRaw(port, GET), 'GET');
      expect(response.status).toBe(200);
      const lines = response.lines.map(([n, v]) => `${n.toLowerCase()}: ${v}`);
      expect(lines).toContain('__proto__: p');
      expect(lines).toContain('tostring: t');
      expect(lines.filter((l) => l.startsWith('constructor:'))).toEqual(
        multiValueHeaders ? ['constructor: c', 'constructor: d'] : ['constructor: c, d'],
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('the peer address', () => {
  const peerApp = express();
  peerApp.use((req, res) => {
    res.json({ remote: req.socket.remoteAddress, ip: req.ip, forwarded: req.headers['x-forwarded-for'] });
  });

  it('a spoofed x-forwarded-for does not change the peer the app sees (the last hop wins), single-value', async () => {
    const event = {
      ...baseEvent(),
      headers: { ...baseEvent().headers, 'x-forwarded-for': '6.6.6.6, 10.0.0.5' },
    };
    const seen = JSON.parse(bodyOf(await toLambda(peerApp, { log: silent })(event)).toString());
    expect(seen).toEqual({ remote: '10.0.0.5', ip: '10.0.0.5', forwarded: '6.6.6.6, 10.0.0.5' });
  });

  it('a spoofed x-forwarded-for does not change the peer the app sees (the last hop wins), multi-value', async () => {
    const event = {
      ...baseMultiEvent(),
      multiValueHeaders: {
        ...baseMultiEvent().multiValueHeaders,
        'x-forwarded-for': ['6.6.6.6', '1.1.1.1, 10.0.0.5'],
      },
    };
    const seen = JSON.parse(bodyOf(await toLambda(peerApp, { log: silent })(event)).toString());
    expect(seen.remote).toBe('10.0.0.5');
    expect(seen.ip).toBe('10.0.0.5');
  });

  it('a spoofed x-forwarded-for sent through the emulated ALB does not change the peer the app sees', async () => {
    for (const multiValueHeaders of [false, true]) {
      const { port } = await listen(
        toListener(toLambda(peerApp, { log: silent }), { log: silent, multiValueHeaders }),
      );
      const raw = await exchangeRaw(
        port,
        Buffer.from(
          'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 7.7.7.7\r\nConnection: close\r\n\r\n',
        ),
      );
      const seen = JSON.parse(parseResponse(raw, 'GET').body.toString());
      expect(seen).toEqual({
        remote: '127.0.0.1',
        ip: '127.0.0.1',
        forwarded: '6.6.6.6, 7.7.7.7, 127.0.0.1',
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * Sends a request head and then body chunks until the server answers or `total` bytes are sent;
 * returns the answer and how many body bytes had been sent when it came.
 */
function upload(
  port: number,
  head: string,
  total: number,
  chunked: boolean,
): Promise<{ raw: Buffer; sentWhenAnswered: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sent = 0;
    let sentWhenAnswered = -1;
    const piece = Buffer.alloc(64 * 1024, 0x61);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 15 s'));
    }, 15_000);
    socket.on('data', (chunk: Buffer) => {
      if (sentWhenAnswered === -1) sentWhenAnswered = sent;
      chunks.push(chunk);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ raw: Buffer.concat(chunks), sentWhenAnswered });
    });
    socket.on('connect', async () => {
      socket.write(head);
      while (sent < total && sentWhenAnswered === -1 && !socket.destroyed) {
        const size = Math.min(piece.length, total - sent);
        const data = piece.subarray(0, size);
        socket.write(
          chunked
            ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), data, Buffer.from('\r\n')])
            : data,
        );
        sent += size;
        await sleep(2);
      }
    });
  });
}

describe('size limits before the body is buffered', () => {
  it('a 5 MB upload with a correct content-length is refused with 413 before it is read, and the handler never runs', async () => {
    let invoked = 0;
    const { log, entries } = collector();
    const { port } = await listen(
      toListener(
        async () => {
          invoked++;
          return { statusCode: 200 };
        },
        { log },
      ),
    );
    const size = 5 * MB;
    const { raw, sentWhenAnswered } = await upload(
      port,
      `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\n\r\n`,
      size,
      false,
    );
    const response = parseResponse(raw.subarray(0, raw.indexOf('</html>') + 9), 'POST');
    expect(response.status).toBe(413);
    expect(response.headers.connection).toBe('close');
    // The answer came from the declared length: before the first megabyte was sent.
    expect(sentWhenAnswered).toBeLessThan(MB);
    expect(invoked).toBe(0);
    expect(entries.map((e) => e.code)).toEqual(['REQUEST_TOO_LARGE']);
  });

  it('a chunked upload is refused with 413 once it passes 1 MB, before the rest of a 16 MB upload is sent', async () => {
    let invoked = 0;
    const { port } = await listen(
      toListener(
        async () => {
          invoked++;
          return { statusCode: 200 };
        },
        { log: silent },
      ),
    );
    const { raw, sentWhenAnswered } = await upload(
      port,
      'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n',
      16 * MB,
      true,
    );
    expect(raw.toString('latin1')).toMatch(/^HTTP\/1\.1 413 /);
    expect(sentWhenAnswered).toBeGreaterThan(MB);
    expect(sentWhenAnswered).toBeLessThan(16 * MB);
    expect(invoked).toBe(0);
  });

  it('a response body that can never fit 1 MB is answered with 502 before the app finishes writing it', async () => {
    const total = 40;
    let produced = 0;
    let destroyed = false;
    const app = (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('content-type', 'application/octet-stream');
      const source = new Readable({
        read() {
          if (produced === total) return this.push(null);
          produced++;
          setImmediate(() => this.push(Buffer.alloc(256 * 1024, produced)));
        },
        destroy(error, callback) {
          destroyed = true;
          callback(error);
        },
      });
      pipeline(source, res).catch(() => {});
    };
    const { log, entries } = collector();
    const event = {
      ...baseEvent(),
      httpMethod: 'GET',
      body: '',
      headers: { ...baseEvent().headers, 'accept-encoding': 'identity' },
    };
    const result = await within(toLambda(app, { log })(event), 5000, 'the invocation');
    const producedWhenAnswered = produced;
    expect(result.statusCode).toBe(502);
    expect(result.body).toMatch(
      /^The ALB result is over its 1048576-byte limit: the app's response body alone passed 1048576 bytes/,
    );
    expect(entries.map((e) => e.code)).toEqual(['RESULT_TOO_LARGE']);
    // About 1 MB was read, not 10 MB.
    expect(producedWhenAnswered).toBeLessThan(10);
    await sleep(20);
    // The response closed as for a client that went away, so the pipeline stopped its source.
    expect(destroyed).toBe(true);
    expect(produced).toBeLessThan(total);
  });

  it('a large response the client accepts compressed is still buffered and compressed to fit', async () => {
    const zeros = Buffer.alloc(5 * MB);
    const app = (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('content-type', 'application/octet-stream');
      for (let at = 0; at < zeros.length; at += 256 * 1024) res.write(zeros.subarray(at, at + 256 * 1024));
      res.end();
    };
    const event = {
      ...baseEvent(),
      httpMethod: 'GET',
      body: '',
      headers: { ...baseEvent().headers, 'accept-encoding': 'gzip' },
    };
    const result = await toLambda(app, { log: silent })(event);
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-encoding']).toBe('gzip');
    expect(gunzipSync(bodyOf(result)).equals(zeros)).toBe(true);
  });

  it('a large HEAD response is not refused: it carries no body', async () => {
    const app = (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('content-type', 'application/octet-stream');
      for (let i = 0; i < 8; i++) res.write(Buffer.alloc(256 * 1024));
      res.end();
    };
    const event = { ...baseEvent(), httpMethod: 'HEAD', body: '' };
    const result = await toLambda(app, { log: silent })(event);
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe('');
    expect(result.headers?.['content-length']).toBe(String(2 * MB));
  });
});

// ---------------------------------------------------------------------------------------------

describe('stack traces', () => {
  const FRAME = /\n\s+at |\.ts:\d+:\d+/;
  // Two parameters: a function of none is an app factory.
  const thrower = (_req: IncomingMessage, _res: ServerResponse) => {
    throw new Error('secret detail');
  };

  it('a forward 500 for an app error carries no stack unless exposeErrors asks for it', async () => {
    const hidden = await toLambda(thrower, { log: silent })(baseEvent());
    expect(hidden.statusCode).toBe(500);
    expect(hidden.body).toBe('Internal Server Error');
    const shown = await toLambda(thrower, { log: silent, exposeErrors: true })(baseEvent());
    expect(shown.statusCode).toBe(500);
    expect(shown.body).toMatch(/^Error: secret detail\n\s+at /);
  });

  it('a forward 500 for a rejected promise carries no stack', async () => {
    const app = async (_req: IncomingMessage, _res: ServerResponse) =>
      Promise.reject(new TypeError('secret detail'));
    const result = await toLambda(app, { log: silent })(baseEvent());
    expect(result.body).toBe('Internal Server Error');
  });

  it('through the emulated ALB, the client of a failing app gets no stack', async () => {
    const { port } = await listen(toListener(toLambda(thrower, { log: silent }), { log: silent }));
    const response = parseResponse(await exchangeRaw(port, GET), 'GET');
    expect(response.status).toBe(500);
    expect(response.body.toString()).toBe('Internal Server Error');
    expect(response.raw.toString('latin1')).not.toMatch(FRAME);
  });

  it('a reverse 502 for a handler that throws carries no stack, in its body or headers', async () => {
    for (const handler of [
      async () => {
        throw new Error('secret detail');
      },
      () => {
        throw new RangeError('secret detail');
      },
      (_e: unknown, _c: unknown, callback: (error: unknown) => void) => callback(new Error('secret detail')),
    ]) {
      const { log, entries } = collector();
      const { port } = await listen(toListener(handler, { log }));
      const response = parseResponse(await exchangeRaw(port, GET), 'GET');
      expect(response.status).toBe(502);
      expect(response.body.toString()).toContain('<h1>502 Bad Gateway</h1>');
      expect(response.raw.toString('latin1')).not.toMatch(FRAME);
      expect(response.raw.toString('latin1')).not.toContain('secret detail\n');
      // The stack goes to the log hook only.
      expect(entries.find((e) => e.code === 'HANDLER_ERROR')?.message).toMatch(FRAME);
    }
  });
});
