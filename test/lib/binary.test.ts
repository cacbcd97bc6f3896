import { describe, expect, it } from 'vitest';
import { binaryPredicate, defaultIsBinary, needsBase64 } from '../../lib/binary.js';
import { InvalidOptionError } from '../../lib/errors.js';

describe('defaultIsBinary', () => {
  it.each([
    ['image/png', true],
    ['application/octet-stream', true],
    ['font/woff2', true],
    ['application/pdf', true],
    ['application/zip', true],
    ['image/x-icon', true],
    ['', false],
    ['text/html; charset=utf-8', false],
    ['Text/CSV', false],
    ['application/json', false],
    ['application/problem+json', false],
    ['application/jwk-set+json', false],
    ['image/svg+xml', false],
    ['application/xml', false],
    ['application/javascript', false],
    ['application/x-www-form-urlencoded', false],
    ['application/yaml', false],
    ['application/graphql', false],
  ])('X1/X2: %s is binary: %s', (type, binary) => {
    expect(defaultIsBinary(type, '')).toBe(binary);
  });

  it.each(['gzip', 'br', 'zstd', 'deflate'])('X3: content-encoding %s makes a JSON body binary', (coding) => {
    expect(defaultIsBinary('application/json', coding)).toBe(true);
  });

  it('treats content-encoding identity as no encoding', () => {
    expect(defaultIsBinary('application/json', 'identity')).toBe(false);
  });
});

describe('binaryPredicate', () => {
  it('X4: a list with wildcards wins both ways', () => {
    const isBinary = binaryPredicate(['application/vnd.custom', 'text/*']);
    expect(isBinary('text/html', '')).toBe(true);
    expect(isBinary('application/vnd.custom; x=1', '')).toBe(true);
    expect(isBinary('image/png', '')).toBe(false);
  });

  it('X4: a predicate is used as given', () => {
    const isBinary = binaryPredicate((type) => type === 'application/x-thing');
    expect(isBinary('application/x-thing', '')).toBe(true);
    expect(isBinary('image/png', '')).toBe(false);
  });

  it('rejects an option of the wrong type with a coded error', () => {
    expect(() => binaryPredicate(42 as never)).toThrow(InvalidOptionError);
    expect(() => binaryPredicate([''])).toThrow(/image\/\*/);
  });
});

describe('needsBase64', () => {
  it('never sends a body that is not valid UTF-8 as text, whatever its type', () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    expect(needsBase64(body, 'text/plain', '', defaultIsBinary)).toBe(true);
    expect(needsBase64(body, 'text/plain', '', () => false)).toBe(true);
  });

  it('sends valid UTF-8 text as text', () => {
    expect(needsBase64(Buffer.from('héllo'), 'text/plain', '', defaultIsBinary)).toBe(false);
  });

  it('an empty body is never base64', () => {
    expect(needsBase64(Buffer.alloc(0), 'image/png', '', defaultIsBinary)).toBe(false);
  });
});
