import { describe, expect, it } from 'vitest';
import { peerFromForwardedFor } from '../../lib/formats/forwarded.js';

describe('peerFromForwardedFor', () => {
  it.each([
    ['one address', '203.0.113.9', '203.0.113.9', undefined],
    [
      'R1: a chain (the last entry is the one the ALB saw)',
      '198.51.100.7, 203.0.113.9',
      '203.0.113.9',
      undefined,
    ],
    ['a chain of three', '198.51.100.7, 192.0.2.44, 203.0.113.9', '203.0.113.9', undefined],
    ['a chain without spaces', '198.51.100.7,203.0.113.9', '203.0.113.9', undefined],
    ['ip:port', '203.0.113.9:51234', '203.0.113.9', 51234],
    ['[ipv6]:port', '[2001:db8::7]:443', '2001:db8::7', 443],
    ['[ipv6] without a port', '[2001:db8::7]', '2001:db8::7', undefined],
    ['bare IPv6', '2001:db8::7', '2001:db8::7', undefined],
    ['a chain ending in ip:port', '10.0.0.1:1, 203.0.113.9:80', '203.0.113.9', 80],
    ['a port out of range', '203.0.113.9:70000', '203.0.113.9', undefined],
    ['a non-numeric port', '203.0.113.9:http', '203.0.113.9', undefined],
    ['an unclosed bracket', '[2001:db8::7', '[2001:db8::7', undefined],
  ])('%s', (_label, value, address, port) => {
    expect(peerFromForwardedFor(['x-forwarded-for', value])).toEqual({ address, port });
  });

  it('uses the last x-forwarded-for line', () => {
    expect(
      peerFromForwardedFor(['x-forwarded-for', '192.0.2.1', 'host', 'h', 'x-forwarded-for', '203.0.113.9']),
    ).toEqual({ address: '203.0.113.9', port: undefined });
  });

  it.each([
    ['no header', []],
    ['an empty header', ['x-forwarded-for', '']],
    ['a trailing comma', ['x-forwarded-for', '203.0.113.9, ']],
  ])('%s gives no peer', (_label, headers) => {
    expect(peerFromForwardedFor(headers)).toEqual({ address: undefined, port: undefined });
  });
});
