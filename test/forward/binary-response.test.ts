import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import { defaultIsBinary } from '../../lib/binary.js';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { apiGatewayV1Event } from '../fixtures/apigw-v1-event.js';
import { png } from '../fixtures/png.js';
import { bodyBytes, call, frameworks, type Listener, nodeFrameworks, type Reply } from './support.js';

const send = (body: Buffer | string, headers: Record<string, string>): Reply => ({
  headers: Object.entries(headers),
  body,
});

const json = JSON.stringify({ message: 'hello', list: [1, 2, 3] });

describe.each(frameworks)('the body encoding of the result, in $name', (framework) => {
  describe('X1: binary types travel base64, byte-exact, with zero configuration', () => {
    it.each([
      'image/png',
      'application/octet-stream',
      'font/woff2',
      'application/pdf',
      'application/zip',
      'image/x-icon',
    ])('%s', async (type) => {
      const result = await call(framework.answer(send(png, { 'content-type': type })), albEvent);
      expect(result.isBase64Encoded).toBe(true);
      expect(result.body).not.toMatch(/[\r\n]/);
      expect(bodyBytes(result).equals(png)).toBe(true);
    });

    it('even when the bytes happen to be valid UTF-8', async () => {
      const result = await call(
        framework.answer(send('plain ascii', { 'content-type': 'application/octet-stream' })),
        albEventMulti,
      );
      expect(result.isBase64Encoded).toBe(true);
      expect(bodyBytes(result).toString()).toBe('plain ascii');
    });
  });

  describe('X5: a body without a content type is text when it is valid UTF-8', () => {
    it('an untyped UTF-8 body', async () => {
      for (const event of [albEvent, albEventMulti]) {
        const result = await call(framework.answer({ body: Buffer.from('hello, wörld') }), event);
        expect(result.isBase64Encoded).toBe(false);
        expect(result.body).toBe('hello, wörld');
      }
    });

    it('bytes that are not UTF-8 still travel base64, byte-exact', async () => {
      const result = await call(framework.answer(send(png, {})), albEvent);
      expect(result.isBase64Encoded).toBe(true);
      expect(bodyBytes(result).equals(png)).toBe(true);
    });

    it('a compressed body without a content type still travels base64', async () => {
      const gz = gzipSync('hello');
      const result = await call(framework.answer(send(gz, { 'content-encoding': 'gzip' })), albEvent);
      expect(result.isBase64Encoded).toBe(true);
      expect(bodyBytes(result).equals(gz)).toBe(true);
    });
  });

  describe('X2: text types travel as text', () => {
    it.each([
      ['text/html; charset=utf-8', '<p>héllo</p>'],
      ['application/json', json],
      ['application/problem+json', '{"type":"about:blank","status":400}'],
      ['application/jwk-set+json', '{"keys":[]}'],
      ['text/csv', 'a,b\n1,2\n'],
      ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
      ['application/javascript', 'export default 1;'],
      ['application/x-www-form-urlencoded', 'a=1&b=2'],
    ])('%s', async (type, text) => {
      const result = await call(framework.answer(send(text, { 'content-type': type })), albEvent);
      expect(result.isBase64Encoded).toBe(false);
      expect(result.body).toBe(text);
    });

    it('a text type whose bytes are not valid UTF-8 travels base64', async () => {
      const latin1 = Buffer.from('caf\u00e9', 'latin1');
      const result = await call(
        framework.answer(send(latin1, { 'content-type': 'text/plain; charset=iso-8859-1' })),
        albEvent,
      );
      expect(result.isBase64Encoded).toBe(true);
      expect(bodyBytes(result).equals(latin1)).toBe(true);
    });
  });

  describe('X3: a compressed body travels base64, whatever its type', () => {
    it.each([
      ['gzip', gzipSync(json)],
      ['br', brotliCompressSync(json)],
      ['deflate', deflateSync(json)],
      ['zstd', Buffer.from(json)],
    ])('content-encoding %s on a JSON body', async (coding, bytes) => {
      const result = await call(
        framework.answer(send(bytes, { 'content-type': 'application/json', 'content-encoding': coding })),
        albEvent,
      );
      expect(result.isBase64Encoded).toBe(true);
      expect(bodyBytes(result).equals(bytes)).toBe(true);
      expect(result.headers?.['content-encoding']).toBe(coding);
    });

    it('content-encoding identity leaves a JSON body as text', async () => {
      const result = await call(
        framework.answer(send(json, { 'content-type': 'application/json', 'content-encoding': 'identity' })),
        albEvent,
      );
      expect(result.isBase64Encoded).toBe(false);
      expect(result.body).toBe(json);
    });
  });

  describe('X4: the binary option overrides the decision both ways', () => {
    it('a list with wildcards makes a listed text type binary', async () => {
      const result = await call(
        framework.answer(send('<p>hi</p>', { 'content-type': 'text/html' })),
        albEvent,
        {
          binary: ['text/*'],
        },
      );
      expect(result.isBase64Encoded).toBe(true);
      expect(bodyBytes(result).toString()).toBe('<p>hi</p>');
    });

    it('a list makes an unlisted type text', async () => {
      const result = await call(
        framework.answer(send('%PDF-1.7 text-only', { 'content-type': 'application/pdf' })),
        albEvent,
        { binary: ['image/*'] },
      );
      expect(result.isBase64Encoded).toBe(false);
      expect(result.body).toBe('%PDF-1.7 text-only');
    });

    it('a predicate decides, and can extend the exported default', async () => {
      const isBinary = (type: string, encoding: string) =>
        type.startsWith('application/vnd.custom') || defaultIsBinary(type, encoding);
      const custom = await call(
        framework.answer(send('{"a":1}', { 'content-type': 'application/vnd.custom+json' })),
        albEvent,
        { binary: isBinary },
      );
      expect(custom.isBase64Encoded).toBe(true);
      const plain = await call(
        framework.answer(send('{"a":1}', { 'content-type': 'application/json' })),
        albEvent,
        { binary: isBinary },
      );
      expect(plain.isBase64Encoded).toBe(false);
    });

    it('a predicate that says text cannot send bytes that are not UTF-8 as text', async () => {
      const result = await call(framework.answer(send(png, { 'content-type': 'image/png' })), albEvent, {
        binary: () => false,
      });
      expect(result.isBase64Encoded).toBe(true);
      expect(bodyBytes(result).equals(png)).toBe(true);
    });

    it('the predicate receives the content type and encoding as the app set them', async () => {
      const seen: Array<[string, string]> = [];
      await call(
        framework.answer(
          send('x', { 'content-type': 'Text/Plain; charset=UTF-8', 'content-encoding': 'gzip' }),
        ),
        albEvent,
        {
          binary: (type, encoding) => {
            seen.push([type, encoding]);
            return true;
          },
        },
      );
      expect(seen).toEqual([['Text/Plain; charset=UTF-8', 'gzip']]);
    });
  });
});

describe('X5 behind API Gateway REST without binaryMediaTypes, which passes a base64 body to the client as it is', () => {
  it.each(frameworks)('an untyped text body from $name arrives as the text itself', async (framework) => {
    const handler = toLambda<APIGatewayProxyEvent>(framework.answer({ body: Buffer.from('plain words') }));
    const result = await handler(apiGatewayV1Event);
    expect(result).toMatchObject({ statusCode: 200, body: 'plain words', isBase64Encoded: false });
  });
});

describe.each(nodeFrameworks)(
  'X5: untyped bodies written with Node’s response API, in $name',
  (framework) => {
    const untyped: [string, Listener][] = [
      ['res.end(string)', (_req, res) => res.end('hello, wörld')],
      ['res.end(Buffer)', (_req, res) => res.end(Buffer.from('hello, wörld'))],
      ['res.end(Uint8Array)', (_req, res) => res.end(new TextEncoder().encode('hello, wörld'))],
      [
        'res.write() then res.end()',
        (_req, res) => {
          res.write('hello, ');
          res.write(Buffer.from('wö'));
          res.end('rld');
        },
      ],
    ];
    it.each(untyped)('%s is text', async (_name, listener) => {
      for (const event of [albEvent, albEventMulti]) {
        const result = await call(framework.wrap(listener), event);
        expect(result.isBase64Encoded).toBe(false);
        expect(result.body).toBe('hello, wörld');
      }
    });
  },
);
