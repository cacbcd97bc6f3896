import type { ALBEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type LogEntry, REASON_HEADER, toFetch } from '../../index.js';
import { loose } from './support.js';

function recorder(result: unknown = { statusCode: 200 }) {
  const events: ALBEvent[] = [];
  const handler = loose(async (event: ALBEvent) => {
    events.push(event);
    return result;
  });
  return { handler, events };
}

describe('toFetch, called with a Request and no server', () => {
  it('builds the ALB event from the Request: path, raw query, the host a client sends, body', async () => {
    const { handler, events } = recorder({ statusCode: 201, statusDescription: '201 Created', body: 'made' });
    const response = await toFetch(handler)(
      new Request('http://api.example.com:8080/orders?id=7&tag=a+b', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"n":1}',
      }),
    );
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('made');
    const [event] = events;
    expect(event.httpMethod).toBe('POST');
    expect(event.path).toBe('/orders');
    expect(event.queryStringParameters).toEqual({ id: '7', tag: 'a+b' });
    expect(event.body).toBe('{"n":1}');
    expect(event.headers?.host).toBe('api.example.com:8080');
    expect(event.headers?.['x-forwarded-port']).toBe('8080');
    expect(event.headers?.['x-forwarded-proto']).toBe('http');
  });

  it('an https URL is an https listener on 443; the peer is request.ip when the host sets it', async () => {
    const { handler, events } = recorder();
    const request = new Request('https://secure.example/');
    Object.defineProperty(request, 'ip', { value: '203.0.113.4' });
    await toFetch(handler)(request);
    expect(events[0].headers?.['x-forwarded-proto']).toBe('https');
    expect(events[0].headers?.['x-forwarded-port']).toBe('443');
    expect(events[0].headers?.['x-forwarded-for']).toBe('203.0.113.4');
  });

  it('without request.ip the peer is the loopback address', async () => {
    const { handler, events } = recorder();
    await toFetch(handler)(new Request('http://localhost/'));
    expect(events[0].headers?.['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('every Set-Cookie of a multi-value result is its own header of the Response', async () => {
    const handler = async () => ({
      statusCode: 200,
      multiValueHeaders: { 'set-cookie': ['a=1; Expires=Tue, 01 Jan 2030 00:00:00 GMT', 'b=2'] },
      body: '',
    });
    const response = await toFetch(handler, { multiValueHeaders: true })(new Request('http://x/'));
    expect(response.headers.getSetCookie()).toEqual(['a=1; Expires=Tue, 01 Jan 2030 00:00:00 GMT', 'b=2']);
  });

  it('a binary result arrives as its bytes', async () => {
    const bytes = Buffer.from([0, 255, 1, 254]);
    const handler = async () => ({
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    });
    const response = await toFetch(handler)(new Request('http://x/'));
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    expect(response.headers.get('content-length')).toBe('4');
  });

  it('an invalid result is the ALB’s own 502 page, with the reason header and the log hook', async () => {
    const log: LogEntry[] = [];
    const response = await toFetch(
      loose(async () => ({ statusCode: '200' })),
      { log: (e) => log.push(e) },
    )(new Request('http://x/'));
    expect(response.status).toBe(502);
    expect(response.headers.get('server')).toBe('awselb/2.0');
    expect(response.headers.get(REASON_HEADER)).toMatch(/statusCode/);
    expect(log.map((e) => e.code)).toContain('INVALID_RESULT');
  });

  it('a body over the ALB’s 1 MB request limit is refused with 413 before the handler runs', async () => {
    const { handler, events } = recorder();
    const response = await toFetch(handler, { log: () => {} })(
      new Request('http://x/upload', { method: 'POST', body: new Uint8Array(1024 * 1024 + 1) }),
    );
    expect(response.status).toBe(413);
    expect(events).toEqual([]);
  });

  it('a body already read is refused with 500 and a message that says why', async () => {
    const { handler, events } = recorder();
    const request = new Request('http://x/', { method: 'POST', body: 'read' });
    await request.text();
    const response = await toFetch(handler, { log: () => {} })(request);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('already read');
    expect(events).toEqual([]);
  });

  it('a HEAD answer has no body and keeps the content-length', async () => {
    const handler = async () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/plain' },
      body: 'twelve bytes',
    });
    const response = await toFetch(handler)(new Request('http://x/', { method: 'HEAD' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('12');
    expect(await response.text()).toBe('');
  });

  it('takes the same format option: an HTTP API event, and its result rules', async () => {
    const events: APIGatewayProxyEventV2[] = [];
    const handler = async (event: APIGatewayProxyEventV2) => {
      events.push(event);
      return { hello: 'world' };
    };
    const response = await toFetch(loose(handler), { format: 'apigw-v2' })(new Request('http://x/p?q=1'));
    expect(events[0].rawPath).toBe('/p');
    expect(events[0].rawQueryString).toBe('q=1');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('a handler that fails gives the service’s failure answer', async () => {
    const response = await toFetch(
      loose(async () => {
        throw new Error('boom');
      }),
      { log: () => {} },
    )(new Request('http://x/'));
    expect(response.status).toBe(502);
  });
});
