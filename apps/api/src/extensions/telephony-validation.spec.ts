import { parseCidr } from '@pbx/policy';
import { isHost } from '../trunks/dto/trunk.dto';
import { normaliseCidr } from './telephony-validation';

describe('normaliseCidr', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    [' 198.51.100.7 ', '198.51.100.7/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    ['::ffff:192.0.2.1/128', '::ffff:192.0.2.1/128'],
  ])('accepts %s as %s, which the policy engine parses too', (input, expected) => {
    expect(normaliseCidr(input)).toBe(expected);
    expect(parseCidr(expected)).toBeTruthy();
  });

  it.each([
    '',
    'nope',
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0.0/08',
    '010.0.0.1/8',
    '256.0.0.0/8',
    '::1/129',
    '10.0.0.0/8/8',
    '10.0.0/8',
    'fe80::1%eth0/64',
  ])('refuses %j', (input) => expect(normaliseCidr(input)).toBeNull());
});

describe('isHost', () => {
  it.each(['sip.carrier.example', 'localhost', '192.0.2.1', '2001:db8::1', 'a-b.c1.example'])(
    'accepts %s',
    (h) => expect(isHost(h)).toBe(true),
  );
  it.each([
    '',
    'bad host',
    '-a.example',
    'a..example',
    'a.example.',
    `${'a'.repeat(64)}.example`,
    '[2001:db8::1]',
    'sip:host',
    5060,
  ])('refuses %j', (h) => expect(isHost(h)).toBe(false));
});
