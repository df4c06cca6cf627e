import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress, hasHostBits, network, parseAddress, parseCidr } from '../lib/cidr.js';

describe('cidr: addresses and prefixes, parsed strictly and printed as iproute2 prints them', () => {
  it('parses IPv4 and IPv6, with and without a prefix length', () => {
    expect(parseCidr('10.200.0.1/24', 'c')).toEqual({
      family: 'inet',
      bytes: Buffer.from([10, 200, 0, 1]),
      prefixlen: 24,
    });
    expect(parseCidr('10.200.0.1', 'c').prefixlen).toBe(32);
    const v6 = parseCidr('2001:db8::1/64', 'c');
    expect(v6.family).toBe('inet6');
    expect(v6.bytes.toString('hex')).toBe('20010db8000000000000000000000001');
    expect(parseCidr('::', 'c').prefixlen).toBe(128);
    expect(parseAddress('::ffff:10.0.0.1', 'a').bytes.toString('hex')).toBe('00000000000000000000ffff0a000001');
    expect(parseAddress('64:ff9b::192.0.2.33', 'a').bytes.toString('hex')).toBe('0064ff9b0000000000000000c0000221');
  });

  it('refuses malformed input with a RangeError (a TypeError for a non-string)', () => {
    for (const bad of [
      '',
      '10.0.0',
      '10.0.0.256',
      '10.0.0.1/33',
      '10.0.0.1/',
      '10.0.0.1/-1',
      '10.0.0.1/2x',
      'fe80::1%eth0',
      '1::2::3',
      '::/129',
      'a\0b',
      '010.0.0.1',
      'localhost',
    ]) {
      expect(() => parseCidr(bad, 'cidr'), bad).toThrow(RangeError);
    }
    for (const bad of [1, null, undefined, {}, ['10.0.0.1']]) expect(() => parseCidr(bad, 'cidr')).toThrow(TypeError);
    expect(() => parseCidr('10.0.0.256/8', 'cidr')).toThrow('cidr must be an IPv4 or IPv6 address, got "10.0.0.256"');
  });

  it('prints IPv6 as glibc inet_ntop does (longest zero run, first of equals, dotted IPv4 tails)', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
      ['::', '::'],
      ['::1', '::1'],
      ['::ffff:a00:1', '::ffff:10.0.0.1'],
      ['::a00:1', '::10.0.0.1'],
      ['fe80::0:0:1', 'fe80::1'],
    ];
    for (const [input, printed] of cases) expect(formatAddress('inet6', parseAddress(input, 'a').bytes)).toBe(printed);
  });

  it('round-trips any address: printing then parsing gives the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (raw) => {
        const text = formatAddress('inet6', Buffer.from(raw));
        expect(isIPv6(text)).toBe(true);
        expect(parseAddress(text, 'a').bytes.equals(Buffer.from(raw))).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect(formatAddress('inet', parseAddress(text, 'a').bytes)).toBe(text);
      }),
    );
  });

  it('networks and host bits', () => {
    expect(hasHostBits(parseCidr('10.0.0.1/24', 'c'))).toBe(true);
    expect(hasHostBits(parseCidr('10.0.0.0/24', 'c'))).toBe(false);
    expect(formatAddress('inet', network(parseCidr('10.1.2.3/12', 'c')).bytes)).toBe('10.0.0.0');
    expect(formatAddress('inet6', network(parseCidr('2001:db8::ff/121', 'c')).bytes)).toBe('2001:db8::80');
  });
});
