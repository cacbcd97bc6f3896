import { describe, expect, it } from 'vitest';
import {
  type AlbTargetSettings,
  albEventFromRequest,
  newTraceId,
  responseFromAlbResult,
  withAlbHeaders,
} from '../../lib/formats/alb-reverse.js';
import type { HttpRequest } from '../../lib/http.js';

const TARGET_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0123456789abcdef';
const single: AlbTargetSettings = { multiValue: false, targetGroupArn: TARGET_ARN };
const multi: AlbTargetSettings = { multiValue: true, targetGroupArn: TARGET_ARN };

function httpRequest(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method: 'GET',
    path: '/',
    rawQuery: '',
    headers: [],
    body: Buffer.alloc(0),
    remoteAddress: '192.0.2.10',
    remotePort: 50_000,
    protocol: 'http',
    port: 80,
    ...overrides,
  };
}

describe('newTraceId', () => {
  it('is Root=1-<8 hex epoch seconds>-<24 hex>', () => {
    expect(newTraceId(0)).toMatch(/^Root=1-00000000-[0-9a-f]{24}$/);
    expect(newTraceId(1_700_000_000_999)).toMatch(/^Root=1-6553f100-[0-9a-f]{24}$/);
  });

  it('is random in its last part', () => {
    expect(newTraceId(0)).not.toBe(newTraceId(0));
  });
});

describe('withAlbHeaders', () => {
  const trace = 'Root=1-00000000-000000000000000000000000';

  it.each([
    ['no client header', [], '192.0.2.10'],
    ['one client header', ['x-forwarded-for', '203.0.113.1'], '203.0.113.1, 192.0.2.10'],
    [
      'two client header lines',
      ['x-forwarded-for', '203.0.113.1', 'x-forwarded-for', '203.0.113.2'],
      '203.0.113.1, 203.0.113.2, 192.0.2.10',
    ],
    ['an empty client header', ['x-forwarded-for', ' '], '192.0.2.10'],
  ])('x-forwarded-for with %s', (_name, headers, expected) => {
    const out = withAlbHeaders(httpRequest({ headers: headers as string[] }), trace);
    const values = out.filter((_, i) => i % 2 === 1 && out[i - 1] === 'x-forwarded-for');
    expect(values).toEqual([expected]);
  });

  it.each([
    ['http', 8080, '8080'],
    ['https', 8443, '8443'],
    ['http', undefined, '80'],
    ['https', undefined, '443'],
  ] as const)('%s on port %s gives x-forwarded-port %s', (protocol, port, expected) => {
    const out = withAlbHeaders(httpRequest({ protocol, port }), trace);
    expect(out).toEqual([
      'x-amzn-trace-id',
      trace,
      'x-forwarded-for',
      '192.0.2.10',
      'x-forwarded-port',
      expected,
      'x-forwarded-proto',
      protocol,
    ]);
  });

  it('replaces client-sent x-forwarded-proto, x-forwarded-port and x-amzn-trace-id, and keeps the rest in order', () => {
    const out = withAlbHeaders(
      httpRequest({
        headers: [
          'host',
          'example.com',
          'x-forwarded-proto',
          'https',
          'x-amzn-trace-id',
          'Root=client',
          'x-forwarded-port',
          '1',
          'accept',
          '*/*',
        ],
      }),
      trace,
    );
    expect(out).toEqual([
      'host',
      'example.com',
      'accept',
      '*/*',
      'x-amzn-trace-id',
      trace,
      'x-forwarded-for',
      '192.0.2.10',
      'x-forwarded-port',
      '80',
      'x-forwarded-proto',
      'http',
    ]);
  });
});

describe('albEventFromRequest', () => {
  describe('the base64 decision (contract 1.5)', () => {
    it.each([
      ['text/plain', false],
      ['text/html; charset=utf-8', false],
      ['TEXT/CSV', false],
      ['application/json', false],
      ['application/json; charset=utf-8', false],
      ['application/javascript', false],
      ['application/xml', false],
      ['application/x-www-form-urlencoded', true],
      ['multipart/form-data; boundary=x', true],
      ['application/octet-stream', true],
      ['application/vnd.api+json', true],
      ['application/problem+json', true],
      ['image/svg+xml', true],
      ['image/png', true],
      [undefined, true],
    ])('content-type %s: base64 %s', (type, base64) => {
      const headers = type === undefined ? [] : ['content-type', type];
      const event = albEventFromRequest(
        httpRequest({ method: 'POST', headers, body: Buffer.from('a=1') }),
        single,
      );
      expect(event.isBase64Encoded).toBe(base64);
      expect(event.body).toBe(base64 ? 'YT0x' : 'a=1');
    });

    it.each(['gzip', 'br', 'identity'])('content-encoding %s makes a text body base64', (coding) => {
      const headers = ['content-type', 'text/plain', 'content-encoding', coding];
      const event = albEventFromRequest(httpRequest({ headers, body: Buffer.from('x') }), single);
      expect(event.isBase64Encoded).toBe(true);
      expect(event.body).toBe('eA==');
    });

    it('an empty body is "" and not base64, even for a binary type', () => {
      const event = albEventFromRequest(httpRequest({ headers: ['content-type', 'image/png'] }), single);
      expect(event.body).toBe('');
      expect(event.isBase64Encoded).toBe(false);
    });

    it('the first content-type line decides', () => {
      const headers = ['content-type', 'text/plain', 'content-type', 'image/png'];
      const event = albEventFromRequest(httpRequest({ headers, body: Buffer.from('x') }), single);
      expect(event.isBase64Encoded).toBe(false);
    });
  });

  describe('the query (contract 1.3)', () => {
    it.each([
      ['', {}],
      ['a=1', { a: '1' }],
      ['q=a%20b&x=%2F&y=a+b', { q: 'a%20b', x: '%2F', y: 'a+b' }],
      ['a=1&a=2', { a: '2' }],
      ['flag', { flag: '' }],
      ['a=b=c', { a: 'b=c' }],
      ['&&a=1&', { a: '1' }],
      ['k%5B%5D=%E2%82%AC', { 'k%5B%5D': '%E2%82%AC' }],
      ['utm=%%URL%%', { utm: '%%URL%%' }],
      ['=v', { '': 'v' }],
    ])('single-value: ?%s', (rawQuery, expected) => {
      const event = albEventFromRequest(httpRequest({ rawQuery }), single);
      expect(event.queryStringParameters).toEqual(expected);
      expect(event).not.toHaveProperty('multiValueQueryStringParameters');
    });

    it.each([
      ['', {}],
      ['a=1&a=2&b=3&a=4', { a: ['1', '2', '4'], b: ['3'] }],
      ['q=a+b&q=a%20b', { q: ['a+b', 'a%20b'] }],
    ])('multi-value: ?%s', (rawQuery, expected) => {
      const event = albEventFromRequest(httpRequest({ rawQuery }), multi);
      expect(event.multiValueQueryStringParameters).toEqual(expected);
      expect(event).not.toHaveProperty('queryStringParameters');
    });
  });

  describe('the headers', () => {
    const lines = ['cookie', 'a=1', 'accept', 'text/html', 'cookie', 'b=2'];

    it('single-value: the last of repeated lines wins; no multiValueHeaders', () => {
      const event = albEventFromRequest(httpRequest({ headers: lines }), single);
      expect(event.headers).toEqual({ cookie: 'b=2', accept: 'text/html' });
      expect(event).not.toHaveProperty('multiValueHeaders');
    });

    it('multi-value: every line in wire order; no headers', () => {
      const event = albEventFromRequest(httpRequest({ headers: lines }), multi);
      expect(event.multiValueHeaders).toEqual({ cookie: ['a=1', 'b=2'], accept: ['text/html'] });
      expect(event).not.toHaveProperty('headers');
    });
  });

  it('builds exactly the documented fields', () => {
    const event = albEventFromRequest(httpRequest({ method: 'DELETE', path: '/orders/7' }), single);
    expect(event).toEqual({
      requestContext: { elb: { targetGroupArn: TARGET_ARN } },
      httpMethod: 'DELETE',
      path: '/orders/7',
      body: '',
      isBase64Encoded: false,
      headers: {},
      queryStringParameters: {},
    });
  });
});

describe('responseFromAlbResult', () => {
  const strictSingle = { strict: true, multiValue: false };
  const strictMulti = { strict: true, multiValue: true };
  const lenientSingle = { strict: false, multiValue: false };

  describe('results a real ALB rejects (strict)', () => {
    it.each([
      ['a string', 'hello', /returned string "hello"$/],
      ['undefined', undefined, /returned undefined$/],
      ['an array', [{ statusCode: 200 }], /returned an array$/],
      ['no statusCode', {}, /statusCode .* it is missing$/],
      ['statusCode "200"', { statusCode: '200' }, /it is string "200"$/],
      ['statusCode null', { statusCode: null }, /it is null$/],
      ['statusCode 1000', { statusCode: 1000 }, /it is number 1000$/],
      ['body null', { statusCode: 200, body: null }, /^body is null/],
      ['headers null', { statusCode: 200, headers: null }, /^headers is null/],
      ['statusDescription null', { statusCode: 200, statusDescription: null }, /^statusDescription is null/],
      ['a number header', { statusCode: 200, headers: { a: 1 } }, /header "a" has number 1/],
      ['a nested object header', { statusCode: 200, headers: { a: { b: 1 } } }, /header "a" has an object/],
      ['an object body', { statusCode: 200, body: {} }, /body must be a string; it is an object/],
      ['invalid base64', { statusCode: 200, body: 'a', isBase64Encoded: true }, /not valid base64/],
      ['CR in a value', { statusCode: 200, headers: { a: 'x\ry' } }, /not allowed in HTTP/],
      ['a colon in a name', { statusCode: 200, headers: { 'a:b': 'x' } }, /not a valid HTTP token/],
      ['an empty name', { statusCode: 200, headers: { '': 'x' } }, /not a valid HTTP token/],
    ])('%s', (_name, result, reason) => {
      const reading = responseFromAlbResult(result, strictSingle);
      expect(reading.ok).toBe(false);
      if (!reading.ok) expect(reading.reason).toMatch(reason);
    });

    it('multi-value: a string where an array belongs', () => {
      const reading = responseFromAlbResult({ statusCode: 200, multiValueHeaders: { a: 'x' } }, strictMulti);
      expect(reading).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/must be an array of strings/),
      });
    });

    it('the serialised size decides the 1 MB limit', () => {
      expect(responseFromAlbResult({ statusCode: 200 }, strictSingle, 1024 * 1024).ok).toBe(true);
      expect(responseFromAlbResult({ statusCode: 200 }, strictSingle, 1024 * 1024 + 1)).toMatchObject({
        ok: false,
        reason: "the result is 1048577 bytes of JSON, over the ALB's 1048576-byte limit",
      });
    });

    it('without a serialised size, the size is measured from the result', () => {
      const reading = responseFromAlbResult({ statusCode: 200, body: 'a'.repeat(1024 * 1024) }, strictSingle);
      expect(reading).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/over the ALB's 1048576-byte limit/),
      });
    });
  });

  describe('valid results', () => {
    it('the smallest valid result: {statusCode: 200}', () => {
      expect(responseFromAlbResult({ statusCode: 200 }, strictSingle)).toEqual({
        ok: true,
        response: { status: 200, reason: 'OK', headers: [], body: Buffer.alloc(0) },
        warnings: [],
      });
    });

    it.each([
      ["418 I'm a teapot", 418, "I'm a teapot"],
      ['200 Fine', 200, 'Fine'],
      ['404 ', 404, ''],
    ])('statusDescription %j gives the reason phrase', (description, statusCode, reason) => {
      const reading = responseFromAlbResult({ statusCode, statusDescription: description }, strictSingle);
      expect(reading).toMatchObject({ ok: true, response: { reason }, warnings: [] });
    });

    it.each([
      ['a code that differs', '201 Created', 200, 'OK'],
      ['no code', 'Fine', 200, 'OK'],
      ['two spaces', '200  Fine', 200, ' Fine'],
      ['an unknown code', '599 Custom', 599, 'Custom'],
    ])('statusDescription with %s', (_name, description, statusCode, reason) => {
      const reading = responseFromAlbResult({ statusCode, statusDescription: description }, strictSingle);
      expect(reading.ok).toBe(true);
      if (reading.ok) expect(reading.response.reason).toBe(reason);
    });

    it('lower-cases header names and keeps every multi-value entry in order', () => {
      const reading = responseFromAlbResult(
        { statusCode: 200, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'], 'X-A': ['1'] } },
        strictMulti,
      );
      expect(reading).toMatchObject({
        ok: true,
        response: { headers: ['set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-a', '1'] },
      });
    });

    it('decodes standard and URL-safe base64', () => {
      for (const body of ['+/8=', '-_8']) {
        const reading = responseFromAlbResult({ statusCode: 200, body, isBase64Encoded: true }, strictSingle);
        expect(reading.ok && [...reading.response.body]).toEqual([0xfb, 0xff]);
      }
    });

    it('the header field of the other mode is ignored with a warning', () => {
      const reading = responseFromAlbResult(
        { statusCode: 200, multiValueHeaders: { a: ['1'] } },
        strictSingle,
      );
      expect(reading).toMatchObject({ ok: true, response: { headers: [] } });
      expect(reading.warnings).toEqual([expect.stringMatching(/the headers are lost/)]);
    });

    it('a key an ALB result does not use is ignored with a warning', () => {
      const reading = responseFromAlbResult({ statusCode: 200, cookies: ['a=1'] }, strictSingle);
      expect(reading).toMatchObject({ ok: true, response: { headers: [] } });
      expect(reading.warnings).toEqual([expect.stringMatching(/"cookies"/)]);
    });
  });

  describe('strict: false', () => {
    it.each([
      ['statusCode "404"', { statusCode: '404' }, 404, [], ''],
      ['a number header', { statusCode: 200, headers: { a: 1 } }, 200, ['a', '1'], ''],
      ['an object body', { statusCode: 200, body: { a: 1 } }, 200, [], '{"a":1}'],
      ['null headers and body', { statusCode: 200, headers: null, body: null }, 200, [], ''],
      [
        "the other mode's field",
        { statusCode: 200, multiValueHeaders: { a: ['1', '2'] } },
        200,
        ['a', '1', 'a', '2'],
        '',
      ],
    ])('serves %s with a warning', (_name, result, status, headers, body) => {
      const reading = responseFromAlbResult(result, lenientSingle);
      expect(reading).toMatchObject({ ok: true, response: { status, headers } });
      if (reading.ok) expect(reading.response.body.toString()).toBe(body);
      expect(reading.warnings.length).toBeGreaterThan(0);
      for (const warning of reading.warnings) expect(warning).toMatch(/anyway: strict is off/);
    });

    it.each([
      ['a non-object', 42],
      ['a statusCode that is no number', { statusCode: 'abc' }],
      ['invalid base64', { statusCode: 200, body: '*', isBase64Encoded: true }],
      ['LF in a value', { statusCode: 200, headers: { a: '1\n2' } }],
    ])('still rejects %s', (_name, result) => {
      expect(responseFromAlbResult(result, lenientSingle).ok).toBe(false);
    });
  });
});
