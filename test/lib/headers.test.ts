import { describe, expect, it } from 'vitest';
import { asWireText, foldHeaders, hasInvalidValueChar, isHeaderName, isHopByHop } from '../../lib/headers.js';

describe('foldHeaders', () => {
  it('H1: joins repeated cookie lines with "; "', () => {
    expect(foldHeaders(['cookie', 'a=1', 'cookie', 'b=2'])).toEqual({ cookie: 'a=1; b=2' });
  });

  it('H2: joins other repeated lines with ", "', () => {
    expect(foldHeaders(['accept', 'text/html', 'accept', 'application/json'])).toEqual({
      accept: 'text/html, application/json',
    });
  });

  it('H3: keeps every x-forwarded-for line, duplicates included', () => {
    expect(foldHeaders(['x-forwarded-for', '1.1.1.1', 'x-forwarded-for', '1.1.1.1'])).toEqual({
      'x-forwarded-for': '1.1.1.1, 1.1.1.1',
    });
  });

  it('makes set-cookie an array, even for one line', () => {
    expect(foldHeaders(['set-cookie', 'a=1'])).toEqual({ 'set-cookie': ['a=1'] });
    expect(foldHeaders(['set-cookie', 'a=1', 'set-cookie', 'b=2'])).toEqual({ 'set-cookie': ['a=1', 'b=2'] });
  });

  it.each([
    'age',
    'authorization',
    'content-length',
    'content-type',
    'etag',
    'expires',
    'from',
    'host',
    'if-modified-since',
    'if-unmodified-since',
    'last-modified',
    'location',
    'max-forwards',
    'proxy-authorization',
    'referer',
    'retry-after',
    'server',
    'user-agent',
  ])('keeps the first %s line, as Node does', (name) => {
    expect(foldHeaders([name, 'first', name, 'second'])).toEqual({ [name]: 'first' });
  });

  it('keeps an empty value', () => {
    expect(foldHeaders(['x-empty', ''])).toEqual({ 'x-empty': '' });
  });

  it('gives an empty object for no lines', () => {
    expect(foldHeaders([])).toEqual({});
  });
});

describe('isHopByHop', () => {
  it.each([
    'connection',
    'keep-alive',
    'transfer-encoding',
    'te',
    'trailer',
    'upgrade',
    'proxy-authenticate',
    'proxy-connection',
  ])('%s is hop-by-hop', (name) => {
    expect(isHopByHop(name)).toBe(true);
  });

  it.each(['content-length', 'content-type', 'set-cookie', 'x-proxy', 'trailers'])('%s is not', (name) => {
    expect(isHopByHop(name)).toBe(false);
  });
});

describe('isHeaderName', () => {
  it.each(['x-custom', 'X_Y', "a!#$%&'*+-.^_`|~z", 'GET'])('%s is a token', (name) => {
    expect(isHeaderName(name)).toBe(true);
  });

  it.each(['', 'bad name', 'x(y)', 'x:y', 'café', 'a\tb', 'x"y'])('%j is not a token', (name) => {
    expect(isHeaderName(name)).toBe(false);
  });
});

describe('hasInvalidValueChar', () => {
  it.each(['plain', 'with\ttab', 'with space', '', 'caf\u00e9', '~!@'])('%j is a valid value', (value) => {
    expect(hasInvalidValueChar(value)).toBe(false);
  });

  it.each(['a\rb', 'a\nb', 'a\u0000b', 'a\u0001b', 'a\u007fb', 'euro \u20ac'])('%j is not', (value) => {
    expect(hasInvalidValueChar(value)).toBe(true);
  });
});

describe('asWireText', () => {
  it('leaves ASCII unchanged', () => {
    expect(asWireText('text/html; q=0.9')).toBe('text/html; q=0.9');
  });

  it.each([
    ['café', 'cafÃ©'],
    ['5 €', '5 â\u0082¬'],
    ['ÿ', 'Ã¿'],
  ])('H7: %j becomes its UTF-8 bytes read as Latin-1, as Node’s parser gives them', (value, wire) => {
    expect(asWireText(value)).toBe(wire);
    expect(Buffer.from(asWireText(value), 'latin1').toString('utf8')).toBe(value);
  });

  it('gives text that is always a valid header value', () => {
    expect(hasInvalidValueChar(asWireText('日本 € ü'))).toBe(false);
  });
});
