import { normalizeIp, parseBanUpdate, parseFloodReport, unbannableReason } from './bans';

describe('ban helpers', () => {
  it('normalizes addresses the way the SIP edge compares them', () => {
    expect(normalizeIp(' 198.51.100.7 ')).toBe('198.51.100.7');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('2001:0db8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(normalizeIp('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  it('refuses anything that is not one address', () => {
    for (const bad of ['198.51.100.0/24', '999.1.1.1', 'example.com', '', 'fe80::1%eth0', '1.2.3'])
      expect(normalizeIp(bad)).toBeNull();
  });

  it('never bans the unspecified or loopback addresses', () => {
    expect(unbannableReason('0.0.0.0')).toMatch(/unspecified/);
    expect(unbannableReason(normalizeIp('0:0:0:0:0:0:0:0') as string)).toMatch(/unspecified/);
    expect(unbannableReason('127.0.0.53')).toMatch(/loopback/);
    expect(unbannableReason(normalizeIp('::ffff:127.0.0.1') as string)).toMatch(/loopback/);
    expect(unbannableReason('::1')).toMatch(/loopback/);
    expect(unbannableReason('198.51.100.7')).toBeNull();
  });

  it('with allowLoopback (tests only) bans other loopback addresses, never the stack\'s own', () => {
    const allowLoopback = { allowLoopback: true };
    expect(unbannableReason('127.0.0.66')).toMatch(/loopback/);
    expect(unbannableReason('127.0.0.66', { allowLoopback: false })).toMatch(/loopback/);
    expect(unbannableReason('127.0.0.66', allowLoopback)).toBeNull();
    expect(unbannableReason('127.255.0.1', allowLoopback)).toBeNull();
    expect(unbannableReason('127.0.0.1', allowLoopback)).toMatch(/loopback/);
    expect(unbannableReason(normalizeIp('::ffff:127.0.0.1') as string, allowLoopback)).toMatch(/loopback/);
    expect(unbannableReason(normalizeIp('0:0:0:0:0:0:0:1') as string, allowLoopback)).toMatch(/loopback/);
    expect(unbannableReason('0.0.0.0', allowLoopback)).toMatch(/unspecified/);
  });

  it('parses only well-formed drop-list updates', () => {
    expect(parseBanUpdate('{"op":"add","ip":"198.51.100.7"}')).toEqual({ op: 'add', ip: '198.51.100.7' });
    expect(parseBanUpdate('{"op":"drop","ip":"198.51.100.7"}')).toBeNull();
    expect(parseBanUpdate('{"op":"add","ip":"nope"}')).toBeNull();
    expect(parseBanUpdate('null')).toBeNull();
    expect(parseBanUpdate('{')).toBeNull();
  });

  it('parses only well-formed flood reports', () => {
    expect(parseFloodReport('{"ip":"198.51.100.7","at":1700000000000,"count":412}')).toEqual({
      ip: '198.51.100.7',
      at: 1700000000000,
      count: 412,
    });
    expect(parseFloodReport('{"ip":"nope","at":1,"count":1}')).toBeNull();
    expect(parseFloodReport('{"ip":"198.51.100.7","at":"soon","count":1}')).toBeNull();
    expect(parseFloodReport('{"ip":"198.51.100.7","at":1,"count":-1}')).toBeNull();
    expect(parseFloodReport('[')).toBeNull();
  });
});
