import { describe, expect, it } from 'vitest';
import { mountings, only, recorder, useServers } from './support.js';

const { serve } = useServers();

const SINGLE_KEYS = [
  'body',
  'headers',
  'httpMethod',
  'isBase64Encoded',
  'path',
  'queryStringParameters',
  'requestContext',
];
const MULTI_KEYS = [
  'body',
  'httpMethod',
  'isBase64Encoded',
  'multiValueHeaders',
  'multiValueQueryStringParameters',
  'path',
  'requestContext',
];

describe.each(mountings)('the event, through $name', (mounting) => {
  describe('in single-value mode (the default)', () => {
    it('3: carries headers and queryStringParameters, never the multi-value pair', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/p?a=1').expect(200);
      const event = only(events);
      expect(Object.keys(event).sort()).toEqual(SINGLE_KEYS);
      expect(event).not.toHaveProperty('multiValueHeaders');
      expect(event).not.toHaveProperty('multiValueQueryStringParameters');
      expect(event.queryStringParameters).toEqual({ a: '1' });
      expect(typeof event.headers?.host).toBe('string');
    });

    it('10: an empty query is {}', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/').expect(200);
      expect(only(events).queryStringParameters).toEqual({});
    });
  });

  describe('in multi-value mode', () => {
    it('3: carries multiValueHeaders and multiValueQueryStringParameters, never the single-value pair', async () => {
      const { handler, events } = recorder({ statusCode: 200 });
      const { http } = await serve(mounting, handler, { multiValueHeaders: true });
      await http.get('/p?a=1&a=2').expect(200);
      const event = only(events);
      expect(Object.keys(event).sort()).toEqual(MULTI_KEYS);
      expect(event).not.toHaveProperty('headers');
      expect(event).not.toHaveProperty('queryStringParameters');
      expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2'] });
      expect(event.multiValueHeaders?.host).toHaveLength(1);
    });

    it('10: an empty query is {}', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler, { multiValueHeaders: true });
      await http.get('/').expect(200);
      expect(only(events).multiValueQueryStringParameters).toEqual({});
    });
  });

  it('puts only the target group ARN in requestContext', async () => {
    const { handler, events } = recorder();
    const targetGroupArn =
      'arn:aws:elasticloadbalancing:eu-west-1:210987654321:targetgroup/orders/49e9d65c45c6791a';
    const { http } = await serve(mounting, handler, { targetGroupArn });
    await http.get('/').expect(200);
    expect(only(events).requestContext).toEqual({ elb: { targetGroupArn } });
  });

  it('9: a request without a body has body "" and isBase64Encoded false', async () => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    await http.get('/').expect(200);
    const event = only(events);
    expect(event.body).toBe('');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('11: the path is the request path, with no stage prefix and no query', async () => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    await http.get('/api/x?y=1').expect(200);
    expect(only(events).path).toBe('/api/x');
  });

  it('keeps the path exactly as sent, percent-encoding included', async () => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    await http.get('/a%20b/c%2Fd').expect(200);
    expect(only(events).path).toBe('/a%20b/c%2Fd');
  });

  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])('passes %s as httpMethod', async (method) => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    await http[method.toLowerCase() as 'get']('/').expect(200);
    expect(only(events).httpMethod).toBe(method);
  });

  it('passes HEAD as httpMethod', async () => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    await http.head('/').expect(200);
    expect(only(events).httpMethod).toBe('HEAD');
  });

  it('builds a fresh event for every request', async () => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    await http.get('/one').expect(200);
    await http.get('/two').expect(200);
    expect(events.map((event) => event.path)).toEqual(['/one', '/two']);
    expect(events[0]).not.toBe(events[1]);
  });

  it('15: answers an upgrade (WebSocket) request with 400 and does not invoke the handler', async () => {
    const { handler, events } = recorder();
    const { http, log } = await serve(mounting, handler);
    const response = await http.get('/socket').set('Connection', 'Upgrade').set('Upgrade', 'websocket');
    expect(response.status).toBe(400);
    expect(response.headers.server).toBe('awselb/2.0');
    expect(response.text).toContain('400 Bad Request');
    expect(events).toHaveLength(0);
    expect(log.map((entry) => entry.code)).toEqual(['UPGRADE_REJECTED']);
  });

  it('answers TRACE with 405 and does not invoke the handler', async () => {
    const { handler, events } = recorder();
    const { http, log } = await serve(mounting, handler);
    const response = await http.trace('/');
    expect(response.status).toBe(405);
    expect(response.headers.server).toBe('awselb/2.0');
    expect(response.text).toContain('405 Method Not Allowed');
    expect(events).toHaveLength(0);
    expect(log.map((entry) => entry.code)).toEqual(['METHOD_NOT_ALLOWED']);
  });
});
