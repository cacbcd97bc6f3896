import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LambdaBridgeError } from '../../lib/errors.js';
import {
  HANDLER_HIGHWATERMARK,
  HANDLER_STREAMING,
  HTTP_INTEGRATION_CONTENT_TYPE,
  HttpResponseStream,
  isStreamingHandler,
  MalformedStreamingHandlerError,
  type PreludeTarget,
  streamifyResponse,
  streamingHighWaterMark,
} from '../../lib/invoke/streaming.js';

const run = promisify(execFile);
const ricPath = createRequire(import.meta.url).resolve('aws-lambda-ric');

/** A sink that behaves as the runtime's response stream does around `_onBeforeFirstWrite`. */
function recordingStream() {
  const written: Buffer[] = [];
  const contentTypes: string[] = [];
  let wrote = false;
  const stream: PreludeTarget & { write(chunk: string | Uint8Array): void; end(chunk?: string): void } = {
    setContentType(type: string) {
      if (wrote) throw new Error('Cannot set content-type, too late.');
      contentTypes.push(type);
    },
    write(chunk) {
      const raw = (c: string | Uint8Array) => written.push(Buffer.from(c as never));
      if (!wrote && typeof stream._onBeforeFirstWrite === 'function') stream._onBeforeFirstWrite(raw);
      wrote = true;
      raw(chunk);
    },
    end(chunk) {
      if (chunk !== undefined) written.push(Buffer.from(chunk));
    },
  };
  return { stream, written, contentTypes };
}

describe('streamifyResponse', () => {
  it('marks the handler itself with the runtime symbol set to "response" and returns it', () => {
    const handler = async () => {};
    const marked = streamifyResponse(handler);
    expect(marked).toBe(handler);
    expect(
      (handler as unknown as Record<symbol, unknown>)[Symbol.for('aws.lambda.runtime.handler.streaming')],
    ).toBe('response');
    expect(marked[HANDLER_STREAMING]).toBe('response');
    expect(HANDLER_HIGHWATERMARK in marked).toBe(false);
  });

  it('stores a numeric highWaterMark as an integer, and ignores a non-number', () => {
    expect(streamifyResponse(async () => {}, { highWaterMark: 2048.9 })[HANDLER_HIGHWATERMARK]).toBe(2048);
    const ignored = streamifyResponse(async () => {}, { highWaterMark: '4096' as never });
    expect(HANDLER_HIGHWATERMARK in ignored).toBe(false);
  });
});

describe('isStreamingHandler', () => {
  it.each([
    ['an unmarked function', async () => {}, false],
    ['a marked function', streamifyResponse(async () => {}), true],
    ['undefined', undefined, false],
    ['a string', 'handler', false],
    [
      'an object marked "response"',
      { [Symbol.for('aws.lambda.runtime.handler.streaming')]: 'response' },
      true,
    ],
    ['a mark of an empty string', Object.assign(() => {}, { [HANDLER_STREAMING]: '' }), false],
  ])('%s → %s', (_name, value, expected) => {
    expect(isStreamingHandler(value)).toBe(expected);
  });

  it('throws a coded error for a mark other than "response", as the runtime fails it at init', () => {
    const bad = Object.assign(async () => {}, { [HANDLER_STREAMING]: 'request' });
    expect(() => isStreamingHandler(bad)).toThrow(MalformedStreamingHandlerError);
    try {
      isStreamingHandler(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(LambdaBridgeError);
      expect((error as LambdaBridgeError).code).toBe('LAMBDA_BRIDGE_MALFORMED_STREAMING_HANDLER');
      expect((error as Error).message).toMatch(/"request".*only response streaming is supported/);
    }
  });
});

describe('streamingHighWaterMark', () => {
  it.each([
    [streamifyResponse(async () => {}, { highWaterMark: 512 }), 512],
    [streamifyResponse(async () => {}), undefined],
    [Object.assign(async () => {}, { [HANDLER_HIGHWATERMARK]: 'abc' }), undefined],
    [Object.assign(async () => {}, { [HANDLER_HIGHWATERMARK]: '64' }), 64],
    [undefined, undefined],
  ])('%#: reads %s', (handler, expected) => {
    expect(streamingHighWaterMark(handler)).toBe(expected);
  });
});

describe('HttpResponseStream.from', () => {
  it('sets the integration content type and returns the same stream', () => {
    const { stream, contentTypes } = recordingStream();
    expect(HttpResponseStream.from(stream, { statusCode: 200 })).toBe(stream);
    expect(contentTypes).toEqual([HTTP_INTEGRATION_CONTENT_TYPE]);
  });

  it('writes the JSON prelude and 8 NUL bytes before the first write only', () => {
    const { stream, written } = recordingStream();
    const prelude = { statusCode: 201, headers: { 'content-type': 'text/plain' }, cookies: ['a=1', 'b=2'] };
    HttpResponseStream.from(stream, prelude);
    expect(written).toEqual([]);
    stream.write('one');
    stream.write('two');
    expect(Buffer.concat(written)).toEqual(
      Buffer.concat([Buffer.from(JSON.stringify(prelude)), Buffer.alloc(8), Buffer.from('onetwo')]),
    );
  });

  it('sends no prelude for a stream that only sees end(chunk), as the runtime does', () => {
    const { stream, written } = recordingStream();
    HttpResponseStream.from(stream, { statusCode: 204 });
    stream.end('body');
    expect(Buffer.concat(written).toString()).toBe('body');
  });

  it('fails as the stream does when the content type can no longer be set', () => {
    const { stream } = recordingStream();
    stream.write('x');
    expect(() => HttpResponseStream.from(stream, {})).toThrow('Cannot set content-type, too late.');
  });
});

describe('against aws-lambda-ric 4 (its awslambda global, loaded in a child process)', () => {
  // The runtime's module sets up `globalThis.awslambda` before it looks for its environment; the
  // child keeps what it needs from that global and reports both implementations' effects.
  const script = `
    process.on('unhandledRejection', () => {});
    const out = process.stdout.write.bind(process.stdout);
    await import(${JSON.stringify(ricPath)});
    const ours = await import(process.argv[1]);
    const ric = globalThis.awslambda;
    const marks = (fn) => Object.getOwnPropertySymbols(fn).map((s) => [s.description, fn[s]]);
    const cases = [undefined, {}, { highWaterMark: 1000 }, { highWaterMark: 12.7 }, { highWaterMark: '99' }, { highWaterMark: 0 }];
    const streamify = cases.map((options) => ({
      ric: marks(ric.streamifyResponse(async () => {}, options)),
      ours: marks(ours.streamifyResponse(async () => {}, options)),
    }));
    const record = (impl, prelude) => {
      const calls = [];
      const stream = { setContentType: (t) => calls.push(['type', t]) };
      impl.from(stream, prelude);
      stream._onBeforeFirstWrite((chunk) => calls.push(['write', Buffer.from(chunk).toString('hex')]));
      return calls;
    };
    const preludes = [{ statusCode: 200 }, { statusCode: 302, headers: { location: '/x' }, cookies: ['a=1', 'b=2'] }, {}];
    const from = preludes.map((p) => ({ ric: record(ric.HttpResponseStream, p), ours: record(ours.HttpResponseStream, p) }));
    out(JSON.stringify({ streamify, from, ricType: typeof ric.HttpResponseStream }));
    process.exit(0);
  `;

  it('marks handlers and writes preludes identically', async () => {
    const modulePath = new URL('../../lib/invoke/streaming.ts', import.meta.url).pathname;
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, modulePath],
      { env: { ...process.env, AWS_LAMBDA_RUNTIME_API: '', _HANDLER: '' } },
    );
    const report = JSON.parse(stdout) as {
      streamify: { ric: unknown; ours: unknown }[];
      from: { ric: unknown; ours: unknown }[];
      ricType: string;
    };
    expect(report.streamify).toHaveLength(6);
    for (const { ric, ours } of report.streamify) expect(ours).toEqual(ric);
    expect(report.streamify[2]?.ric).toEqual([
      ['aws.lambda.runtime.handler.streaming', 'response'],
      ['aws.lambda.runtime.handler.streaming.highWaterMark', 1000],
    ]);
    for (const { ric, ours } of report.from) expect(ours).toEqual(ric);
    expect(report.ricType).toBe(typeof HttpResponseStream);
  });
});
