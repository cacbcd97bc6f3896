import { readFileSync } from 'node:fs';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import type { LogEntry } from 'lambda-bridge';
import { describe, expect, it } from 'vitest';
import { albEvent } from '../../test/fixtures/alb-event.js';
import { albEventMulti } from '../../test/fixtures/alb-event-multi.js';
import { createHandler, handler } from './handler.js';

type Mode = 'single' | 'multi';

interface Request {
  method?: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string | string[]>;
  body?: string;
  isBase64Encoded?: boolean;
}

const last = (value: string | string[]) => (Array.isArray(value) ? value[value.length - 1] : value);
const all = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
const mapValues = <T>(record: Record<string, string | string[]>, fn: (value: string | string[]) => T) =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));

/**
 * The event an ALB sends for a request, in either header mode. Query values stay URL-encoded, as
 * the ALB does not decode them; a single-value event keeps the last value of a repeated name.
 */
function albRequest(mode: Mode, request: Request): ALBEvent {
  const { method = 'GET', path, query = {}, headers = {}, body = '', isBase64Encoded = false } = request;
  if (mode === 'multi') {
    return {
      ...albEventMulti,
      httpMethod: method,
      path,
      multiValueQueryStringParameters: mapValues(query, all),
      multiValueHeaders: { ...albEventMulti.multiValueHeaders, ...mapValues(headers, all) },
      body,
      isBase64Encoded,
    };
  }
  return {
    ...albEvent,
    httpMethod: method,
    path,
    queryStringParameters: mapValues(query, last),
    headers: { ...albEvent.headers, ...mapValues(headers, last) },
    body,
    isBase64Encoded,
  };
}

/** Every value of a response header, whichever field the result uses. */
function header(result: ALBResult, name: string): string[] {
  if (result.multiValueHeaders) return (result.multiValueHeaders[name] ?? []).map(String);
  const value = result.headers?.[name];
  return value === undefined ? [] : [String(value)];
}

function setup() {
  const warnings: LogEntry[] = [];
  const handle = createHandler({ log: (entry) => warnings.push(entry) });
  return { handle, warnings };
}

describe.each<Mode>(['single', 'multi'])('express-app handler, %s-value mode', (mode) => {
  it('answers in the header mode of the event', async () => {
    const { handle } = setup();
    const result = await handle(albRequest(mode, { path: '/api/items' }));
    expect(result.statusCode).toBe(200);
    expect(result.statusDescription).toBe('200 OK');
    if (mode === 'multi') {
      expect(result.headers).toBeUndefined();
      expect(result.multiValueHeaders?.['content-type']).toEqual(['application/json; charset=utf-8']);
    } else {
      expect(result.multiValueHeaders).toBeUndefined();
      expect(result.headers?.['content-type']).toBe('application/json; charset=utf-8');
    }
  });

  it('serves the PNG from res.sendFile as base64, byte for byte', async () => {
    const result = await handler(albRequest(mode, { path: '/logo.png' }));
    const logo = readFileSync(new URL('./public/logo.png', import.meta.url));
    expect(result.statusCode).toBe(200);
    expect(header(result, 'content-type')).toEqual(['image/png']);
    expect(header(result, 'content-length')).toEqual([String(logo.length)]);
    expect(result.isBase64Encoded).toBe(true);
    expect(Buffer.from(result.body ?? '', 'base64').equals(logo)).toBe(true);
  });

  it('decodes the query once: a+b is "a b" and John%20Doe is "John Doe"', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest(mode, { path: '/api/items', query: { tag: 'a+b', owner: 'John%20Doe', utm: '%%URL%%' } }),
    );
    expect(result.isBase64Encoded).toBe(false);
    expect(JSON.parse(result.body ?? '')).toEqual({
      query: { tag: 'a b', owner: 'John Doe', utm: '%%URL%%' },
    });
  });

  it('parses a JSON post with express.json()', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest(mode, {
        method: 'POST',
        path: '/api/items',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Widget', price: 9.5 }),
      }),
    );
    expect(result.statusCode).toBe(201);
    expect(result.statusDescription).toBe('201 Created');
    expect(JSON.parse(result.body ?? '')).toEqual({ created: { name: 'Widget', price: 9.5 } });
  });

  it('parses a form post the ALB sent base64-encoded', async () => {
    const { handle } = setup();
    const form = 'name=Jane+Doe&email=jane%40example.com';
    const result = await handle(
      albRequest(mode, {
        method: 'POST',
        path: '/form',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form).toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(false);
    expect(result.body).toBe('Thanks, Jane Doe <jane@example.com>');
  });

  it('logs in with two cookies', async () => {
    const { handle, warnings } = setup();
    const result = await handle(albRequest(mode, { method: 'POST', path: '/login' }));
    const cookies = header(result, 'set-cookie');
    expect(result.statusCode).toBe(200);
    if (mode === 'multi') {
      // Both cookies, verbatim: the comma inside Expires is intact.
      expect(cookies).toHaveLength(2);
      expect(cookies[0]).toMatch(
        /^session=abc123; Path=\/; Expires=\w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT; HttpOnly$/,
      );
      expect(cookies[1]).toMatch(/^theme=dark; Path=\/; Expires=\w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT$/);
      expect(warnings).toEqual([]);
    } else {
      // A single-value result carries one Set-Cookie: the last one, never a comma-joined pair.
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatch(/^theme=dark; Path=\/; Expires=/);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 'warn', code: 'SET_COOKIE_DROPPED' });
      expect(warnings[0].message).toContain('lambda.multi_value_headers.enabled');
    }
  });

  it('logs out by expiring the cookies', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest(mode, {
        method: 'POST',
        path: '/logout',
        headers: { cookie: 'session=abc123; theme=dark' },
      }),
    );
    const cookies = header(result, 'set-cookie');
    expect(cookies.length).toBe(mode === 'multi' ? 2 : 1);
    for (const cookie of cookies)
      expect(cookie).toContain('=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  });

  it("gives Express's own 404 for an unknown route", async () => {
    const { handle, warnings } = setup();
    const result = await handle(albRequest(mode, { path: '/nope' }));
    expect(result.statusCode).toBe(404);
    expect(result.statusDescription).toBe('404 Not Found');
    expect(result.body).toContain('Cannot GET /nope');
    expect(warnings).toEqual([]);
  });

  it("gives Express's own 500 for a route that throws", async () => {
    const { handle, warnings } = setup();
    const result = await handle(albRequest(mode, { path: '/error' }));
    expect(result.statusCode).toBe(500);
    expect(result.statusDescription).toBe('500 Internal Server Error');
    expect(header(result, 'content-type')[0]).toMatch(/^text\/html/);
    // Express answered the error itself, so the bridge has nothing to report.
    expect(warnings).toEqual([]);
  });
});

describe('express-app handler', () => {
  it('keeps repeated query keys in order in multi-value mode', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest('multi', { path: '/api/items', query: { tag: ['a+b', 'c%26d'] } }),
    );
    expect(JSON.parse(result.body ?? '')).toEqual({ query: { tag: ['a b', 'c&d'] } });
  });

  it('is an async (event, context) handler', () => {
    expect(handler.length).toBeLessThanOrEqual(2);
  });
});
