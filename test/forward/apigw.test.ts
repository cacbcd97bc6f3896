import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { getInvocation, toLambda } from '../../adapters/lambda.js';
import { UnsupportedEventError } from '../../lib/errors.js';
import { isFunctionUrlEvent } from '../../lib/formats/apigw-v2.js';
import type { LogEntry } from '../../lib/log.js';
import { albEvent } from '../fixtures/alb-event.js';
import { apiGatewayV1Event } from '../fixtures/apigw-v1-event.js';
import { apiGatewayV2Event, functionUrlEvent } from '../fixtures/apigw-v2-event.js';
import { frameworks, type View } from './support.js';

function seen(framework: (typeof frameworks)[number]) {
  const views: View[] = [];
  const app = framework.view((view) => views.push(view));
  return { views, app };
}

function cookieApp() {
  const app = express();
  app.get('/c', (_req, res) => {
    res.cookie('a', '1', { expires: new Date(Date.UTC(2030, 0, 1)) });
    res.cookie('b', '2');
    res.set('x-multi', ['x', 'y']);
    res.json({ ok: true });
  });
  return app;
}

describe('detection order (contract 4.5)', () => {
  it('an event with requestContext.elb is an ALB event even with API Gateway fields beside it', async () => {
    const handler = toLambda((_req, res) => res.end('ok'));
    const result = await handler({ ...albEvent, version: '2.0' } as typeof albEvent);
    expect(result).toHaveProperty('statusDescription', '200 OK');
  });

  it('a REST event behind a custom domain carries rawPath but is still payload 1.0', async () => {
    const handler = toLambda<APIGatewayProxyEvent>((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(req.url);
    });
    const result = await handler({ ...apiGatewayV1Event, rawPath: '/base/hello' } as APIGatewayProxyEvent);
    expect(result.body).toBe('/hello');
    expect(result).toHaveProperty('multiValueHeaders');
  });

  it('Lambda@Edge response events are refused with LAMBDA_BRIDGE_UNSUPPORTED_EVENT', async () => {
    const handler = toLambda((_req, res) => res.end());
    const edge = {
      Records: [{ cf: { config: { eventType: 'origin-response' }, response: { status: '200' } } }],
    };
    await expect(handler(edge as never)).rejects.toBeInstanceOf(UnsupportedEventError);
  });

  it('a function URL is recognised by its domain', () => {
    expect(isFunctionUrlEvent(functionUrlEvent)).toBe(true);
    expect(isFunctionUrlEvent(apiGatewayV2Event)).toBe(false);
  });

  it('a malformed function URL event is reported under that name', async () => {
    const entries: LogEntry[] = [];
    const handler = toLambda<APIGatewayProxyEventV2>((_req, res) => res.end(), {
      log: (e) => entries.push(e),
    });
    const result = await handler({ ...functionUrlEvent, rawPath: 'no-slash' });
    expect(result.statusCode).toBe(400);
    expect(entries[0]?.message).toMatch(/malformed function URL event/);
  });
});

describe('API Gateway payload 1.0', () => {
  describe.each(frameworks)('in $name', (framework) => {
    it('rebuilds the query from decoded values, encoding each once', async () => {
      const { views, app } = seen(framework);
      await toLambda<APIGatewayProxyEvent>(app)({
        ...apiGatewayV1Event,
        queryStringParameters: { q: 'a b&c=d', plus: 'a+b', pct: '100%' },
        multiValueQueryStringParameters: { q: ['a b&c=d'], plus: ['a+b'], pct: ['100%'], tag: ['x', 'y'] },
      });
      expect(views[0].query).toMatchObject({ q: 'a b&c=d', plus: 'a+b', pct: '100%', tag: ['x', 'y'] });
    });

    it('takes the peer address from requestContext.identity.sourceIp', async () => {
      const { views, app } = seen(framework);
      await toLambda<APIGatewayProxyEvent>(app)({
        ...apiGatewayV1Event,
        requestContext: {
          ...apiGatewayV1Event.requestContext,
          identity: { ...apiGatewayV1Event.requestContext.identity, sourceIp: '203.0.113.50' },
        },
      });
      expect(views[0].ip).toBe('203.0.113.50');
    });
  });

  it('reads headers from multiValueHeaders, lower-cased, with repeated cookies joined as Node joins them', async () => {
    let headers: Record<string, unknown> = {};
    await toLambda<APIGatewayProxyEvent>((req, res) => {
      headers = req.headers;
      res.end();
    })({
      ...apiGatewayV1Event,
      multiValueHeaders: { ...apiGatewayV1Event.multiValueHeaders, Cookie: ['a=1', 'b=2'] },
    });
    expect(headers.cookie).toBe('a=1; b=2');
    expect(headers['user-agent']).toBe('curl/8.4.0');
  });

  it('answers with multiValueHeaders carrying every Set-Cookie, and no statusDescription', async () => {
    const result = await toLambda<APIGatewayProxyEvent>(cookieApp())({ ...apiGatewayV1Event, path: '/c' });
    expect(result.statusCode).toBe(200);
    expect(result).not.toHaveProperty('statusDescription');
    expect(result).not.toHaveProperty('headers');
    expect(result.multiValueHeaders?.['set-cookie']).toEqual([
      'a=1; Path=/; Expires=Tue, 01 Jan 2030 00:00:00 GMT',
      'b=2; Path=/',
    ]);
    expect(result.multiValueHeaders?.['x-multi']).toEqual(['x', 'y']);
  });

  it('decodes a base64 body and a null body is empty', async () => {
    const bodies: string[] = [];
    const app = express();
    app.use(express.json());
    app.post('/e', (req, res) => {
      bodies.push(JSON.stringify(req.body));
      res.end();
    });
    const handler = toLambda<APIGatewayProxyEvent>(app);
    await handler({
      ...apiGatewayV1Event,
      httpMethod: 'POST',
      path: '/e',
      multiValueHeaders: { 'Content-Type': ['application/json'] },
      body: Buffer.from('{"a":1}').toString('base64'),
      isBase64Encoded: true,
    });
    expect(bodies).toEqual(['{"a":1}']);
    const empty = await toLambda<APIGatewayProxyEvent>((req, res) =>
      res.end(String(req.headers['content-length'])),
    )(apiGatewayV1Event);
    expect(Buffer.from(empty.body, empty.isBase64Encoded ? 'base64' : 'utf8').toString()).toBe('undefined');
  });

  it('the basePath option strips a stage prefix', async () => {
    const handler = toLambda<APIGatewayProxyEvent>((req, res) => res.end(req.url), { basePath: '/prod' });
    const result = await handler({
      ...apiGatewayV1Event,
      path: '/prod/items',
      queryStringParameters: { a: '1' },
      multiValueQueryStringParameters: null,
    });
    expect(Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').toString()).toBe(
      '/items?a=1',
    );
  });

  it('a malformed payload 1.0 event gets a 400 result in its own shape, with a warning', async () => {
    const entries: LogEntry[] = [];
    const handler = toLambda<APIGatewayProxyEvent>((_req, res) => res.end(), { log: (e) => entries.push(e) });
    const result = await handler({
      ...apiGatewayV1Event,
      multiValueHeaders: { Accept: 'text/html' as never },
    });
    expect(result.statusCode).toBe(400);
    expect(result).toHaveProperty('multiValueHeaders');
    expect(entries[0]).toMatchObject({
      code: 'INVALID_EVENT',
      message: expect.stringContaining('API Gateway'),
    });
  });

  it('getInvocation gives the payload 1.0 event', async () => {
    let stage: string | undefined;
    await toLambda<APIGatewayProxyEvent>((req, res) => {
      stage = getInvocation<APIGatewayProxyEvent>(req)?.event.requestContext.stage;
      res.end();
    })(apiGatewayV1Event);
    expect(stage).toBe('prod');
  });
});

describe('API Gateway payload 2.0 and function URLs', () => {
  describe.each([
    ['HTTP API', apiGatewayV2Event],
    ['function URL', functionUrlEvent],
  ])('%s', (_label, base) => {
    it.each(frameworks)('rawPath and rawQueryString give req.url as sent, in $name', async (framework) => {
      const { views, app } = seen(framework);
      await toLambda<APIGatewayProxyEventV2>(app)({
        ...base,
        rawPath: '/a%20b',
        rawQueryString: 'q=a%20b&p=x+y&t=1&t=2',
      });
      expect(views[0].req.url).toBe('/a%20b?q=a%20b&p=x+y&t=1&t=2');
      expect(views[0].query).toMatchObject({ q: 'a b', p: 'x y', t: ['1', '2'] });
    });

    it('a leading "?" in rawQueryString is not doubled', async () => {
      let url = '';
      await toLambda<APIGatewayProxyEventV2>((req, res) => {
        url = req.url ?? '';
        res.end();
      })({ ...base, rawQueryString: '?parameter1=value1' });
      expect(url).toBe('/hello?parameter1=value1');
    });

    it('cookies[] become one cookie header joined with "; "', async () => {
      let cookie: unknown;
      await toLambda<APIGatewayProxyEventV2>((req, res) => {
        cookie = req.headers.cookie;
        res.end();
      })({ ...base, cookies: ['a=1', 'b=2'] });
      expect(cookie).toBe('a=1; b=2');
    });

    it('the peer address is requestContext.http.sourceIp', async () => {
      let address: string | undefined;
      await toLambda<APIGatewayProxyEventV2>((req, res) => {
        address = req.socket.remoteAddress;
        res.end();
      })({
        ...base,
        requestContext: {
          ...base.requestContext,
          http: { ...base.requestContext.http, sourceIp: '192.0.2.9' },
        },
      });
      expect(address).toBe('192.0.2.9');
    });

    it('answers cookies[] for every Set-Cookie and headers joined with ", " for the rest', async () => {
      const result = await toLambda<APIGatewayProxyEventV2>(cookieApp())({ ...base, rawPath: '/c' });
      expect(result.statusCode).toBe(200);
      expect(result.cookies).toEqual(['a=1; Path=/; Expires=Tue, 01 Jan 2030 00:00:00 GMT', 'b=2; Path=/']);
      expect(result.headers?.['x-multi']).toBe('x, y');
      expect(result.headers).not.toHaveProperty('set-cookie');
      expect(result).not.toHaveProperty('statusDescription');
      expect(result).not.toHaveProperty('multiValueHeaders');
    });

    it('a binary response is base64, a JSON one text', async () => {
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff]);
      const binary = await toLambda<APIGatewayProxyEventV2>((_req, res) => {
        res.setHeader('content-type', 'image/png');
        res.end(png);
      })(base);
      expect(binary.isBase64Encoded).toBe(true);
      expect(Buffer.from(binary.body ?? '', 'base64').equals(png)).toBe(true);
      const json = await toLambda<APIGatewayProxyEventV2>((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end('{"a":1}');
      })(base);
      expect(json).toMatchObject({ isBase64Encoded: false, body: '{"a":1}' });
    });
  });

  it('the size guard uses the 6 MB Lambda limit for API Gateway, not the ALB 1 MB one', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 'a').toString();
    const result = await toLambda<APIGatewayProxyEventV2>((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(big);
    })(apiGatewayV2Event);
    expect(result.statusCode).toBe(200);
    expect(result.body?.length).toBe(big.length);
  });

  it('over 6 MB, an incompressible response is a 502 result that states the size and the limit', async () => {
    const entries: LogEntry[] = [];
    const random = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    const result = await toLambda<APIGatewayProxyEventV2>(
      (_req, res) => {
        res.setHeader('content-type', 'application/octet-stream');
        res.end(random);
      },
      { log: (e) => entries.push(e) },
    )({ ...apiGatewayV2Event, headers: { 'accept-encoding': 'identity' } });
    expect(result.statusCode).toBe(502);
    expect(result.body).toMatch(
      /^The API Gateway result is \d+ bytes of JSON, over its 6291456-byte limit\.$/,
    );
    expect(entries.map((e) => e.code)).toEqual(['RESULT_TOO_LARGE']);
  });
});
