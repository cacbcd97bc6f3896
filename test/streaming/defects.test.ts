import { afterEach, describe, expect, it } from 'vitest';
import { toListener } from '../../adapters/node.js';
import { HttpResponseStream, streamifyResponse } from '../../lib/invoke/streaming.js';
import type { LogEntry } from '../../lib/log.js';
import { deliverStreamMessage, type StreamToEnvironment } from '../../lib/pool/stream-channel.js';
import { closeServers, fetchRaw, listen } from './support.js';

afterEach(closeServers);

type Stream = import('node:stream').Writable & { setContentType(type: string): void };
const streaming = (fn: (event: unknown, stream: Stream, context: unknown) => unknown) =>
  streamifyResponse(fn as (...args: never[]) => unknown);

function logged() {
  const entries: LogEntry[] = [];
  return { entries, log: (entry: LogEntry) => entries.push(entry) };
}

const FAILURE = { 'function-url': 500, 'apigw-v1': 502 } as const;

describe.each([['function-url'], ['apigw-v1']] as const)('streamed responses behind format %s', (format) => {
  const refusedHeads: [string, (stream: Stream) => import('node:stream').Writable][] = [
    ['a header value with a line feed', (s) => HttpResponseStream.from(s, { headers: { 'x-bad': 'a\nb' } })],
    ['a header name that is not a token', (s) => HttpResponseStream.from(s, { headers: { 'x bad': 'ok' } })],
    ['a cookie with a line feed', (s) => HttpResponseStream.from(s, { cookies: ['a=1\nSet-Cookie: b=2'] })],
    [
      'setContentType with a line feed',
      (s) => {
        s.setContentType('text/plain\nx-injected: 1');
        return s;
      },
    ],
    ['statusCode 101', (s) => HttpResponseStream.from(s, { statusCode: 101 })],
    ['statusCode 103', (s) => HttpResponseStream.from(s, { statusCode: 103 })],
  ];

  it.each(refusedHeads)('a head with %s answers the service failure with a reason', async (_name, open) => {
    const { entries, log } = logged();
    const base = await listen(
      toListener(
        streaming(async (_e, stream) => {
          const out = open(stream);
          out.write('body');
          out.end();
        }) as never,
        { format, log, diagnostics: true },
      ),
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(FAILURE[format]);
    expect(got.aborted).toBe(false);
    expect(got.body.toString()).not.toContain('body');
    const warning = entries.find((e) => e.code === 'INVALID_STREAM');
    expect(warning?.message).toMatch(/header|content type|statusCode/);
    expect(got.headers['x-injected']).toBeUndefined();
  });

  it('a handler that ends its stream and then throws: the 4 MB response arrives whole, with a warning', async () => {
    const { entries, log } = logged();
    const body = Buffer.alloc(4 * 1024 * 1024, 7);
    const base = await listen(
      toListener(
        streaming(async (_e, stream) => {
          HttpResponseStream.from(stream, { statusCode: 200 }).write('x');
          stream.end(body);
          throw new Error('after the end');
        }) as never,
        { format, log },
      ),
    );
    const got = await fetchRaw(`${base}/`);
    expect(got.status).toBe(200);
    expect(got.aborted).toBe(false);
    expect(got.body.length).toBe(body.length + 1);
    const warning = entries.find((e) => e.code === 'HANDLER_ERROR');
    expect(warning?.message).toMatch(/after its streamed response was complete: Error: after the end/);
  });
});

describe('deliverStreamMessage', () => {
  it('a target that throws aborts that answer and acknowledges the chunk with the error, never throwing', () => {
    const aborted: string[] = [];
    const replies: StreamToEnvironment[] = [];
    const target = {
      start() {
        throw new TypeError('Invalid character in header content ["content-type"]');
      },
      write() {
        throw new TypeError('write failed');
      },
      end() {},
      abort: (reason: string) => aborted.push(reason),
    };
    const reply = (m: StreamToEnvironment) => replies.push(m);
    expect(() =>
      deliverStreamMessage({ type: 'stream-start', id: 'r', contentType: 'a\nb' }, target, reply),
    ).not.toThrow();
    expect(() =>
      deliverStreamMessage({ type: 'stream-chunk', id: 'r', seq: 1, chunk: 'YQ==' }, target, reply),
    ).not.toThrow();
    expect(aborted).toEqual([
      'the streamed response failed: Invalid character in header content ["content-type"]',
      'the streamed response failed: write failed',
    ]);
    expect(replies).toEqual([
      { type: 'stream-ack', id: 'r', seq: 1, error: 'the streamed response failed: write failed' },
    ]);
  });
});
