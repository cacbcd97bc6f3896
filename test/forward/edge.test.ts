import type { IncomingMessage } from 'node:http';
import type { CloudFrontRequestEvent, CloudFrontResultResponse } from 'aws-lambda';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { getInvocation, toLambda } from '../../adapters/lambda.js';
import { UnsupportedEventError } from '../../lib/errors.js';
import { TRUNCATED_HEADER } from '../../lib/formats/edge.js';
import type { LogEntry } from '../../lib/log.js';
import { edgeBodyEvent, edgeOriginRequestEvent, edgeViewerRequestEvent } from '../fixtures/edge-events.js';
import { png } from '../fixtures/png.js';
import { frameworks, type View } from './support.js';

type Request = CloudFrontRequestEvent['Records'][0]['cf']['request'];

/** The event with its request (and event type) changed. */
function edge(
  base: CloudFrontRequestEvent,
  changes: Partial<Request> | Record<string, unknown>,
  eventType?: string,
): CloudFrontRequestEvent {
  const cf = base.Records[0].cf;
  return {
    Records: [
      {
        cf: {
          config: { ...cf.config, ...(eventType ? { eventType } : {}) } as typeof cf.config,
          request: { ...cf.request, ...changes } as Request,
        },
      },
    ],
  };
}

function run(
  app: Parameters<typeof toLambda>[0],
  event: CloudFrontRequestEvent,
  options: Parameters<typeof toLambda>[1] = {},
) {
  const log: LogEntry[] = [];
  const handler = toLambda<CloudFrontRequestEvent>(app, { ...options, log: (entry) => log.push(entry) });
  return {
    log,
    result: handler(JSON.parse(JSON.stringify(event))) as Promise<CloudFrontResultResponse>,
  };
}

describe.each(frameworks)('Lambda@Edge request events through $name', (framework) => {
  async function view(event: CloudFrontRequestEvent): Promise<View> {
    const box: { view?: View } = {};
    const { result, log } = run(
      framework.view((v) => {
        box.view = v;
      }),
      event,
    );
    expect((await result).status).toBe('200');
    expect(log).toEqual([]);
    if (box.view === undefined) throw new Error('the app was not reached');
    return box.view;
  }

  it('viewer request (the AWS example): method, uri, headers, peer from clientIp', async () => {
    const seen = await view(edgeViewerRequestEvent);
    expect(seen.req.method).toBe('GET');
    expect(seen.req.url).toBe('/');
    expect(seen.req.headers.host).toBe('d111111abcdef8.cloudfront.net');
    expect(seen.req.headers['user-agent']).toBe('curl/7.66.0');
    expect(seen.ip).toBe('203.0.113.178');
    expect(seen.protocol).toBe('http');
  });

  it('origin request (the AWS example): CloudFront headers, protocol from cloudfront-forwarded-proto', async () => {
    const event = edge(edgeOriginRequestEvent, {
      headers: {
        ...edgeOriginRequestEvent.Records[0].cf.request.headers,
        'cloudfront-forwarded-proto': [{ key: 'CloudFront-Forwarded-Proto', value: 'https' }],
      },
    });
    const seen = await view(event);
    expect(seen.req.headers.via).toContain('cloudfront.net (CloudFront)');
    expect(seen.protocol).toBe('https');
    expect(seen.ip).toBe('203.0.113.178');
  });

  it('the raw querystring is passed as sent, so the app decodes it once', async () => {
    const seen = await view(edge(edgeViewerRequestEvent, { querystring: 'q=a%20b%26c&q=2&plus=a+b&flag' }));
    expect(seen.req.url).toBe('/?q=a%20b%26c&q=2&plus=a+b&flag');
    expect(seen.query).toMatchObject({ q: ['a b&c', '2'], flag: '' });
  });
});

describe('Lambda@Edge request headers and body', () => {
  function capture() {
    const seen: Array<{ req: IncomingMessage; body: Buffer }> = [];
    const app = (req: IncomingMessage, res: { end(): void }) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ req, body: Buffer.concat(chunks) });
        res.end();
      });
    };
    return { seen, app: app as never };
  }

  it('repeated header entries stay separate lines, in order', async () => {
    const { seen, app } = capture();
    await run(
      app,
      edge(edgeViewerRequestEvent, {
        headers: {
          'x-multi': [
            { key: 'X-Multi', value: 'x' },
            { key: 'X-Multi', value: 'y' },
          ],
          cookie: [
            { key: 'Cookie', value: 'a=1' },
            { key: 'Cookie', value: 'b=2' },
          ],
        },
      }),
    ).result;
    expect(seen[0].req.rawHeaders).toEqual([
      'x-multi',
      'x',
      'x-multi',
      'y',
      'cookie',
      'a=1',
      'cookie',
      'b=2',
    ]);
    expect(seen[0].req.headers.cookie).toBe('a=1; b=2');
  });

  it('an included body (the AWS example) is decoded from base64', async () => {
    const { seen, app } = capture();
    await run(app, edgeBodyEvent).result;
    expect(seen[0].body.toString()).toBe('{"username":"Lambda@Edge","comment":"This is request body"}');
    expect(seen[0].req.headers['content-length']).toBe(String(seen[0].body.length));
    expect(seen[0].req.headers[TRUNCATED_HEADER]).toBeUndefined();
    expect(seen[0].req.url).toBe('/picture.jpg?size=large');
  });

  it('a truncated body is stated to the app with x-lambda-bridge-body-truncated, never passed as if whole', async () => {
    const { seen, app } = capture();
    const body = { ...edgeBodyEvent.Records[0].cf.request.body, inputTruncated: true };
    await run(app, edge(edgeBodyEvent, { body } as Partial<Request>)).result;
    expect(seen[0].req.headers[TRUNCATED_HEADER]).toBe('true');
    let invocation: unknown;
    await run(
      (req, res) => {
        invocation =
          getInvocation<CloudFrontRequestEvent>(req)?.event.Records[0].cf.request.body?.inputTruncated;
        res.end();
      },
      edge(edgeBodyEvent, { body } as Partial<Request>),
    ).result;
    expect(invocation).toBe(true);
  });

  it('a client cannot claim truncation: a sent x-lambda-bridge-body-truncated is removed', async () => {
    const { seen, app } = capture();
    await run(
      app,
      edge(edgeBodyEvent, {
        headers: { [TRUNCATED_HEADER]: [{ key: 'X-Lambda-Bridge-Body-Truncated', value: 'true' }] },
      }),
    ).result;
    expect(seen[0].req.headers[TRUNCATED_HEADER]).toBeUndefined();
  });

  it('a text-encoded body is read as UTF-8', async () => {
    const { seen, app } = capture();
    const body = { action: 'read-only', data: 'héllo', encoding: 'text', inputTruncated: false };
    await run(app, edge(edgeBodyEvent, { body } as Partial<Request>)).result;
    expect(seen[0].body.toString('utf8')).toBe('héllo');
  });
});

describe('Lambda@Edge generated responses', () => {
  it('status as a string, statusDescription, { key, value } headers in usual casing, bodyEncoding text', async () => {
    const app = express();
    app.get('/', (_req, res) => {
      res.set('x-multi', ['x', 'y']);
      res.status(201).json({ ok: true });
    });
    const result = await run(app, edgeViewerRequestEvent).result;
    expect(result.status).toBe('201');
    expect(result.statusDescription).toBe('Created');
    expect(result.headers?.['content-type']).toEqual([
      { key: 'Content-Type', value: 'application/json; charset=utf-8' },
    ]);
    expect(result.headers?.['x-multi']).toEqual([
      { key: 'X-Multi', value: 'x' },
      { key: 'X-Multi', value: 'y' },
    ]);
    // CloudFront computes the length itself; content-length is read-only for a function.
    expect(result.headers?.['content-length']).toBeUndefined();
    expect(result.body).toBe('{"ok":true}');
    expect(result.bodyEncoding).toBe('text');
  });

  it('every Set-Cookie is kept, one entry each', async () => {
    const app = express();
    app.use((_req, res) => {
      res.cookie('a', '1');
      res.cookie('b', '2');
      res.end();
    });
    const { result, log } = run(app, edgeOriginRequestEvent);
    expect((await result).headers?.['set-cookie']).toEqual([
      { key: 'Set-Cookie', value: 'a=1; Path=/' },
      { key: 'Set-Cookie', value: 'b=2; Path=/' },
    ]);
    expect(log).toEqual([]);
  });

  it('a binary body has bodyEncoding base64', async () => {
    const result = await run((_req, res) => {
      res.setHeader('content-type', 'image/png');
      res.end(png);
    }, edgeOriginRequestEvent).result;
    expect(result.bodyEncoding).toBe('base64');
    expect(Buffer.from(result.body as string, 'base64').equals(png)).toBe(true);
  });

  it('disallowed and read-only headers are left out, with one warning per name', async () => {
    const app = (_req: IncomingMessage, res: import('node:http').ServerResponse) => {
      res.setHeader('x-amzn-requestid', 'r');
      res.setHeader('x-cache', 'HIT');
      res.setHeader('via', '1.1 proxy');
      res.setHeader('x-real-ip', '1.2.3.4');
      res.setHeader('x-kept', 'yes');
      res.end('ok');
    };
    const { result, log } = run(app, edgeViewerRequestEvent);
    const headers = (await result).headers ?? {};
    expect(Object.keys(headers).sort()).toEqual(['x-kept']);
    expect(log.map((entry) => entry.code)).toEqual(['HEADERS_DROPPED']);
    expect(log[0].message).toContain('x-amzn-requestid, x-cache, via, x-real-ip');
    expect(log[0].message).toContain('viewer-request');
  });

  it('the origin-request read-only headers differ: if-none-match is refused there, host is not', () => {
    return (async () => {
      const app = (_req: IncomingMessage, res: import('node:http').ServerResponse) => {
        res.setHeader('if-none-match', '"x"');
        res.setHeader('host', 'example.org');
        res.end();
      };
      const origin = run(app, edgeOriginRequestEvent);
      expect(Object.keys((await origin.result).headers ?? {})).toEqual(['host']);
      const viewer = run(app, edgeViewerRequestEvent);
      expect(Object.keys((await viewer.result).headers ?? {})).toEqual(['if-none-match']);
    })();
  });

  it('a viewer-request response over 40 KB is answered with a coded 502', async () => {
    const body = Buffer.alloc(41 * 1024, 'a');
    const { result, log } = run((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-encoding', 'identity');
      res.end(body);
    }, edgeViewerRequestEvent);
    const answer = await result;
    expect(answer.status).toBe('502');
    expect(answer.body).toContain('40960-byte limit');
    expect(log.map((entry) => entry.code)).toEqual(['RESULT_TOO_LARGE']);
    expect(log[0].message).toContain('viewer-request');
  });

  it('the same body fits an origin-request response (1 MB), and 1 MB does not', async () => {
    const app = (size: number) => (_req: IncomingMessage, res: import('node:http').ServerResponse) => {
      res.setHeader('content-type', 'text/plain');
      res.setHeader('content-encoding', 'identity');
      res.end(Buffer.alloc(size, 'a'));
    };
    expect((await run(app(41 * 1024), edgeOriginRequestEvent).result).status).toBe('200');
    expect((await run(app(1024 * 1024), edgeOriginRequestEvent).result).status).toBe('502');
  });

  it('a compressible body over the limit is sent gzipped when the viewer accepts it', async () => {
    const event = edge(edgeViewerRequestEvent, {
      headers: { 'accept-encoding': [{ key: 'Accept-Encoding', value: 'gzip' }] },
    });
    const result = await run((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('a'.repeat(100 * 1024));
    }, event).result;
    expect(result.status).toBe('200');
    expect(result.headers?.['content-encoding']).toEqual([{ key: 'Content-Encoding', value: 'gzip' }]);
    expect(result.bodyEncoding).toBe('base64');
  });
});

describe('Lambda@Edge events that are not requests to answer', () => {
  it.each(['viewer-response', 'origin-response'])(
    'a %s event is refused with LAMBDA_BRIDGE_UNSUPPORTED_EVENT saying why',
    async (eventType) => {
      const handler = toLambda<CloudFrontRequestEvent>((_req, res) => res.end());
      const event = edge(edgeViewerRequestEvent, {}, eventType);
      const error = await handler(event).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedEventError);
      expect((error as UnsupportedEventError).code).toBe('LAMBDA_BRIDGE_UNSUPPORTED_EVENT');
      expect((error as Error).message).toContain(eventType);
      expect((error as Error).message).toContain('viewer-request or origin-request');
    },
  );

  it.each([
    ['no event type', edge(edgeViewerRequestEvent, {}, undefined), 'config.eventType'],
    ['a relative uri', edge(edgeViewerRequestEvent, { uri: 'x' }), 'uri must be'],
    [
      'headers not in { key, value } form',
      edge(edgeViewerRequestEvent, { headers: { a: 'b' } } as never),
      'headers["a"]',
    ],
    [
      'a body with an unknown encoding',
      edge(edgeBodyEvent, { body: { data: 'x', encoding: 'hex' } } as never),
      'body.encoding',
    ],
    [
      'a body that is not base64',
      edge(edgeBodyEvent, { body: { data: '%%', encoding: 'base64' } } as never),
      'base64',
    ],
  ])(
    'a malformed request event (%s) is answered with 400 in the CloudFront shape',
    async (_name, event, reason) => {
      if (_name === 'no event type') delete (event.Records[0].cf.config as { eventType?: string }).eventType;
      const { result, log } = run((_req, res) => res.end('reached'), event);
      const answer = await result;
      expect(answer.status).toBe('400');
      expect(answer.body).toBe('Bad Request');
      expect(log.map((entry) => entry.code)).toEqual(['INVALID_EVENT']);
      expect(log[0].message).toContain(reason);
    },
  );
});
