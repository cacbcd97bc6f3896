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

const json = (result: ALBResult) => JSON.parse(result.body ?? '');

describe.each<Mode>(['single', 'multi'])('koa-app handler, %s-value mode', (mode) => {
  it('answers JSON in the header mode of the event, with the query decoded once', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest(mode, { path: '/api/items', query: { tag: 'a+b', owner: 'John%20Doe' } }),
    );
    expect(result.statusCode).toBe(200);
    expect(result.statusDescription).toBe('200 OK');
    expect(result.isBase64Encoded).toBe(false);
    expect(mode === 'multi' ? result.headers : result.multiValueHeaders).toBeUndefined();
    expect(header(result, 'content-type')).toEqual(['application/json; charset=utf-8']);
    expect(json(result)).toEqual({ query: { tag: 'a b', owner: 'John Doe' } });
  });

  it('reads a JSON body from ctx.req', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest(mode, {
        method: 'POST',
        path: '/api/items',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ name: 'Widget', note: 'naïve café' }),
      }),
    );
    expect(result.statusCode).toBe(201);
    expect(json(result)).toEqual({ created: { name: 'Widget', note: 'naïve café' } });
  });

  it('reads a form post the ALB sent base64-encoded', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest(mode, {
        method: 'POST',
        path: '/form',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: Buffer.from('name=Jane+Doe&plan=pro').toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(result.statusCode).toBe(200);
    expect(header(result, 'content-type')).toEqual(['text/plain; charset=utf-8']);
    expect(result.body).toBe('Thanks, Jane Doe');
  });

  it('answers ctx.throw(400) with a 400 and its message', async () => {
    const { handle, warnings } = setup();
    const result = await handle(
      albRequest(mode, {
        method: 'POST',
        path: '/api/items',
        headers: { 'content-type': 'application/json' },
        body: '{"name": ',
      }),
    );
    expect(result.statusCode).toBe(400);
    expect(result.statusDescription).toBe('400 Bad Request');
    expect(result.body).toBe('The body is not valid JSON');
    // Koa answered the error itself, so the bridge has nothing to report.
    expect(warnings).toEqual([]);
  });

  it('sets two cookies with ctx.cookies', async () => {
    const { handle, warnings } = setup();
    const result = await handle(albRequest(mode, { method: 'POST', path: '/login' }));
    const cookies = header(result, 'set-cookie');
    expect(result.statusCode).toBe(200);
    if (mode === 'multi') {
      // Both cookies, verbatim: the comma inside expires is intact.
      expect(cookies).toHaveLength(2);
      expect(cookies[0]).toMatch(
        /^session=abc123; path=\/; expires=\w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT; httponly$/,
      );
      expect(cookies[1]).toMatch(/^theme=dark; path=\/; expires=\w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT$/);
      expect(warnings).toEqual([]);
    } else {
      // A single-value result carries one Set-Cookie: the last one, never a comma-joined pair.
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatch(/^theme=dark; path=\/; expires=/);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 'warn', code: 'SET_COOKIE_DROPPED' });
      expect(warnings[0].message).toContain('lambda.multi_value_headers.enabled');
    }
  });

  it('reads request cookies with ctx.cookies', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest(mode, { path: '/me', headers: { cookie: 'session=abc123; theme=dark' } }),
    );
    expect(json(result)).toEqual({ session: 'abc123', theme: 'dark' });
  });

  it("gives Koa's own 404 for an unknown route", async () => {
    const result = await handler(albRequest(mode, { path: '/nope' }));
    expect(result.statusCode).toBe(404);
    expect(result.statusDescription).toBe('404 Not Found');
    expect(result.body).toBe('Not Found');
  });
});

describe('koa-app handler', () => {
  it('reads cookies the ALB passes as separate values in multi-value mode', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest('multi', { path: '/me', headers: { cookie: ['session=abc123', 'theme=dark'] } }),
    );
    expect(json(result)).toEqual({ session: 'abc123', theme: 'dark' });
  });

  it('keeps repeated query keys in order in multi-value mode', async () => {
    const { handle } = setup();
    const result = await handle(
      albRequest('multi', { path: '/api/items', query: { tag: ['a+b', 'c%26d'] } }),
    );
    expect(json(result)).toEqual({ query: { tag: ['a b', 'c&d'] } });
  });

  it('is an async (event, context) handler', () => {
    expect(handler.length).toBeLessThanOrEqual(2);
  });
});
