import { describe, expect, it } from 'vitest';
import { canonicalIp, parsePort, splitHostPort } from '../../../src/main/engine/ingest/formats/net';

describe('canonicalIp', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['192.030.0.6', '192.30.0.6'], // leading zeros read as decimal (fail2ban sshd sample)
    ['::ffff:1.2.3.4', '1.2.3.4'], // IPv4-mapped is the IPv4 host
    ['::FFFF:10.171.161.151', '10.171.161.151'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first longest run
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['::1', '::1'],
    ['::', '::'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[2001:db8::b6d3:95d7:1425:766d]', '2001:db8::b6d3:95d7:1425:766d'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'], // a single zero group is not compressed
  ])('%s -> %s', (input, want) => {
    expect(canonicalIp(input)).toBe(want);
  });

  it.each(['', 'example.com', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4:80', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '-', 'x'.repeat(100000)])(
    'rejects %s',
    (input) => {
      expect(canonicalIp(input)).toBeNull();
    },
  );
});

describe('ports and host:port', () => {
  it('parses ports strictly', () => {
    expect(parsePort('22')).toBe(22);
    expect(parsePort(65535)).toBe(65535);
    expect(parsePort('65536')).toBeNull();
    expect(parsePort('-1')).toBeNull();
    expect(parsePort('8o')).toBeNull();
    expect(parsePort(1.5)).toBeNull();
  });
  it('splits IPv4, bracketed IPv6 and bare addresses', () => {
    expect(splitHostPort('1.2.3.4:1234')).toEqual({ ip: '1.2.3.4', port: 1234 });
    expect(splitHostPort('[2001:db8::1]:443')).toEqual({ ip: '2001:db8::1', port: 443 });
    expect(splitHostPort('2001:db8::1')).toEqual({ ip: '2001:db8::1', port: null });
    expect(splitHostPort('host:80')).toEqual({ ip: null, port: 80 });
  });
});
