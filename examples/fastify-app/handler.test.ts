import type { ALBResult } from 'aws-lambda';
import { createAlbEvent, createContext, type LogEntry } from 'lambda-bridge';
import { describe, expect, it } from 'vitest';
import { createHandler } from './handler.js';

function setup() {
  const warnings: LogEntry[] = [];
  const handle = createHandler({ log: (entry) => warnings.push(entry) });
  return { handle, warnings };
}

/** Every value of a response header, whichever field the result uses. */
function header(result: ALBResult, name: string): string[] {
  if (result.multiValueHeaders) return (result.multiValueHeaders[name] ?? []).map(String);
  const value = result.headers?.[name];
  return value === undefined ? [] : [String(value)];
}

const json = (result: ALBResult) => JSON.parse(result.body ?? '');

describe.each([false, true])('fastify-app handler, multiValueHeaders %s', (multiValueHeaders) => {
  const event = (request: Parameters<typeof createAlbEvent>[0]) =>
    createAlbEvent(request, { multiValueHeaders });

  it('answers JSON with the query decoded once', async () => {
    const { handle, warnings } = setup();
    const result = await handle(event({ url: '/api/items?tag=a+b&owner=John%20Doe' }), createContext());
    expect(result.statusCode).toBe(200);
    expect(json(result)).toEqual({ query: { tag: 'a b', owner: 'John Doe' } });
    expect(header(result, 'content-type')).toEqual(['application/json; charset=utf-8']);
    expect(warnings).toEqual([]);
  });

  it('reads a JSON body and a form body', async () => {
    const { handle } = setup();
    const created = await handle(
      event({
        method: 'POST',
        url: '/api/items',
        headers: { 'content-type': 'application/json' },
        body: '{"n":1}',
      }),
    );
    expect(created.statusCode).toBe(201);
    expect(json(created)).toEqual({ created: { n: 1 } });
    const form = await handle(
      event({
        method: 'POST',
        url: '/form',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=Ada+Lovelace',
      }),
    );
    expect(form.body).toBe('Thanks, Ada Lovelace');
  });

  it('sends both cookies in multi-value mode, the last one with a warning in single-value mode', async () => {
    const { handle, warnings } = setup();
    const result = await handle(event({ method: 'POST', url: '/login' }));
    const cookies = header(result, 'set-cookie').map((cookie) => cookie.split(';')[0]);
    if (multiValueHeaders) {
      expect(cookies).toEqual(['session=abc123', 'theme=dark']);
      expect(warnings).toEqual([]);
    } else {
      expect(cookies).toEqual(['theme=dark']);
      expect(warnings.map((w) => w.code)).toEqual(['SET_COOKIE_DROPPED']);
    }
  });

  it('reads cookies, and answers Fastify’s own 404 and 415', async () => {
    const { handle } = setup();
    const me = await handle(event({ url: '/me', headers: { cookie: 'session=abc123; theme=dark' } }));
    expect(json(me)).toEqual({ session: 'abc123', theme: 'dark' });
    const missing = await handle(event({ url: '/nope' }));
    expect(missing.statusCode).toBe(404);
    expect(missing.statusDescription).toBe('404 Not Found');
    const unsupported = await handle(
      event({ method: 'POST', url: '/api/items', headers: { 'content-type': 'text/csv' }, body: 'a,b' }),
    );
    expect(unsupported.statusCode).toBe(415);
  });
});
