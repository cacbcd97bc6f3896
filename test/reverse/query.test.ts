import { describe, expect, it } from 'vitest';
import { mountings, only, rawRequest, recorder, useServers } from './support.js';

const { serve } = useServers();

describe.each(mountings)('the query string, through $name', (mounting) => {
  describe('in single-value mode', () => {
    it('1: the query reaches the event still URL-encoded, + included', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/p?q=a%20b&x=%2F&y=a+b').expect(200);
      expect(only(events).queryStringParameters).toEqual({ q: 'a%20b', x: '%2F', y: 'a+b' });
    });

    it('1: keys stay URL-encoded too', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/p?foo%5Ba%5D=foo%5B&k%5B%5D=1').expect(200);
      expect(only(events).queryStringParameters).toEqual({ 'foo%5Ba%5D': 'foo%5B', 'k%5B%5D': '1' });
    });

    it('2: the last of repeated keys wins and there is no multiValueQueryStringParameters', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/p?a=1&b=x&a=2').expect(200);
      const event = only(events);
      expect(event.queryStringParameters).toEqual({ a: '2', b: 'x' });
      expect(event).not.toHaveProperty('multiValueQueryStringParameters');
    });

    it('splits each item on the first "=" only', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/p?expr=a=b=c&empty=').expect(200);
      expect(only(events).queryStringParameters).toEqual({ expr: 'a=b=c', empty: '' });
    });

    it('gives a key without "=" the value ""', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/p?flag&x=1').expect(200);
      expect(only(events).queryStringParameters).toEqual({ flag: '', x: '1' });
    });

    it('skips empty items between "&"', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler);
      await http.get('/p?&a=1&&b=2&').expect(200);
      expect(only(events).queryStringParameters).toEqual({ a: '1', b: '2' });
    });

    it('passes a malformed percent sequence through as sent', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler);
      const response = await rawRequest(port, 'GET', '/p?utm=%%URL%%');
      expect(response.status).toBe(200);
      expect(only(events).queryStringParameters).toEqual({ utm: '%%URL%%' });
    });

    it('gives a bare "?" an empty query', async () => {
      const { handler, events } = recorder();
      const { port } = await serve(mounting, handler);
      await rawRequest(port, 'GET', '/p?');
      const event = only(events);
      expect(event.path).toBe('/p');
      expect(event.queryStringParameters).toEqual({});
    });
  });

  describe('in multi-value mode', () => {
    it('3: repeated keys become arrays in wire order, and there is no queryStringParameters', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler, { multiValueHeaders: true });
      await http.get('/p?a=1&b=x&a=2&a=3').expect(200);
      const event = only(events);
      expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2', '3'], b: ['x'] });
      expect(event).not.toHaveProperty('queryStringParameters');
    });

    it('1: values and keys stay URL-encoded', async () => {
      const { handler, events } = recorder();
      const { http } = await serve(mounting, handler, { multiValueHeaders: true });
      await http.get('/p?q=a%20b&q=a+b&k%5B%5D=%2F').expect(200);
      expect(only(events).multiValueQueryStringParameters).toEqual({
        q: ['a%20b', 'a+b'],
        'k%5B%5D': ['%2F'],
      });
    });
  });
});
