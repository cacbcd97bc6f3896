import { describe, expect, it } from 'vitest';
import { answering, entries, expectAlb502, mountings, useServers } from './support.js';

const { serve } = useServers();

const MB = 1024 * 1024;

/** Results a real ALB rejects with 502, in single-value mode, and the reason the log gives. */
const singleModeRejections: Array<[string, unknown, RegExp]> = [
  ['31: a string result', 'hello', /the handler returned string "hello"$/],
  ['31: a number result', 42, /the handler returned number 42$/],
  ['31: a null result', null, /the handler returned null$/],
  ['31: an array result', [], /the handler returned an array$/],
  ['31: a boolean result', true, /the handler returned boolean true$/],
  [
    '32: a missing statusCode',
    { body: 'x' },
    /statusCode must be a number from 200 to 599 \(a 1xx status is interim and cannot end a response\); it is missing$/,
  ],
  ['32: a string statusCode', { statusCode: '200' }, /statusCode .* it is string "200"$/],
  ['a statusCode below 100', { statusCode: 99 }, /it is number 99$/],
  ['a statusCode above 599', { statusCode: 600 }, /it is number 600$/],
  ['a fractional statusCode', { statusCode: 200.5 }, /it is number 200.5$/],
  ['a null statusDescription', { statusCode: 200, statusDescription: null }, /statusDescription is null/],
  ['null headers', { statusCode: 200, headers: null }, /result: headers is null/],
  ['null multiValueHeaders', { statusCode: 200, multiValueHeaders: null }, /multiValueHeaders is null/],
  ['a null body', { statusCode: 200, body: null }, /body is null; omit a field instead of sending null$/],
  ['a null isBase64Encoded', { statusCode: 200, body: '', isBase64Encoded: null }, /isBase64Encoded is null/],
  [
    '37: a number header value',
    { statusCode: 200, headers: { 'x-n': 5 } },
    /header "x-n" has number 5; header values must be strings$/,
  ],
  [
    '37: a boolean header value',
    { statusCode: 200, headers: { 'access-control-allow-credentials': true } },
    /header "access-control-allow-credentials" has boolean true/,
  ],
  [
    'an array header value in single-value mode',
    { statusCode: 200, headers: { 'x-a': ['b'] } },
    /headers\["x-a"\] must be a string; it is an array$/,
  ],
  [
    'headers that are not an object',
    { statusCode: 200, headers: ['x-a'] },
    /headers must be an object; it is an array$/,
  ],
  ['33: an object body', { statusCode: 200, body: { a: 1 } }, /body must be a string; it is an object$/],
  ['33: a number body', { statusCode: 200, body: 5 }, /body must be a string; it is number 5$/],
  [
    '34: invalid base64 with isBase64Encoded',
    { statusCode: 200, body: 'not base64!', isBase64Encoded: true },
    /isBase64Encoded is true but body is not valid base64$/,
  ],
  [
    'MIME base64 with line breaks',
    { statusCode: 200, body: 'YWJj\r\nZGVm', isBase64Encoded: true },
    /not valid base64$/,
  ],
  [
    'a string isBase64Encoded',
    { statusCode: 200, body: 'x', isBase64Encoded: 'yes' },
    /isBase64Encoded must be a boolean; it is string "yes"$/,
  ],
  [
    'a number statusDescription',
    { statusCode: 200, statusDescription: 5 },
    /statusDescription must be a string/,
  ],
  [
    '39: a result whose JSON is over 1 MB',
    { statusCode: 200, body: 'a'.repeat(MB) },
    /the result is \d+ bytes of JSON, over the ALB's 1048576-byte limit$/,
  ],
  [
    '39: a base64 body that fits 1 MB only before encoding',
    { statusCode: 200, body: Buffer.alloc(800 * 1024).toString('base64'), isBase64Encoded: true },
    /over the ALB's 1048576-byte limit$/,
  ],
  [
    'CR LF in a header value (header injection)',
    { statusCode: 200, headers: { 'x-a': 'a\r\nx-injected: 1' } },
    /header "x-a" holds a character not allowed in HTTP/,
  ],
  [
    'a lone LF in a header value',
    { statusCode: 200, headers: { 'x-a': 'a\nb' } },
    /holds a character not allowed/,
  ],
  [
    'a NUL in a header value',
    { statusCode: 200, headers: { 'x-a': 'a\u0000b' } },
    /holds a character not allowed/,
  ],
  [
    'a character beyond Latin-1 in a header value',
    { statusCode: 200, headers: { 'x-a': 'price €5' } },
    /holds a character not allowed/,
  ],
  [
    'CR LF in a header name',
    { statusCode: 200, headers: { 'x-a\r\nx-injected': '1' } },
    /header name "x-a\\r\\nx-injected" is not a valid HTTP token$/,
  ],
  [
    'a space in a header name',
    { statusCode: 200, headers: { 'bad name': '1' } },
    /is not a valid HTTP token$/,
  ],
  [
    'a header block over 32 KB',
    { statusCode: 200, headers: { 'x-a': 'a'.repeat(17_000), 'x-b': 'b'.repeat(17_000) } },
    /over the ALB's 32768-byte limit$/,
  ],
];

/** Rejections that only exist in multi-value mode. */
const multiModeRejections: Array<[string, unknown, RegExp]> = [
  [
    'a string instead of an array in multiValueHeaders',
    { statusCode: 200, multiValueHeaders: { 'x-a': 'b' } },
    /multiValueHeaders\["x-a"\] must be an array of strings; it is string "b"$/,
  ],
  [
    '37: a number inside a multiValueHeaders array',
    { statusCode: 200, multiValueHeaders: { 'x-n': [5] } },
    /header "x-n" has number 5/,
  ],
  [
    'CR LF inside a multiValueHeaders array',
    { statusCode: 200, multiValueHeaders: { 'set-cookie': ['a=1', 'b=2\r\nx: y'] } },
    /holds a character not allowed/,
  ],
  ['null multiValueHeaders', { statusCode: 200, multiValueHeaders: null }, /multiValueHeaders is null/],
];

describe.each(mountings)('strict validation of the result, through $name', (mounting) => {
  describe('in single-value mode', () => {
    it.each(singleModeRejections)(
      '%s: 502 with the ALB page and the reason',
      async (_name, result, reason) => {
        const { http, log } = await serve(mounting, answering(result));
        const response = await http.get('/');
        expectAlb502(response);
        expect(response.headers['x-lambda-bridge-reason']).toMatch(/^invalid result: /);
        expect(response.headers['x-lambda-bridge-reason']).toMatch(reason);
        const [entry] = entries(log, 'INVALID_RESULT');
        expect(entry.level).toBe('warn');
        expect(entry.message).toMatch(/^answered 502: invalid result: /);
        expect(entry.message).toMatch(reason);
        expect(response.headers).not.toHaveProperty('x-injected');
      },
    );
  });

  describe('in multi-value mode', () => {
    it.each(multiModeRejections)(
      '%s: 502 with the ALB page and the reason',
      async (_name, result, reason) => {
        const { http, log } = await serve(mounting, answering(result), { multiValueHeaders: true });
        const response = await http.get('/');
        expectAlb502(response);
        expect(response.headers['x-lambda-bridge-reason']).toMatch(reason);
        expect(entries(log, 'INVALID_RESULT')[0].message).toMatch(reason);
      },
    );
  });

  it('the reason header contains no line breaks even when the reason does', async () => {
    const { http } = await serve(mounting, answering({ statusCode: 200, headers: { 'x-\r\na': '1' } }));
    const response = await http.get('/');
    expectAlb502(response);
    expect(response.headers['x-lambda-bridge-reason']).not.toMatch(/[\r\n]/);
  });

  it('diagnostics: false keeps the reason out of the response but still logs it', async () => {
    const { http, log } = await serve(mounting, answering({ statusCode: '200' }), { diagnostics: false });
    const response = await http.get('/');
    expectAlb502(response);
    expect(response.headers).not.toHaveProperty('x-lambda-bridge-reason');
    expect(entries(log, 'INVALID_RESULT')[0].message).toMatch(/statusCode .* string "200"/);
  });

  it('diagnostics: false also applies to handler errors and timeouts', async () => {
    const { http, log } = await serve(mounting, () => new Promise(() => {}), {
      diagnostics: false,
      timeout: 100,
    });
    const response = await http.get('/');
    expectAlb502(response);
    expect(response.headers).not.toHaveProperty('x-lambda-bridge-reason');
    expect(entries(log, 'TIMEOUT')).toHaveLength(1);
  });

  describe('36: the header field of the wrong mode is ignored, with a warning', () => {
    it('36: single-value mode ignores multiValueHeaders: no Set-Cookie reaches the client', async () => {
      const result = {
        statusCode: 200,
        multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'], 'x-a': ['1'] },
        body: 'ok',
      };
      const { http, log } = await serve(mounting, answering(result));
      const response = await http.get('/').expect(200);
      expect(response.headers).not.toHaveProperty('set-cookie');
      expect(response.headers).not.toHaveProperty('x-a');
      expect(response.text).toBe('ok');
      const [warning] = entries(log, 'RESULT');
      expect(warning.message).toMatch(
        /the result has "multiValueHeaders" but the target group is in single-value mode/,
      );
      expect(warning.message).toMatch(/return "headers" \(or enable lambda\.multi_value_headers\.enabled\)/);
    });

    it('36: multi-value mode ignores headers', async () => {
      const result = { statusCode: 200, headers: { 'set-cookie': 'a=1', 'x-a': '1' }, body: 'ok' };
      const { http, log } = await serve(mounting, answering(result), { multiValueHeaders: true });
      const response = await http.get('/').expect(200);
      expect(response.headers).not.toHaveProperty('set-cookie');
      expect(response.headers).not.toHaveProperty('x-a');
      const [warning] = entries(log, 'RESULT');
      expect(warning.message).toMatch(/the result has "headers" but the target group is in multi-value mode/);
      expect(warning.message).toMatch(/disable lambda\.multi_value_headers\.enabled/);
    });

    it('36: with both fields, the one of the mode is used without a warning', async () => {
      const result = {
        statusCode: 200,
        headers: { 'x-mode': 'single' },
        multiValueHeaders: { 'x-mode': ['multi'] },
      };
      const single = await serve(mounting, answering(result));
      expect((await single.http.get('/').expect(200)).headers['x-mode']).toBe('single');
      const multi = await serve(mounting, answering(result), { multiValueHeaders: true });
      expect((await multi.http.get('/').expect(200)).headers['x-mode']).toBe('multi');
      expect(entries(single.log, 'RESULT')).toEqual([]);
      expect(entries(multi.log, 'RESULT')).toEqual([]);
    });
  });

  it('a key an ALB result does not use (cookies) is ignored with a warning', async () => {
    const result = { statusCode: 200, cookies: ['a=1'], body: 'ok' };
    const { http, log } = await serve(mounting, answering(result));
    const response = await http.get('/').expect(200);
    expect(response.headers).not.toHaveProperty('set-cookie');
    expect(entries(log, 'RESULT')[0].message).toMatch(/a key "cookies" that an ALB result does not use/);
  });

  it('a statusDescription that does not match the statusCode falls back to the standard phrase, with a warning', async () => {
    const { http, log } = await serve(mounting, answering({ statusCode: 404, statusDescription: '200 OK' }));
    const response = await http.get('/');
    expect(response.status).toBe(404);
    expect(entries(log, 'RESULT')[0].message).toMatch(/statusDescription "200 OK" is not "404 <reason>"/);
  });
});

describe.each(mountings)('strict: false, through $name', (mounting) => {
  const lenient = { strict: false };

  it('serves a numeric-string statusCode, with a warning', async () => {
    const { http, log } = await serve(mounting, answering({ statusCode: '201', body: 'made' }), lenient);
    const response = await http.get('/');
    expect(response.status).toBe(201);
    expect(response.text).toBe('made');
    expect(entries(log, 'RESULT')[0].message).toMatch(
      /statusCode must be a number; .*served anyway: strict is off/,
    );
  });

  it('serves non-string header values as strings, with a warning', async () => {
    const result = { statusCode: 200, headers: { 'x-n': 5, 'access-control-allow-credentials': true } };
    const { http, log } = await serve(mounting, answering(result), lenient);
    const response = await http.get('/').expect(200);
    expect(response.headers['x-n']).toBe('5');
    expect(response.headers['access-control-allow-credentials']).toBe('true');
    expect(entries(log, 'RESULT')).toHaveLength(2);
  });

  it('serves an object body as its JSON, with a warning', async () => {
    const { http, log } = await serve(mounting, answering({ statusCode: 200, body: { a: 1 } }), lenient);
    expect((await http.get('/').expect(200)).text).toBe('{"a":1}');
    expect(entries(log, 'RESULT')[0].message).toMatch(/body must be a string/);
  });

  it('serves null fields as absent, with a warning each', async () => {
    const result = {
      statusCode: 200,
      statusDescription: null,
      headers: null,
      body: null,
      isBase64Encoded: null,
    };
    const { http, log } = await serve(mounting, answering(result), lenient);
    const response = await http.get('/').expect(200);
    expect(response.text).toBe('');
    expect(entries(log, 'RESULT').map((entry) => entry.message.split(' ')[0])).toEqual([
      'statusDescription',
      'headers',
      'body',
      'isBase64Encoded',
    ]);
  });

  it('uses the header field of the other mode, with a warning', async () => {
    const single = await serve(
      mounting,
      answering({ statusCode: 200, multiValueHeaders: { 'x-a': ['1'] } }),
      lenient,
    );
    expect((await single.http.get('/').expect(200)).headers['x-a']).toBe('1');
    expect(entries(single.log, 'RESULT')[0].message).toMatch(/used anyway: strict is off/);
    const multi = await serve(mounting, answering({ statusCode: 200, headers: { 'x-a': '1' } }), {
      ...lenient,
      multiValueHeaders: true,
    });
    expect((await multi.http.get('/').expect(200)).headers['x-a']).toBe('1');
  });

  it('serves a result over 1 MB, with a warning', async () => {
    const { http, log } = await serve(
      mounting,
      answering({ statusCode: 200, body: 'a'.repeat(MB) }),
      lenient,
    );
    const response = await http.get('/').expect(200);
    expect(response.text).toHaveLength(MB);
    expect(entries(log, 'RESULT')[0].message).toMatch(/over the ALB's 1048576-byte limit \(served anyway/);
  });

  it.each([
    ['a non-object result', 'hello'],
    ['a missing statusCode', { body: 'x' }],
    ['a statusCode that is not a number in any spelling', { statusCode: 'OK' }],
    ['invalid base64', { statusCode: 200, body: '!!', isBase64Encoded: true }],
    ['CR LF in a header value', { statusCode: 200, headers: { 'x-a': 'a\r\nb: c' } }],
    ['an invalid header name', { statusCode: 200, headers: { 'a b': 'c' } }],
  ])('still answers 502 for %s, which cannot be read', async (_name, result) => {
    const { http, log } = await serve(mounting, answering(result), lenient);
    expectAlb502(await http.get('/'));
    expect(entries(log, 'INVALID_RESULT')).toHaveLength(1);
  });
});
