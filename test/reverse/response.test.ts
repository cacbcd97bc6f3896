import { describe, expect, it } from 'vitest';
import { makePng } from '../fixtures/png.js';
import { answering, bytes, mountings, rawRequest, rawValues, resultFor, useServers } from './support.js';

const { serve } = useServers();

const EXPIRES = 'Expires=Tue, 01 Jan 2030 00:00:00 GMT';

describe.each(mountings)('the response the client gets, through $name', (mounting) => {
  describe.each([false, true])('with multiValueHeaders: %s', (multiValue) => {
    it('has the status, headers and body of the result', async () => {
      const result = resultFor(
        multiValue,
        { 'content-type': 'application/json', 'x-request-id': 'r-1' },
        { statusCode: 201, body: '{"id":7}' },
      );
      const { http, log } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await http.post('/');
      expect(response.status).toBe(201);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.headers['x-request-id']).toBe('r-1');
      expect(response.body).toEqual({ id: 7 });
      expect(log).toEqual([]);
    });

    it('35: statusDescription "418 I\'m a teapot" is the reason phrase of the status line', async () => {
      const result = resultFor(multiValue, {}, { statusCode: 418, statusDescription: "418 I'm a teapot" });
      const { port } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await rawRequest(port, 'GET', '/');
      expect(response.statusLine).toBe("HTTP/1.1 418 I'm a teapot");
    });

    it('35: a custom reason phrase is passed through', async () => {
      const result = resultFor(multiValue, {}, { statusCode: 200, statusDescription: '200 Fine Thanks' });
      const { port } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      expect((await rawRequest(port, 'GET', '/')).statusLine).toBe('HTTP/1.1 200 Fine Thanks');
    });

    it('without statusDescription the standard reason phrase is used', async () => {
      const { port } = await serve(mounting, answering({ statusCode: 404 }), {
        multiValueHeaders: multiValue,
      });
      expect((await rawRequest(port, 'GET', '/')).statusLine).toBe('HTTP/1.1 404 Not Found');
    });

    it('decodes a base64 body to the exact bytes', async () => {
      const png = makePng(16);
      const result = resultFor(
        multiValue,
        { 'content-type': 'image/png' },
        { statusCode: 200, body: png.toString('base64'), isBase64Encoded: true },
      );
      const { http } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await http.get('/logo.png').buffer(true).parse(bytes).expect(200);
      expect((response.body as Buffer).equals(png)).toBe(true);
      expect(response.headers['content-length']).toBe(String(png.length));
    });

    it('accepts URL-safe base64 without padding', async () => {
      const result = resultFor(multiValue, {}, { statusCode: 200, body: '-_8', isBase64Encoded: true });
      const { http } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await http.get('/').buffer(true).parse(bytes).expect(200);
      expect([...(response.body as Buffer)]).toEqual([0xfb, 0xff]);
    });

    it('38: hop-by-hop headers are dropped and a wrong content-length is replaced', async () => {
      const result = resultFor(
        multiValue,
        {
          connection: 'close',
          'transfer-encoding': 'chunked',
          'keep-alive': 'timeout=99',
          upgrade: 'h2c',
          'proxy-authenticate': 'Basic',
          'content-length': '999',
          'content-type': 'text/plain',
        },
        { statusCode: 200, body: 'héllo' },
      );
      const { port } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await rawRequest(port, 'GET', '/');
      expect(response.status).toBe(200);
      expect(rawValues(response, 'content-length')).toEqual(['6']);
      expect(rawValues(response, 'transfer-encoding')).toEqual([]);
      expect(rawValues(response, 'keep-alive')).toEqual([]);
      expect(rawValues(response, 'upgrade')).toEqual([]);
      expect(rawValues(response, 'proxy-authenticate')).toEqual([]);
      expect(response.body.toString()).toBe('héllo');
    });

    it('38: a connection: close from the result does not close a keep-alive connection', async () => {
      const result = resultFor(multiValue, { connection: 'close' }, { statusCode: 200, body: 'x' });
      const { http } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await http.get('/').set('Connection', 'keep-alive').expect(200);
      expect(response.headers.connection).toBe('keep-alive');
    });

    it('38: content-length is computed from the body when the result has none', async () => {
      const result = resultFor(
        multiValue,
        { 'content-type': 'text/plain' },
        { statusCode: 200, body: '€uro' },
      );
      const { port } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await rawRequest(port, 'GET', '/');
      expect(rawValues(response, 'content-length')).toEqual(['6']);
      expect(response.body.toString()).toBe('€uro');
    });

    it('a result with only a statusCode is an empty 200 with content-length 0', async () => {
      const { port } = await serve(mounting, answering({ statusCode: 200 }), {
        multiValueHeaders: multiValue,
      });
      const response = await rawRequest(port, 'GET', '/');
      expect(response.status).toBe(200);
      expect(rawValues(response, 'content-length')).toEqual(['0']);
      expect(response.body).toHaveLength(0);
    });

    it('41: no content-type is invented when the result has none', async () => {
      const { port } = await serve(mounting, answering({ statusCode: 200, body: 'x' }), {
        multiValueHeaders: multiValue,
      });
      const response = await rawRequest(port, 'GET', '/');
      expect(rawValues(response, 'content-type')).toEqual([]);
      expect(response.body.toString()).toBe('x');
    });

    it('HEAD: the headers of the result and no body', async () => {
      const result = resultFor(
        multiValue,
        { 'content-type': 'text/plain' },
        { statusCode: 200, body: 'hello' },
      );
      const { port } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await rawRequest(port, 'HEAD', '/');
      expect(response.status).toBe(200);
      expect(rawValues(response, 'content-type')).toEqual(['text/plain']);
      expect(rawValues(response, 'content-length')).toEqual(['5']);
      expect(response.body).toHaveLength(0);
    });

    it('204: no body and no content-length', async () => {
      const { port } = await serve(mounting, answering({ statusCode: 204, body: 'dropped' }), {
        multiValueHeaders: multiValue,
      });
      const response = await rawRequest(port, 'DELETE', '/');
      expect(response.status).toBe(204);
      expect(rawValues(response, 'content-length')).toEqual([]);
      expect(response.body).toHaveLength(0);
    });

    it('does not add the ALB server header to a valid result', async () => {
      const { http } = await serve(mounting, answering({ statusCode: 200 }), {
        multiValueHeaders: multiValue,
      });
      expect((await http.get('/')).headers).not.toHaveProperty('server');
    });

    it('header names from the result reach the client case-insensitively', async () => {
      const result = resultFor(
        multiValue,
        { 'X-Custom': 'v', 'Content-Type': 'text/plain' },
        { statusCode: 200 },
      );
      const { http } = await serve(mounting, answering(result), { multiValueHeaders: multiValue });
      const response = await http.get('/').expect(200);
      expect(response.headers['x-custom']).toBe('v');
      expect(response.headers['content-type']).toBe('text/plain');
    });
  });

  describe('in multi-value mode', () => {
    it('36: two Set-Cookie values become two Set-Cookie lines, each verbatim', async () => {
      const cookies = [`session=abc; ${EXPIRES}; HttpOnly`, `theme=dark; ${EXPIRES}`];
      const result = { statusCode: 200, multiValueHeaders: { 'Set-Cookie': cookies } };
      const { port } = await serve(mounting, answering(result), { multiValueHeaders: true });
      const response = await rawRequest(port, 'GET', '/');
      expect(rawValues(response, 'set-cookie').sort()).toEqual([...cookies].sort());
    });

    it('36: supertest sees both cookies', async () => {
      const result = { statusCode: 200, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] } };
      const { http } = await serve(mounting, answering(result), { multiValueHeaders: true });
      const response = await http.get('/').expect(200);
      expect(response.headers['set-cookie']).toEqual(expect.arrayContaining(['a=1', 'b=2']));
      expect(response.headers['set-cookie']).toHaveLength(2);
    });

    it('every value of another repeated header is sent', async () => {
      const result = { statusCode: 200, multiValueHeaders: { 'x-multi': ['x', 'y'], vary: ['Accept'] } };
      const { port } = await serve(mounting, answering(result), { multiValueHeaders: true });
      const response = await rawRequest(port, 'GET', '/');
      // A fetch Response's Headers join repeated values (Set-Cookie apart) into one line.
      expect(rawValues(response, 'x-multi').sort()).toEqual(
        mounting.kind === 'fetch' ? ['x, y'] : ['x', 'y'],
      );
      expect(rawValues(response, 'vary')).toEqual(['Accept']);
    });

    it('an empty array sends no header', async () => {
      const result = { statusCode: 200, multiValueHeaders: { 'x-none': [] } };
      const { port } = await serve(mounting, answering(result), { multiValueHeaders: true });
      expect(rawValues(await rawRequest(port, 'GET', '/'), 'x-none')).toEqual([]);
    });
  });

  describe('in single-value mode', () => {
    it('one Set-Cookie header is sent verbatim, commas of the date intact', async () => {
      const cookie = `session=abc; ${EXPIRES}`;
      const { port } = await serve(
        mounting,
        answering({ statusCode: 200, headers: { 'set-cookie': cookie } }),
      );
      expect(rawValues(await rawRequest(port, 'GET', '/'), 'set-cookie')).toEqual([cookie]);
    });
  });
});
