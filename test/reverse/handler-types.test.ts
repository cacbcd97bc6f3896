import type { ALBEvent, ALBResult, APIGatewayProxyEventV2, Callback, Context, Handler } from 'aws-lambda';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type FormatHandler, toExpress, toKoa, toListener } from '../../index.js';

// The handler parameter of the middleware is typed from its `format` (an ALB by default): an
// inline handler gets a typed event, and its result is checked. The `@ts-expect-error` lines are
// proved by the type check (`npm run typecheck`); the tests show what each one would do at run time.

const quiet = { log: () => {} };

describe('an inline handler behind the default ALB', () => {
  it('gets an ALB event, so it compiles and answers with the path', async () => {
    const listener = toListener(async (event) => ({ statusCode: 200, body: event.path }), quiet);
    const response = await request(listener).get('/orders/7').expect(200);
    expect(response.text).toBe('/orders/7');
  });

  it('that returns a string status and an object body is a type error, and a 502 at run time', async () => {
    // @ts-expect-error statusCode must be a number and body a string
    const listener = toListener(async () => ({ statusCode: '200', body: {} }), quiet);
    const response = await request(listener).get('/').expect(502);
    expect(response.headers.server).toBe('awselb/2.0');
  });

  it('sees event fields of the ALB event and not of other services', () => {
    toListener(async (event) => {
      expectTypeOf(event).toEqualTypeOf<ALBEvent>();
      expectTypeOf(event.requestContext.elb.targetGroupArn).toBeString();
      // @ts-expect-error an ALB event has no rawPath
      void event.rawPath;
      return { statusCode: 204 };
    });
  });

  it('is checked in toExpress and toKoa too', async () => {
    // @ts-expect-error body must be a string
    toExpress(async () => ({ statusCode: 200, body: 42 }));
    // @ts-expect-error body must be a string
    toKoa(async () => ({ statusCode: 200, body: 42 }));
    const app = express().use(
      toExpress(async (event) => ({ statusCode: 200, body: event.httpMethod }), quiet),
    );
    expect((await request(app).post('/').expect(200)).text).toBe('POST');
    const koa = new Koa().use(toKoa(async (event) => ({ statusCode: 200, body: event.path }), quiet));
    expect((await request(koa.callback()).get('/k').expect(200)).text).toBe('/k');
  });

  it('that resolves to nothing, or returns a result without a promise, is a type error', () => {
    // @ts-expect-error an async handler must resolve to a result
    toListener(async () => {});
    // @ts-expect-error the runtime ignores a value returned without a promise
    toListener(() => ({ statusCode: 200 }));
  });
});

describe('the format option types the handler', () => {
  it('gives an inline handler behind an HTTP API a payload 2.0 event and its result rules', async () => {
    const listener = toListener(
      async (event) => {
        expectTypeOf(event).toEqualTypeOf<APIGatewayProxyEventV2>();
        return { statusCode: 200, body: event.rawPath, cookies: ['a=1'] };
      },
      { format: 'apigw-v2', ...quiet },
    );
    const response = await request(listener).get('/v2/path').expect(200);
    expect(response.text).toBe('/v2/path');
    expect(response.headers['set-cookie']).toEqual(['a=1']);
  });

  it('refuses an ALB-only handler behind an API', () => {
    const albOnly = async (event: ALBEvent): Promise<ALBResult> => ({ statusCode: 200, body: event.path });
    toListener(albOnly);
    // @ts-expect-error the handler reads ALB events, the option plays API Gateway
    toListener(albOnly, { format: 'apigw-v1' });
  });

  it('gives a function URL handler the payload 2.0 shapes, where a bare string is a valid result', () => {
    toListener(async () => 'plain body', { format: 'function-url' });
    // @ts-expect-error an ALB result needs a statusCode, not a bare string
    toListener(async () => 'plain body');
  });
});

describe('handlers typed elsewhere', () => {
  it("accepts aws-lambda's own Handler types and callback-style handlers", () => {
    const typed: Handler<ALBEvent, ALBResult> = async () => ({ statusCode: 200 });
    const callbackStyle = (_event: ALBEvent, _context: Context, callback: Callback<ALBResult>) => {
      callback(null, { statusCode: 200 });
    };
    const exported: FormatHandler = async (event) => ({ statusCode: 200, body: event.path });
    expectTypeOf(toListener(typed)).toBeFunction();
    expectTypeOf(toListener(callbackStyle)).toBeFunction();
    expectTypeOf(toExpress(exported, { multiValueHeaders: true })).toBeFunction();
  });
});

describe('the front-door formats type the handler', () => {
  it('lattice-v2: a V2 event with its identity, a Lattice result', async () => {
    const listener = toListener(
      async (event) => {
        expectTypeOf(event.requestContext.identity.type).toEqualTypeOf<string | undefined>();
        expectTypeOf(event.queryStringParameters).toEqualTypeOf<
          Record<string, string[]> | null | undefined
        >();
        return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: event.path };
      },
      { format: 'lattice-v2', ...quiet },
    );
    expect((await request(listener).get('/v2').expect(200)).text).toBe('/v2');
    // @ts-expect-error a Lattice header value is one string
    toListener(async () => ({ statusCode: 200, headers: { a: ['1'] } }), { format: 'lattice-v1' });
  });

  it('edge-viewer-request: a CloudFront request event, a generated response with a string status', async () => {
    const listener = toListener(
      async (event) => ({
        status: '200',
        headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain' }] },
        body: event.Records[0].cf.request.uri,
      }),
      { format: 'edge-viewer-request', ...quiet },
    );
    expect((await request(listener).get('/e').expect(200)).text).toBe('/e');
    // @ts-expect-error status is a string
    toListener(async () => ({ status: 200 }), { format: 'edge-origin-request' });
  });
});
