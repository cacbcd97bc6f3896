import { describe, expect, it } from 'vitest';
import { decodeBase64Strict } from '../../lib/formats/base64.js';
import { png } from '../fixtures/png.js';

describe('decodeBase64Strict', () => {
  it('B1: decodes standard base64 byte-exact', () => {
    expect(decodeBase64Strict(png.toString('base64'))?.equals(png)).toBe(true);
  });

  it('decodes URL-safe base64', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x00]);
    expect(decodeBase64Strict(bytes.toString('base64url'))?.equals(bytes)).toBe(true);
  });

  it.each([
    ['one byte, padded', 'QQ==', 'A'],
    ['one byte, unpadded', 'QQ', 'A'],
    ['two bytes, padded', 'QUI=', 'AB'],
    ['two bytes, unpadded', 'QUI', 'AB'],
    ['three bytes', 'QUJD', 'ABC'],
    ['empty', '', ''],
  ])('decodes %s', (_label, text, decoded) => {
    expect(decodeBase64Strict(text)?.toString('latin1')).toBe(decoded);
  });

  it.each([
    ['a character outside the alphabet', 'QU!D'],
    ['spaces', 'QU JD'],
    ['a line break', 'QUJD\nQUJD'],
    ['a length of 4n+1', 'QUJDR'],
    ['padding on a wrong length', 'QUJ=='],
    ['padding in the middle', 'QQ==QQ=='],
    ['three = signs', 'Q==='],
    ['plain text', 'not base64!!'],
  ])('refuses %s', (_label, text) => {
    expect(decodeBase64Strict(text)).toBeUndefined();
  });
});
