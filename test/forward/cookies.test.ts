import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import { toLambda } from '../../adapters/lambda.js';
import type { LogEntry } from '../../lib/log.js';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { call, expectWellFormed, frameworks, invoke, type Reply } from './support.js';

const session = 'session=abc; Path=/; Expires=Tue, 01 Jan 2030 00:00:00 GMT; HttpOnly';
const theme = 'theme=dark; Path=/; Max-Age=3600';
const ATTRIBUTE = 'lambda.multi_value_headers.enabled';

const twoCookies: Reply = {
  headers: [
    ['set-cookie', session],
    ['set-cookie', theme],
    ['content-type', 'text/plain'],
  ],
  body: 'ok',
};

describe.each(frameworks)('Set-Cookie, in $name', (framework) => {
  describe('in multi-value mode', () => {
    it('C1: both cookies are kept verbatim, the comma in Expires intact, and there is no headers key', async () => {
      const result = await call(framework.answer(twoCookies), albEventMulti);
      expectWellFormed(result, 'multi');
      expect(result.multiValueHeaders?.['set-cookie']).toEqual([session, theme]);
      expect(result).not.toHaveProperty('headers');
    });

    it('C1: three cookies added one by one are all kept, in order', async () => {
      const result = await call(
        framework.answer({
          headers: [
            ['set-cookie', session],
            ['set-cookie', theme],
            ['set-cookie', 'third=3'],
          ],
        }),
        albEventMulti,
      );
      expect(result.multiValueHeaders?.['set-cookie']).toEqual([session, theme, 'third=3']);
    });
  });

  describe('in single-value mode', () => {
    it('C2: by default the last cookie is kept, intact, never comma-joined', async () => {
      const { result, warnings } = await invoke(framework.answer(twoCookies), albEvent);
      expectWellFormed(result, 'single');
      expect(result.headers?.['set-cookie']).toBe(theme);
      expect(result).not.toHaveProperty('multiValueHeaders');
      expect(warnings).toHaveLength(1);
    });

    it('C2: the warning names the target group attribute and the cookie kept', async () => {
      const { warnings } = await invoke(framework.answer(twoCookies), albEvent);
      expect(warnings[0]).toMatchObject({ level: 'warn', code: 'SET_COOKIE_DROPPED' });
      expect(warnings[0].message).toContain(ATTRIBUTE);
      expect(warnings[0].message).toContain('theme=dark');
    });

    it("C2: singleSetCookie 'first' keeps the first cookie", async () => {
      const { result, warnings } = await invoke(framework.answer(twoCookies), albEvent, {
        singleSetCookie: 'first',
      });
      expect(result.headers?.['set-cookie']).toBe(session);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].message).toContain(ATTRIBUTE);
    });

    it("C2: singleSetCookie 'fail' answers 500 and warns, naming the attribute", async () => {
      const { result, warnings } = await invoke(framework.answer(twoCookies), albEvent, {
        singleSetCookie: 'fail',
      });
      expectWellFormed(result, 'single');
      expect(result.statusCode).toBe(500);
      expect(result.headers?.['set-cookie']).toBeUndefined();
      expect(result.body).toBe('Internal Server Error');
      expect(warnings).toHaveLength(1);
      expect(warnings[0].message).toContain(ATTRIBUTE);
    });

    it('one cookie is sent as is, without a warning', async () => {
      const result = await call(framework.answer({ headers: [['set-cookie', session]] }), albEvent, {
        singleSetCookie: 'fail',
      });
      expect(result.statusCode).toBe(200);
      expect(result.headers?.['set-cookie']).toBe(session);
    });
  });

  it('C2: exactly one warning per handler, however many invocations drop cookies', async () => {
    const warnings: LogEntry[] = [];
    const handler = toLambda(framework.answer(twoCookies), { log: (entry) => warnings.push(entry) });
    for (let i = 0; i < 3; i++) {
      const result = await handler(albEvent);
      expect(result.headers?.['set-cookie']).toBe(theme);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0].code).toBe('SET_COOKIE_DROPPED');
    const other = toLambda(framework.answer(twoCookies), { log: (entry) => warnings.push(entry) });
    await other(albEvent);
    expect(warnings).toHaveLength(2);
  });
});

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
])('res.cookie() in %s', (_name, make) => {
  const app = make();
  app.get('/login', (_req, res) => {
    res.cookie('session', 'abc', { expires: new Date(Date.UTC(2030, 0, 1)), httpOnly: true });
    res.cookie('theme', 'dark');
    res.send('ok');
  });

  it('C1: multi-value mode carries both cookies verbatim', async () => {
    const result = await call(app, { ...albEventMulti, path: '/login' });
    expect(result.multiValueHeaders?.['set-cookie']).toEqual([
      'session=abc; Path=/; Expires=Tue, 01 Jan 2030 00:00:00 GMT; HttpOnly',
      'theme=dark; Path=/',
    ]);
  });

  it('C2: single-value mode carries the last cookie, with one warning', async () => {
    const { result, warnings } = await invoke(app, { ...albEvent, path: '/login' });
    expect(result.headers?.['set-cookie']).toBe('theme=dark; Path=/');
    expect(warnings.map((w) => w.code)).toEqual(['SET_COOKIE_DROPPED']);
  });
});

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('L4: a %s app that sets two cookies', (_name, Make) => {
  const app = new Make();
  app.use((ctx) => {
    ctx.cookies.set('session', 'abc', { expires: new Date(Date.UTC(2030, 0, 1)) });
    ctx.cookies.set('theme', 'dark', { httpOnly: false });
    ctx.body = 'ok';
  });

  it('multi-value mode: both cookies arrive', async () => {
    const result = await call(app, albEventMulti);
    expect(result.multiValueHeaders?.['set-cookie']).toEqual([
      'session=abc; path=/; expires=Tue, 01 Jan 2030 00:00:00 GMT; httponly',
      'theme=dark; path=/',
    ]);
  });

  it('single-value mode: the C2 rule keeps the last cookie and warns once', async () => {
    const { result, warnings } = await invoke(app, albEvent);
    expect(result.headers?.['set-cookie']).toBe('theme=dark; path=/');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain(ATTRIBUTE);
  });

  it("single-value mode with singleSetCookie 'first': the first cookie", async () => {
    const { result } = await invoke(app, albEvent, { singleSetCookie: 'first' });
    expect(result.headers?.['set-cookie']).toBe(
      'session=abc; path=/; expires=Tue, 01 Jan 2030 00:00:00 GMT; httponly',
    );
  });
});
