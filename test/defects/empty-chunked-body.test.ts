import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import { toListener } from '../../adapters/node.js';
import { rawRequest, useServers } from '../reverse/support.js';

// A request with an empty body sent with `Transfer-Encoding: chunked` has a body (of 0 bytes):
// body parsers parse it. Through the bridge the app must see the same framing.
const { listen } = useServers();

const PARSERS = [
  ['json', 'application/json', {}],
  ['raw', 'application/octet-stream', { type: 'Buffer', data: [] }],
  ['text', 'text/plain', ''],
  ['urlencoded', 'application/x-www-form-urlencoded', {}],
] as const;

function emptyChunked(port: number, type: string) {
  // The last-chunk alone: a chunked body of 0 bytes.
  return rawRequest(
    port,
    'POST',
    '/',
    [
      ['Content-Type', type],
      ['Transfer-Encoding', 'chunked'],
    ],
    Buffer.from('0\r\n\r\n'),
  );
}

for (const [name, make] of [
  ['Express 5', express],
  ['Express 4', express4],
] as const) {
  describe(`${name}: an empty chunked request body keeps its framing through toListener(toLambda(app))`, () => {
    for (const multiValueHeaders of [false, true]) {
      for (const [parser, type, parsed] of PARSERS) {
        it(`express.${parser}() parses it as directly (${multiValueHeaders ? 'multi' : 'single'}-value)`, async () => {
          const app = make();
          const parsers = make as unknown as Record<string, (options: object) => express.RequestHandler>;
          app.use(parsers[parser](parser === 'urlencoded' ? { type, extended: false } : { type }));
          app.post('/', (req, res) => {
            res.json({ body: req.body, length: req.headers['content-length'] ?? null });
          });
          const direct = await emptyChunked((await listen(app)).port, type);
          const bridged = await emptyChunked(
            (await listen(toListener(toLambda(app), { multiValueHeaders, log() {} }))).port,
            type,
          );
          expect(direct.status).toBe(200);
          expect(JSON.parse(direct.body.toString()).body).toEqual(parsed);
          expect(bridged.status).toBe(200);
          const seen = JSON.parse(bridged.body.toString());
          expect(seen.body).toEqual(parsed);
          expect(seen.length).toBe('0');
        });
      }
    }
  });
}

for (const [name, Make] of [
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const) {
  describe(`${name}: an empty chunked request body keeps its framing`, () => {
    for (const [, type] of PARSERS) {
      it(`ctx.request.is() sees a ${type} body, as directly`, async () => {
        const app = new Make();
        app.silent = true;
        app.use((ctx) => {
          // What Koa body parsers check before reading: no body framing means no body.
          ctx.body = { is: ctx.request.is(type), length: ctx.get('content-length') };
        });
        const direct = await emptyChunked((await listen(app.callback())).port, type);
        const bridged = await emptyChunked(
          (await listen(toListener(toLambda(app), { log() {} }))).port,
          type,
        );
        expect(JSON.parse(direct.body.toString()).is).toBe(type);
        const seen = JSON.parse(bridged.body.toString());
        expect(seen.is).toBe(type);
        expect(seen.length).toBe('0');
      });
    }
  });
}

describe('an empty body with framing in every event format', () => {
  it('content-length: 0 reaches the app for API Gateway and function URL events too', async () => {
    for (const format of ['apigw-v1', 'apigw-v2', 'function-url'] as const) {
      const app = (req: IncomingMessage, res: ServerResponse) => {
        res.setHeader('content-type', 'text/plain');
        res.end(String(req.headers['content-length']));
      };
      const served = await listen(toListener(toLambda(app), { format, log() {} }));
      const response = await emptyChunked(served.port, 'application/json');
      expect(response.body.toString()).toBe('0');
    }
  });

  it('a request with no framing at all still has no content-length', async () => {
    const app = (req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('content-type', 'text/plain');
      res.end(String(req.headers['content-length']));
    };
    const served = await listen(toListener(toLambda(app), { log() {} }));
    const response = await rawRequest(served.port, 'GET', '/');
    expect(response.body.toString()).toBe('undefined');
  });
});
