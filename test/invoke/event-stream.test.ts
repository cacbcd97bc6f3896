import { crc32 as zlibCrc32 } from 'node:zlib';
import { EventStreamCodec } from '@smithy/core/event-streams';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  decodeMessages,
  encodeMessage,
  invokeComplete,
  payloadChunk,
} from '../../lib/invoke-api/event-stream.js';

// The SDK's own event-stream codec reads what lambda-bridge writes.
const sdk = new EventStreamCodec(
  (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8'),
  (text: string) => new Uint8Array(Buffer.from(text, 'utf8')),
);

describe('event-stream encoding', () => {
  it('crc32 is CRC-32 (IEEE), as zlib computes it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc32(bytes)).toBe(zlibCrc32(bytes));
      }),
    );
  });

  it('a PayloadChunk as the SDK decodes it', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const message = sdk.decode(payloadChunk(bytes));
    expect(message.headers).toEqual({
      ':event-type': { type: 'string', value: 'PayloadChunk' },
      ':content-type': { type: 'string', value: 'application/octet-stream' },
      ':message-type': { type: 'string', value: 'event' },
    });
    expect(Buffer.from(message.body)).toEqual(Buffer.from(bytes));
  });

  it('an InvokeComplete as the SDK decodes it', () => {
    const message = sdk.decode(
      invokeComplete({ ErrorCode: 'Error', ErrorDetails: 'boom', LogResult: 'U1RBUlQ=' }),
    );
    expect(message.headers[':event-type']).toEqual({ type: 'string', value: 'InvokeComplete' });
    expect(message.headers[':content-type']).toEqual({ type: 'string', value: 'application/json' });
    expect(JSON.parse(Buffer.from(message.body).toString())).toEqual({
      ErrorCode: 'Error',
      ErrorDetails: 'boom',
      LogResult: 'U1RBUlQ=',
    });
  });

  it('any headers and payload: the SDK reads them back, and so does decodeMessages', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 40 }), {
          maxKeys: 4,
        }),
        fc.uint8Array({ maxLength: 500 }),
        (headers, payload) => {
          const encoded = encodeMessage(headers, payload);
          const decoded = sdk.decode(encoded);
          const read: Record<string, string> = {};
          for (const [name, header] of Object.entries(decoded.headers)) read[name] = String(header.value);
          expect(read).toEqual({ ...headers });
          expect(Buffer.from(decoded.body)).toEqual(Buffer.from(payload));
          const [mine] = decodeMessages(encoded);
          expect(mine.headers).toEqual({ ...headers });
          expect(mine.payload).toEqual(Buffer.from(payload));
        },
      ),
    );
  });

  it('the SDK encodes what decodeMessages reads', () => {
    const encoded = sdk.encode({
      headers: { ':event-type': { type: 'string', value: 'PayloadChunk' } },
      body: new Uint8Array(Buffer.from('hello')),
    });
    expect(decodeMessages(Buffer.from(encoded))).toEqual([
      { headers: { ':event-type': 'PayloadChunk' }, payload: Buffer.from('hello') },
    ]);
  });

  it('a stream of messages decodes in order; a damaged one is refused', () => {
    const stream = Buffer.concat([
      payloadChunk(Buffer.from('a')),
      payloadChunk(Buffer.from('b')),
      invokeComplete({}),
    ]);
    expect(decodeMessages(stream).map((m) => m.headers[':event-type'])).toEqual([
      'PayloadChunk',
      'PayloadChunk',
      'InvokeComplete',
    ]);
    const damaged = Buffer.from(stream);
    damaged[20] ^= 1;
    expect(() => decodeMessages(damaged)).toThrow(RangeError);
    expect(() => decodeMessages(stream.subarray(0, stream.length - 1))).toThrow(RangeError);
  });
});
