import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { getInvocation, toLambda } from '../../adapters/lambda.js';
import { UnknownEventError } from '../../lib/errors.js';
import { createApiGatewayEvent } from '../../lib/events.js';
import type { LogEntry } from '../../lib/log.js';
import { albEvent } from '../fixtures/alb-event.js';
import { apiGatewayV1Event } from '../fixtures/apigw-v1-event.js';
import { apiGatewayV2Event } from '../fixtures/apigw-v2-event.js';
import { type NodeFramework, nodeFrameworks, readBody } from './support.js';

// Test suites written for other adapters build events by hand, without a requestContext.
type HandWritten = Partial<APIGatewayProxyEvent> & { httpMethod: string };

interface Seen {
  method?: string;
  url?: string;
  headers?: IncomingMessage['headers'];
  body?: string;
  event?: unknown;
}

function echo(framework: NodeFramework, seen: Seen) {
  return framework.wrap(async (req, res) => {
    seen.method = req.method;
    seen.url = req.url;
    seen.headers = req.headers;
    seen.body = (await readBody(req)).toString();
    seen.event = getInvocation(req)?.event;
    res.setHeader('content-type', 'text/plain');
    res.end(`${req.method} ${req.url}`);
  });
}

function handlerOf(framework: NodeFramework, seen: Seen) {
  const log: LogEntry[] = [];
  const handler = toLambda<APIGatewayProxyEvent>(echo(framework, seen), { log: (e) => log.push(e) });
  const run = (event: HandWritten) =>
    handler(event as APIGatewayProxyEvent) as Promise<APIGatewayProxyResult>;
  return { run, log };
}

describe.each(nodeFrameworks)(
  'a hand-written event (httpMethod, no requestContext), in $name',
  (framework) => {
    it('is read as API Gateway REST payload 1.0 and answered in its result shape', async () => {
      const seen: Seen = {};
      const { run, log } = handlerOf(framework, seen);
      const result = await run({ httpMethod: 'GET', path: '/hello', headers: { Accept: 'text/plain' } });
      expect(result.statusCode).toBe(200);
      expect(result.body).toBe('GET /hello');
      expect(result.multiValueHeaders?.['content-type']).toEqual(['text/plain']);
      expect(result).not.toHaveProperty('statusDescription');
      expect(seen.headers?.accept).toBe('text/plain');
      expect(log.map((e) => e.code)).toEqual(['HAND_WRITTEN_EVENT']);
      expect(log[0].message).toContain('requestContext');
      expect(log[0].message).not.toContain('path (');
      expect(log[0].message).not.toContain('headers (');
    });

    it('a missing path is "/" and missing headers are none, and the warning names both', async () => {
      const seen: Seen = {};
      const { run, log } = handlerOf(framework, seen);
      const result = await run({ httpMethod: 'GET' });
      expect(result.statusCode).toBe(200);
      expect(seen.url).toBe('/');
      expect(Object.keys(seen.headers ?? {})).toEqual([]);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ level: 'warn', code: 'HAND_WRITTEN_EVENT' });
      expect(log[0].message).toMatch(/requestContext, path \(read as "\/"\), headers \(read as none\)/);
    });

    it('query parameters, a body and base64 are read as payload 1.0 reads them', async () => {
      const seen: Seen = {};
      const { run } = handlerOf(framework, seen);
      await run({
        httpMethod: 'POST',
        path: '/items',
        queryStringParameters: { name: 'John Doe', q: 'a+b' },
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from('{"a":1}').toString('base64'),
        isBase64Encoded: true,
      });
      expect(seen.method).toBe('POST');
      expect(new URL(seen.url ?? '', 'http://x').searchParams.get('name')).toBe('John Doe');
      expect(new URL(seen.url ?? '', 'http://x').searchParams.get('q')).toBe('a+b');
      expect(seen.body).toBe('{"a":1}');
      expect(seen.headers?.['content-length']).toBe('7');
    });

    it('warns once per handler, and each handler warns for itself', async () => {
      const first = handlerOf(framework, {});
      await first.run({ httpMethod: 'GET', path: '/a' });
      await first.run({ httpMethod: 'GET' });
      expect(first.log).toHaveLength(1);
      const second = handlerOf(framework, {});
      await second.run({ httpMethod: 'GET', path: '/b' });
      expect(second.log).toHaveLength(1);
    });

    it('the app gets the caller event itself, unchanged', async () => {
      const seen: Seen = {};
      const { run } = handlerOf(framework, seen);
      const event: HandWritten = { httpMethod: 'GET' };
      await run(event);
      expect(seen.event).toBe(event);
      expect(event).toEqual({ httpMethod: 'GET' });
    });
  },
);

describe('events that services send are read as before, with no warning', () => {
  it.each([
    ['an ALB event', albEvent],
    ['an API Gateway REST event', apiGatewayV1Event],
    ['an HTTP API event', apiGatewayV2Event],
    ['an event from createApiGatewayEvent', createApiGatewayEvent({ url: '/x' }, { format: 'apigw-v1' })],
  ])('%s', async (_name, event) => {
    const log: LogEntry[] = [];
    const handler = toLambda((_req, res) => res.end('ok'), { log: (e) => log.push(e) });
    const result = await handler(event as typeof albEvent);
    expect(result.statusCode).toBe(200);
    expect(log).toEqual([]);
  });

  it('an httpMethod with a requestContext that is null or not an object is still of no known kind', async () => {
    const handler = toLambda((_req, res) => res.end('ok'), { log: () => {} });
    for (const requestContext of [null, 'ctx']) {
      await expect(
        handler({ httpMethod: 'GET', path: '/', requestContext } as unknown as typeof albEvent),
      ).rejects.toBeInstanceOf(UnknownEventError);
    }
  });

  it('a malformed hand-written event is answered 400 like any payload 1.0 event', async () => {
    const log: LogEntry[] = [];
    const handler = toLambda((_req, res) => res.end('ok'), { log: (e) => log.push(e) });
    const result = await handler({ httpMethod: 'GET', path: 'no-slash' } as unknown as typeof albEvent);
    expect(result.statusCode).toBe(400);
    expect(log.map((e) => e.code)).toEqual(['HAND_WRITTEN_EVENT', 'INVALID_EVENT']);
  });
});
