import type { ALBEvent } from 'aws-lambda';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { albEvent } from '../fixtures/alb-event.js';
import { albEventMulti } from '../fixtures/alb-event-multi.js';
import { call, deepFreeze, express5Framework, frameworks, searchQuery, see } from './support.js';

const single = (query: Record<string, string>): ALBEvent => ({ ...albEvent, queryStringParameters: query });
const multiple = (query: Record<string, string[]>): ALBEvent => ({
  ...albEventMulti,
  multiValueQueryStringParameters: query,
});

describe.each(frameworks)('the query string, in $name', (framework) => {
  describe('in single-value mode', () => {
    it('?name=John%20Doe&q=a+b reaches the app as "John Doe" and "a b"', async () => {
      const view = await see(framework, single({ name: 'John%20Doe', q: 'a+b' }));
      expect(view.query.name).toBe('John Doe');
      expect(view.query.q).toBe('a b');
    });

    it('Q1: an encoded value reaches the query decoded once, not split on an encoded & or =', async () => {
      const view = await see(framework, single({ q: 'a%20b', enc: '%26x%3D1' }));
      expect(view.query).toEqual({ q: 'a b', enc: '&x=1' });
    });

    it('Q1: req.url carries the values as sent, without %25 double-encoding', async () => {
      const view = await see(framework, single({ q: 'a%20b', enc: '%26x%3D1' }));
      expect(view.req.url).toBe('/lambda?q=a%20b&enc=%26x%3D1');
      expect(view.req.url).not.toContain('%25');
      expect(searchQuery(view.req.url)).toEqual({ q: 'a b', enc: '&x=1' });
    });

    it('Q2: a + from an HTML-form GET reaches the app as a space', async () => {
      const view = await see(framework, single({ q: 'a+b' }));
      expect(view.query.q).toBe('a b');
    });

    it('Q3: an encoded key is decoded once, to k[]', async () => {
      const view = await see(framework, single({ 'k%5B%5D': '1' }));
      expect(view.req.url).toBe('/lambda?k%5B%5D=1');
      // Express 4 parses with qs ("extended"), which turns k[] into an array; the others keep the key.
      if (framework.name === 'Express 4') expect(view.query.k).toEqual(['1']);
      else expect(view.query['k[]']).toBe('1');
    });

    it('Q4: a malformed escape (utm=%%URL%%) does not throw and reaches the app raw', async () => {
      const view = await see(framework, single({ utm: '%%URL%%', ok: '1' }));
      expect(view.query.utm).toBe('%%URL%%');
      expect(view.query.ok).toBe('1');
    });

    it('Q6: a key without = is present with "" and keeps its spelling in req.url', async () => {
      const view = await see(framework, single({ flag: '' }));
      expect(view.req.url).toBe('/lambda?flag');
      expect(view.query.flag).toBe('');
    });

    it('an empty query gives a path without "?"', async () => {
      const view = await see(framework, single({}));
      expect(view.req.url).toBe('/lambda');
      expect(view.query).toEqual({});
    });

    it('a missing queryStringParameters field is an empty query', async () => {
      const event: ALBEvent = { ...albEvent };
      Reflect.deleteProperty(event, 'queryStringParameters');
      const view = await see(framework, event);
      expect(view.req.url).toBe('/lambda');
    });
  });

  describe('in multi-value mode', () => {
    it('Q5: repeated keys reach the app as an array, in order', async () => {
      const view = await see(framework, multiple({ a: ['1', '2'], b: ['x'] }));
      expect(view.query.a).toEqual(['1', '2']);
      expect(view.query.b).toBe('x');
      expect(view.req.url).toBe('/todos?a=1&a=2&b=x');
    });

    it('Q1: encoded values in the arrays are decoded once', async () => {
      const view = await see(framework, multiple({ q: ['a%20b', '%26x%3D1'] }));
      expect(view.query.q).toEqual(['a b', '&x=1']);
      expect(view.req.url).not.toContain('%25');
    });

    it('Q7: when both query fields are present, the multi-value one wins, without duplicates', async () => {
      const view = await see(framework, {
        ...albEventMulti,
        queryStringParameters: { a: '2', only: 'single' },
        multiValueQueryStringParameters: { a: ['1', '2'] },
      });
      expect(view.query).toEqual({ a: ['1', '2'] });
      expect(view.req.url).toBe('/todos?a=1&a=2');
    });
  });
});

describe('characters that cannot stand raw in a request target', () => {
  it.each([
    ['a space', { q: 'a b' }, '/lambda?q=a%20b', 'a b'],
    ['non-ASCII text', { q: 'café' }, '/lambda?q=caf%C3%A9', 'café'],
    ['a #', { q: 'x#y' }, '/lambda?q=x%23y', 'x#y'],
    ['a raw &', { q: 'x&y' }, '/lambda?q=x%26y', 'x&y'],
  ])('%s in a value is percent-encoded once', async (_label, query, url, value) => {
    const view = await see(express5Framework, single(query));
    expect(view.req.url).toBe(url);
    expect(view.query.q).toBe(value);
  });

  it('an = inside a key is percent-encoded, while an = inside a value passes raw', async () => {
    const view = await see(express5Framework, single({ 'a=b': 'c=d' }));
    expect(view.req.url).toBe('/lambda?a%3Db=c=d');
    expect(view.query).toEqual({ 'a=b': 'c=d' });
  });

  it("characters allowed in a query (/ ? : @ ! $ ' ( ) * , ; %) pass as sent", async () => {
    const raw = "/?:@!$'()*,;%41";
    const view = await see(express5Framework, single({ q: raw }));
    expect(view.req.url).toBe(`/lambda?q=${raw}`);
    expect(view.query.q).toBe("/?:@!$'()*,;A");
  });

  it('a path with a space or non-ASCII text is percent-encoded; an encoded path is kept', async () => {
    const seen: string[] = [];
    const app = express();
    app.use((req, res) => {
      seen.push(req.url, req.path);
      res.end();
    });
    await call(app, { ...albEvent, path: '/a b/café', queryStringParameters: {} });
    await call(app, { ...albEvent, path: '/a%20b/caf%C3%A9', queryStringParameters: {} });
    expect(seen).toEqual(['/a%20b/caf%C3%A9', '/a%20b/caf%C3%A9', '/a%20b/caf%C3%A9', '/a%20b/caf%C3%A9']);
  });
});

describe('Q8: the event is not mutated', () => {
  it.each([
    ['single-value', single({ q: 'a%20b', flag: '', 'k%5B%5D': '1' })],
    ['multi-value', multiple({ a: ['1', '2'], 'k%5B%5D': ['x'] })],
    [
      'mixed',
      { ...albEventMulti, queryStringParameters: { a: '9' }, multiValueQueryStringParameters: { a: ['1'] } },
    ],
  ])('a frozen %s event is read without a write, and stays equal to its copy', async (_mode, event) => {
    const copy = structuredClone(event);
    const frozen = deepFreeze(structuredClone(event));
    const view = await see(express5Framework, frozen);
    expect(view.query).not.toEqual({});
    expect(frozen).toEqual(copy);
  });
});
