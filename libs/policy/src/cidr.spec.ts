import { anyCidrContains, cidrContains, parseCidr, parseIp, type IpAddress } from './cidr';

function ip(text: string): IpAddress {
  const parsed = parseIp(text);
  if (!parsed) throw new Error(`bad test address ${text}`);
  return parsed;
}

function contains(cidr: string, address: string): boolean {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`bad test cidr ${cidr}`);
  return cidrContains(parsed, ip(address));
}

describe('parseIp', () => {
  it('parses IPv4', () => {
    expect(parseIp('192.0.2.1')).toEqual({ family: 4, words: [0xc0000201] });
    expect(parseIp('255.255.255.255')).toEqual({ family: 4, words: [0xffffffff] });
    expect(parseIp('0.0.0.0')).toEqual({ family: 4, words: [0] });
  });

  it.each([
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.-1',
    'a.b.c.d',
    '',
    '1..2.3',
    '1.2.3.4.',
    '.1.2.3',
    '1234.1.1.1',
    '1.2.3.4 ',
  ])('rejects IPv4 %s', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('parses IPv6 forms', () => {
    expect(parseIp('2001:db8::1')).toEqual({ family: 6, words: [0x20010db8, 0, 0, 1] });
    expect(parseIp('::')).toEqual({ family: 6, words: [0, 0, 0, 0] });
    expect(parseIp('::1')).toEqual({ family: 6, words: [0, 0, 0, 1] });
    expect(parseIp('fe80::')).toEqual({ family: 6, words: [0xfe800000, 0, 0, 0] });
    expect(parseIp('1:2:3:4:5:6:7:8')).toEqual({ family: 6, words: [0x10002, 0x30004, 0x50006, 0x70008] });
    expect(parseIp('[2001:db8::1]')).toEqual(parseIp('2001:db8::1'));
    expect(parseIp('64:ff9b::192.0.2.1')).toEqual({ family: 6, words: [0x0064ff9b, 0, 0, 0xc0000201] });
  });

  it('reads IPv4-mapped IPv6 as IPv4', () => {
    expect(parseIp('::ffff:192.0.2.1')).toEqual({ family: 4, words: [0xc0000201] });
    expect(parseIp('::ffff:c000:201')).toEqual({ family: 4, words: [0xc0000201] });
  });

  it.each([
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::1',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7::8',
    'g::1',
    'fe80::1%eth0',
  ])('rejects IPv6 %s', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it('clears host bits and treats a bare address as a host route', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, words: [0x0a000000], bits: 8 });
    expect(parseCidr('10.1.2.3')).toEqual({ family: 4, words: [0x0a010203], bits: 32 });
    expect(parseCidr('2001:db8::1')?.bits).toBe(128);
  });

  it('maps an IPv4-mapped IPv6 prefix to an IPv4 prefix', () => {
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ family: 4, words: [0x0a000000], bits: 8 });
  });

  it.each([
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/',
    '2001:db8::/129',
    '10.0.0.0/8/8',
    'x/8',
    '10.0.0.0/ 8',
  ])('rejects %s', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('cidrContains', () => {
  it('checks IPv4 boundaries', () => {
    expect(contains('10.0.0.0/8', '10.0.0.0')).toBe(true);
    expect(contains('10.0.0.0/8', '10.255.255.255')).toBe(true);
    expect(contains('10.0.0.0/8', '11.0.0.0')).toBe(false);
    expect(contains('10.0.0.0/8', '9.255.255.255')).toBe(false);
    expect(contains('192.0.2.128/25', '192.0.2.127')).toBe(false);
    expect(contains('192.0.2.128/25', '192.0.2.128')).toBe(true);
    expect(contains('192.0.2.10/32', '192.0.2.10')).toBe(true);
    expect(contains('192.0.2.10/32', '192.0.2.11')).toBe(false);
    expect(contains('0.0.0.0/0', '203.0.113.9')).toBe(true);
  });

  it('checks IPv6 boundaries across 32-bit words', () => {
    expect(contains('2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(contains('2001:db8::/32', '2001:db9::')).toBe(false);
    expect(contains('2001:db8::/48', '2001:db8:0:ffff::1')).toBe(true);
    expect(contains('2001:db8::/48', '2001:db8:1::1')).toBe(false);
    expect(contains('2001:db8::/63', '2001:db8:0:1::1')).toBe(true);
    expect(contains('2001:db8::/64', '2001:db8:0:1::1')).toBe(false);
    expect(contains('2001:db8::1/128', '2001:db8::1')).toBe(true);
    expect(contains('2001:db8::1/128', '2001:db8::2')).toBe(false);
    expect(contains('::/0', '2001:db8::2')).toBe(true);
  });

  it('never matches across families, but matches IPv4-mapped sources', () => {
    expect(contains('::/0', '192.0.2.1')).toBe(false);
    expect(contains('0.0.0.0/0', '2001:db8::1')).toBe(false);
    expect(contains('192.0.2.0/24', '::ffff:192.0.2.77')).toBe(true);
  });

  it('matches any of a list', () => {
    const list = ['10.0.0.0/8', '2001:db8::/32'].map((text) => parseCidr(text)!);
    expect(anyCidrContains(list, ip('2001:db8::5'))).toBe(true);
    expect(anyCidrContains(list, ip('10.9.9.9'))).toBe(true);
    expect(anyCidrContains(list, ip('172.16.0.1'))).toBe(false);
    expect(anyCidrContains([], ip('10.0.0.1'))).toBe(false);
  });
});
