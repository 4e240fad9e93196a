import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { samePrefixSet, contains, overlappingPairs, overlaps, parsePrefix } from '../../src/model/cidr';

const p = (s: string) => {
  const prefix = parsePrefix(s);
  if (!prefix) throw new Error(`bad prefix ${s}`);
  return prefix;
};

describe('prefixes', () => {
  it('parses IPv4 and IPv6 prefixes and host addresses', () => {
    expect(p('10.0.0.0/16')).toMatchObject({ version: 4, length: 16 });
    expect(p('2001:db8::/64')).toMatchObject({ version: 6, length: 64 });
    expect(p('10.0.0.4')).toMatchObject({ version: 4, length: 32 });
    expect(p('10.0.5.7/16').first).toBe(p('10.0.0.0/16').first);
  });

  it('rejects malformed prefixes', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'Internet', '', '2001:db8::/129', '10.0.0.0/8/9', '2001:db8::/64/1', '10.0.0.0/']) {
      expect(parsePrefix(bad)).toBeUndefined();
    }
  });

  it('reads IPv4 exactly as ipaddr.js would: dotted quads of decimal octets only', () => {
    // The oracle: ipaddr.js's four-part decimal check, then its parser.
    const oracle = (text: string): string | undefined => {
      const parts = text.trim().split('/');
      const [address = '', length] = parts;
      if (parts.length > 2 || address.includes(':') || !ipaddr.IPv4.isValidFourPartDecimal(address)) return undefined;
      if (length !== undefined && (!/^\d{1,3}$/.test(length) || Number(length) > 32)) return undefined;
      const value = ipaddr.IPv4.parse(address).toByteArray().reduce((v, byte) => v * 256 + byte, 0);
      const bits = Number(length ?? 32);
      const size = 2 ** (32 - bits);
      return `4:${(Math.floor(value / size) * size).toString(16)}/${bits}`;
    };
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('255', '256', '00', '010', '0x1', '1e2', '', ' 1', '+1', '٣'));
    const quad = fc.tuple(fc.array(octet, { minLength: 1, maxLength: 5 }), fc.option(fc.constantFrom('0', '8', '24', '32', '33', '016', 'x'))).map(
      ([octets, length]) => `${octets.join('.')}${length === null ? '' : `/${length}`}`,
    );
    const noise = fc.string({ unit: fc.constantFrom('1', '0', '.', '/', ' ', '2', '5', 'a'), maxLength: 14 });
    fc.assert(
      fc.property(fc.oneof(quad, noise), (text) => {
        expect(parsePrefix(text)?.key).toBe(oracle(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('overlap and containment are exact at the edges and never cross IP versions', () => {
    expect(overlaps(p('10.0.0.0/16'), p('10.0.255.0/24'))).toBe(true);
    expect(overlaps(p('10.0.0.0/16'), p('10.1.0.0/16'))).toBe(false);
    expect(overlaps(p('10.0.0.0/8'), p('10.255.255.255/32'))).toBe(true);
    expect(overlaps(p('::/0'), p('10.0.0.0/8'))).toBe(false);
    expect(contains(p('10.0.0.0/8'), p('10.2.0.0/16'))).toBe(true);
    expect(contains(p('10.2.0.0/16'), p('10.0.0.0/8'))).toBe(false);
    expect(overlappingPairs([p('10.0.0.0/16'), p('fd00::/48')], [p('10.0.128.0/17'), p('fd00:0:0:1::/64')])).toHaveLength(2);
  });

  it('prefix sets compare equal whatever their order and spelling', () => {
    expect(samePrefixSet([p('10.0.0.0/16'), p('2001:DB8::/64')], [p('2001:db8:0::/64'), p('10.0.0.0/16')])).toBe(true);
    expect(samePrefixSet([p('10.0.0.0/16'), p('10.1.0.0/16')], [p('10.0.0.0/16'), p('10.1.0.0/16')])).toBe(true);
    expect(samePrefixSet([p('10.0.0.0/16')], [p('10.0.0.0/17')])).toBe(false);
    expect(samePrefixSet([p('10.0.0.0/16'), p('10.1.0.0/16')], [p('10.1.0.0/16'), p('10.2.0.0/16')])).toBe(false);
    expect(samePrefixSet([p('10.0.0.0/16')], [p('10.0.0.0/16'), p('10.0.0.0/16')])).toBe(false);
  });
});
