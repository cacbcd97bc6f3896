import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawQueryFromParams, safePath, splitRawQuery } from '../../lib/query.js';

describe('rawQueryFromParams', () => {
  it('Q1: keeps encoded keys and values exactly as sent', () => {
    expect(rawQueryFromParams({ q: 'a%20b', enc: '%26x%3D1', 'k%5B%5D': '1' }, undefined)).toBe(
      'q=a%20b&enc=%26x%3D1&k%5B%5D=1',
    );
  });

  it('Q2: keeps a + as a +', () => {
    expect(rawQueryFromParams({ q: 'a+b' }, undefined)).toBe('q=a+b');
  });

  it('Q4: keeps a malformed escape as sent', () => {
    expect(rawQueryFromParams({ utm: '%%URL%%' }, undefined)).toBe('utm=%%URL%%');
  });

  it('Q5: repeats a multi-value key for each value, in order', () => {
    expect(rawQueryFromParams(undefined, { a: ['1', '2'], b: ['x'] })).toBe('a=1&a=2&b=x');
  });

  it('Q6: writes an empty value as the bare key', () => {
    expect(rawQueryFromParams({ flag: '', a: '1' }, undefined)).toBe('flag&a=1');
  });

  it('Q7: uses the multi-value parameters when both are given', () => {
    expect(rawQueryFromParams({ a: '9' }, { a: ['1'] })).toBe('a=1');
  });

  it('gives "" for no parameters', () => {
    expect(rawQueryFromParams({}, undefined)).toBe('');
    expect(rawQueryFromParams(undefined, {})).toBe('');
    expect(rawQueryFromParams(undefined, undefined)).toBe('');
    expect(rawQueryFromParams(undefined, { a: [] })).toBe('');
  });

  it.each([
    ['a space', 'a b', 'a%20b'],
    ['a #', 'a#b', 'a%23b'],
    ['an &', 'a&b', 'a%26b'],
    ['non-ASCII text', 'é€', '%C3%A9%E2%82%AC'],
    ['a control character', 'a\u0001', 'a%01'],
    ['DEL', 'a\u007f', 'a%7F'],
  ])('percent-encodes %s in a value', (_label, value, encoded) => {
    expect(rawQueryFromParams({ q: value }, undefined)).toBe(`q=${encoded}`);
  });

  it('keeps = raw in a value and encodes it in a key', () => {
    expect(rawQueryFromParams({ 'a=b': 'c=d' }, undefined)).toBe('a%3Db=c=d');
  });

  it("keeps / ? : @ ! $ ' ( ) * , ; as they are", () => {
    expect(rawQueryFromParams({ q: "/?:@!$'()*,;" }, undefined)).toBe("q=/?:@!$'()*,;");
  });

  it('Q8: does not change its input', () => {
    const single = Object.freeze({ q: 'a b' });
    const multi = Object.freeze({ a: Object.freeze(['1', '2']) });
    expect(() => rawQueryFromParams(single, undefined)).not.toThrow();
    expect(() => rawQueryFromParams(undefined, multi)).not.toThrow();
  });

  it('a URL parser decodes every key and value back to the original text', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string({ minLength: 1 })), (params) => {
        const query = rawQueryFromParams(params, undefined);
        const parsed = new URL(`http://localhost/path?${query}`).searchParams;
        for (const [key, value] of Object.entries(params)) {
          // Only text without % and + is taken as already decoded.
          if (/[%+]/.test(key + value)) continue;
          expect(parsed.get(key)).toBe(value);
        }
      }),
    );
  });
});

describe('safePath', () => {
  it.each([
    ['/plain/path', '/plain/path'],
    ['/a b', '/a%20b'],
    ['/café', '/caf%C3%A9'],
    ['/a?b', '/a%3Fb'],
    ['/a#b', '/a%23b'],
    ['/already%20encoded', '/already%20encoded'],
    ['/%%bad', '/%%bad'],
    ["/keep:@!$&'()*+,;=", "/keep:@!$&'()*+,;="],
  ])('%j -> %j', (path, safe) => {
    expect(safePath(path)).toBe(safe);
  });
});

describe('splitRawQuery', () => {
  it('splits on & and the first =, keeping text as sent', () => {
    expect(splitRawQuery('a=1&b=x%20y=z&flag&c=')).toEqual([
      ['a', '1'],
      ['b', 'x%20y=z'],
      ['flag', ''],
      ['c', ''],
    ]);
  });

  it('skips empty parts and gives [] for ""', () => {
    expect(splitRawQuery('&&a=1&')).toEqual([['a', '1']]);
    expect(splitRawQuery('')).toEqual([]);
  });

  it('keeps repeated keys in order', () => {
    expect(splitRawQuery('a=1&a=2')).toEqual([
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('inverts rawQueryFromParams for text that needs no escaping', () => {
    expect(splitRawQuery(rawQueryFromParams(undefined, { a: ['1', '2'], 'k%5B%5D': ['x+y'] }))).toEqual([
      ['a', '1'],
      ['a', '2'],
      ['k%5B%5D', 'x+y'],
    ]);
  });
});
