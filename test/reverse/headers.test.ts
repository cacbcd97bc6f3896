import { describe, expect, it } from 'vitest';
import { mountings, only, rawRequest, recorder, useServers } from './support.js';

const { serve } = useServers();

const TRACE_ID = /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/;

describe.each(mountings)('request headers, through $name', (mounting) => {
  // A fetch host hands over a Request whose Headers hold one line per name, repeated lines joined.
  const joined = mounting.kind === 'fetch';
  describe('in single-value mode', () => {
    it('4: of two Cookie lines the last one wins', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler);
      const response = await rawRequest(port, 'GET', '/', [
        ['Cookie', 'a=1'],
        ['Cookie', 'b=2'],
      ]);
      expect(response.status).toBe(200);
      expect(only(events).headers?.cookie).toBe(joined ? 'a=1; b=2' : 'b=2');
    });

    it('4: the last of any repeated header wins', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler);
      await rawRequest(port, 'GET', '/', [
        ['Header-Double', 'first'],
        ['Accept', 'text/html'],
        ['Header-Double', 'second'],
      ]);
      const headers = only(events).headers;
      expect(headers?.['header-double']).toBe(joined ? 'first, second' : 'second');
      expect(headers?.accept).toBe('text/html');
    });

    it('5: header names are lower case', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler);
      await rawRequest(port, 'GET', '/', [['X-Custom-HEADER', 'Value Kept']]);
      const headers = only(events).headers ?? {};
      expect(headers['x-custom-header']).toBe('Value Kept');
      for (const name of Object.keys(headers)) expect(name).toBe(name.toLowerCase());
    });

    it('6: the ALB adds x-forwarded-for, x-forwarded-proto, x-forwarded-port and x-amzn-trace-id', async () => {
      const { handler, events } = recorder();
      const { http, port } = await serve(mounting, handler);
      await http.get('/').expect(200);
      const headers = only(events).headers ?? {};
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers['x-forwarded-port']).toBe(String(port));
      expect(headers['x-amzn-trace-id']).toMatch(TRACE_ID);
    });

    it('6: a client x-forwarded-for gets the client address appended', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/').set('X-Forwarded-For', '203.0.113.1, 198.51.100.7').expect(200);
      expect(only(events).headers?.['x-forwarded-for']).toBe('203.0.113.1, 198.51.100.7, 127.0.0.1');
    });

    it('6: a client x-forwarded-proto or x-forwarded-port is replaced by the listener values', async () => {
      const { handler, events } = recorder();
      const { http, port } = await serve(mounting, handler);
      await http.get('/').set('X-Forwarded-Proto', 'https').set('X-Forwarded-Port', '443').expect(200);
      const headers = only(events).headers ?? {};
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers['x-forwarded-port']).toBe(String(port));
    });

    it('6: x-amzn-trace-id is fresh for every request and its first part is the epoch second', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      const before = Math.floor(Date.now() / 1000);
      await http.get('/').expect(200);
      await http.get('/').expect(200);
      const after = Math.floor(Date.now() / 1000);
      const ids = events.map((event) => event.headers?.['x-amzn-trace-id'] ?? '');
      for (const id of ids) {
        expect(id).toMatch(TRACE_ID);
        const seconds = Number.parseInt(id.slice(7, 15), 16);
        expect(seconds).toBeGreaterThanOrEqual(before);
        expect(seconds).toBeLessThanOrEqual(after);
      }
      expect(ids[0]).not.toBe(ids[1]);
    });

    it('keeps the host header and other client headers', async () => {
      const { handler, events } = recorder();
      const { http, port } = await serve(mounting, handler);
      await http.get('/').set('User-Agent', 'curl/8.5.0').set('Accept-Language', 'en-US').expect(200);
      const headers = only(events).headers ?? {};
      expect(headers.host).toBe(`127.0.0.1:${port}`);
      expect(headers['user-agent']).toBe('curl/8.5.0');
      expect(headers['accept-language']).toBe('en-US');
    });
  });

  describe('in multi-value mode', () => {
    it('4: two Cookie lines stay two values, in wire order, not joined', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler, { multiValueHeaders: true });
      await rawRequest(port, 'GET', '/', [
        ['Cookie', 'a=1'],
        ['Cookie', 'b=2'],
      ]);
      expect(only(events).multiValueHeaders?.cookie).toEqual(joined ? ['a=1; b=2'] : ['a=1', 'b=2']);
    });

    it('4: every repeated header keeps all its values in wire order', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler, { multiValueHeaders: true });
      await rawRequest(port, 'GET', '/', [
        ['Accept', 'text/html'],
        ['X-Tag', 'one'],
        ['accept', 'application/json'],
        ['X-TAG', 'two'],
      ]);
      const headers = only(events).multiValueHeaders ?? {};
      expect(headers.accept).toEqual(
        joined ? ['text/html, application/json'] : ['text/html', 'application/json'],
      );
      expect(headers['x-tag']).toEqual(joined ? ['one, two'] : ['one', 'two']);
    });

    it('5: header names are lower case', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler, { multiValueHeaders: true });
      await rawRequest(port, 'GET', '/', [['X-Custom-HEADER', 'v']]);
      const headers = only(events).multiValueHeaders ?? {};
      expect(headers['x-custom-header']).toEqual(['v']);
      for (const name of Object.keys(headers)) expect(name).toBe(name.toLowerCase());
    });

    it('6: the ALB headers are single-element arrays, x-forwarded-for appended to', async () => {
      const { handler, events } = recorder();
      const { http, port } = await serve(mounting, handler, { multiValueHeaders: true });
      await http.get('/').set('X-Forwarded-For', '203.0.113.1').expect(200);
      const headers = only(events).multiValueHeaders ?? {};
      expect(headers['x-forwarded-for']).toEqual(['203.0.113.1, 127.0.0.1']);
      expect(headers['x-forwarded-proto']).toEqual(['http']);
      expect(headers['x-forwarded-port']).toEqual([String(port)]);
      expect(headers['x-amzn-trace-id']).toHaveLength(1);
      expect(headers['x-amzn-trace-id']?.[0]).toMatch(TRACE_ID);
    });
  });

  it('answers 463 when x-forwarded-for already holds more than 30 addresses', async () => {
    const { handler, events } = recorder();
    const { http, log } = await serve(mounting, handler);
    const hops = Array.from({ length: 31 }, (_, i) => `10.0.0.${i + 1}`).join(', ');
    const response = await http.get('/').set('X-Forwarded-For', hops);
    expect(response.status).toBe(463);
    expect(response.headers.server).toBe('awselb/2.0');
    expect(events).toHaveLength(0);
    expect(log.map((entry) => entry.code)).toEqual(['TOO_MANY_FORWARDED_HOPS']);
  });

  it('passes x-forwarded-for with exactly 30 addresses, plus the client', async () => {
    const { handler, events } = recorder();
    const { http } = await serve(mounting, handler);
    const hops = Array.from({ length: 30 }, (_, i) => `10.0.0.${i + 1}`).join(', ');
    await http.get('/').set('X-Forwarded-For', hops).expect(200);
    expect(only(events).headers?.['x-forwarded-for']).toBe(`${hops}, 127.0.0.1`);
  });
});
