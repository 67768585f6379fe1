import { describe, expect, it } from 'vitest';
import { canonicalIp, cidrContains, formatIpv6, ipScope, parseCidr, parseIp } from '../../../src/main/engine/net/ip-address';

describe('parseIp / canonicalIp', () => {
  it('accepts dotted quads and rejects shorthand, octal-looking and out-of-range forms', () => {
    expect(canonicalIp('192.168.1.10')).toBe('192.168.1.10');
    expect(canonicalIp(' 8.8.8.8 ')).toBe('8.8.8.8');
    expect(canonicalIp('0.0.0.0')).toBe('0.0.0.0');
    expect(canonicalIp('255.255.255.255')).toBe('255.255.255.255');
    for (const bad of ['010.1.1.1', '1.02.3.4', '00.0.0.0', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.4.', '0x7f.0.0.1', '1.2.3.-4', '1.2.3.4 5', '', '1.2.3.1000', '+1.2.3.4']) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });

  it('writes IPv6 in RFC 5952 form', () => {
    expect(canonicalIp('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // first of two equal runs
    expect(canonicalIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // a single zero group is not shortened
    expect(canonicalIp('::')).toBe('::');
    expect(canonicalIp('::1')).toBe('::1');
    expect(canonicalIp('fe80:0:0:0:0:0:0:0')).toBe('fe80::');
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('[2001:db8::5]')).toBe('2001:db8::5');
    expect(canonicalIp('64:ff9b::192.0.2.33')).toBe('64:ff9b::c000:221');
    expect(formatIpv6((1n << 128n) - 1n)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });

  it('maps IPv4-mapped IPv6 to the IPv4 host it names', () => {
    expect(canonicalIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalIp('::FFFF:0a01:0203')).toBe('10.1.2.3');
    expect(canonicalIp('0:0:0:0:0:ffff:8.8.8.8')).toBe('8.8.8.8');
    expect(parseIp('::ffff:8.8.8.8')?.family).toBe(4);
    // IPv4-compatible (deprecated) addresses are not mapped.
    expect(canonicalIp('::8.8.8.8')).toBe('::808:808');
  });

  it('keeps zone ids out of the canonical text', () => {
    const p = parseIp('fe80::1%eth0');
    expect(p?.canonical).toBe('fe80::1');
    expect(p?.zone).toBe('eth0');
    expect(parseIp('fe80::1%')).toBeNull();
    expect(parseIp('fe80::1%et h0')).toBeNull();
  });

  it('rejects malformed IPv6', () => {
    for (const bad of ['1::2::3', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '1:2:3:4:5:6:7:8::', '::ffff:1.2.3.04', '[::1', '::1]', '1:2:3:4:5:6:1.2.3.4:1', '1:::2', '1.2.3.4::', '::1.2.3.4:1', '1:2:3:4::5:6:7:8', ':', '::1:', '1::2:', 'ffff1::', '1:2:3:4:5:6:7:8:1.2.3.4', '::1.2.3']) {
      expect(parseIp(bad), bad).toBeNull();
    }
    expect(canonicalIp('1:2:3:4:5:6:1.2.3.4')).toBe('1:2:3:4:5:6:102:304');
    expect(canonicalIp('1::')).toBe('1::');
  });

  it('round-trips random 128-bit values through text', () => {
    let seed = 12345;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let n = 0; n < 2000; n++) {
      let v = 0n;
      for (let k = 0; k < 8; k++) {
        // Many zero words, so '::' runs of every length and position occur.
        const w = next() % 3 === 0 ? 0 : next() & 0xffff;
        v = (v << 16n) | BigInt(w);
      }
      if (v >> 32n === 0xffffn) continue; // mapped: becomes IPv4 by design
      const text = formatIpv6(v);
      const back = parseIp(text);
      expect(back?.value, text).toBe(v);
      expect(back?.canonical).toBe(text);
      const upperLong = text.toUpperCase();
      expect(parseIp(upperLong)?.value).toBe(v);
    }
  });

  it('round-trips: canonical text parses to itself', () => {
    for (const s of ['1.2.3.4', '2001:db8::1', '::', 'fe80::', '2001:db8:1:2:3:4:5:6', '1::2:0:0:3']) {
      expect(canonicalIp(canonicalIp(s) ?? '')).toBe(canonicalIp(s));
    }
  });
});

describe('parseCidr', () => {
  it('parses networks and tolerates host bits', () => {
    const c = parseCidr('10.1.2.3/8');
    expect(c?.canonical).toBe('10.0.0.0/8');
    expect(c?.hostBitsSet).toBe(true);
    expect(c?.first).toBe(0x0a000000n);
    expect(c?.last).toBe(0x0affffffn);
    expect(parseCidr('2001:db8::/32')?.last).toBe((0x20010db8n << 96n) | ((1n << 96n) - 1n));
    expect(parseCidr('1.2.3.4')?.prefix).toBe(32);
    expect(parseCidr('0.0.0.0/0')?.last).toBe(0xffffffffn);
    expect(parseCidr('::ffff:10.0.0.0/104')?.canonical).toBe('10.0.0.0/8');
  });

  it('rejects bad prefixes', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/08', '10.0.0.0/-1', '::/129', 'fe80::1%eth0/64', '010.0.0.0/8', '10.0.0.0/8/8']) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });

  it('tests membership within one family only', () => {
    const net = parseCidr('192.168.0.0/16')!;
    expect(cidrContains(net, parseIp('192.168.200.1')!)).toBe(true);
    expect(cidrContains(net, parseIp('192.169.0.1')!)).toBe(false);
    expect(cidrContains(net, parseIp('::ffff:192.168.1.1')!)).toBe(true);
    expect(cidrContains(net, parseIp('::c0a8:101')!)).toBe(false);
  });
});

describe('ipScope', () => {
  const cases: Array<[string, string]> = [
    ['8.8.8.8', 'public'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.10.1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['192.0.2.55', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.200', 'documentation'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::ffff:10.0.0.1', 'private'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'ula'],
    ['fd12:3456:789a::1', 'ula'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2a00:1450:4001::1', 'public'],
    ['2606:4700::1111', 'public'],
    ['fec0::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['not-an-ip', 'invalid'],
    ['010.0.0.1', 'invalid'],
  ];
  it.each(cases)('%s is %s', (ip, scope) => {
    expect(ipScope(ip)).toBe(scope);
  });
});
