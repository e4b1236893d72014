import { normaliseSourceValue } from './source-value';

describe('normaliseSourceValue', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['198.51.100.7', '198.51.100.7'],
    ['2001:DB8::/32', '2001:db8::/32'],
    [' 10.0.0.0/8 ', '10.0.0.0/8'],
  ])('accepts the CIDR %s', (raw, value) => {
    expect(normaliseSourceValue('cidr_allow', raw)).toEqual({ value });
  });

  it.each(['300.1.1.1', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/8/8', 'example.com', '10.0.0.0/', '10.0.0.0/x', 'GB'])(
    'refuses the CIDR %s',
    (raw) => {
      expect(normaliseSourceValue('cidr_allow', raw)).toHaveProperty('error');
    },
  );

  it('upper-cases country codes and refuses anything else', () => {
    expect(normaliseSourceValue('country_deny', 'ru')).toEqual({ value: 'RU' });
    expect(normaliseSourceValue('country_allow', 'GBR')).toHaveProperty('error');
    expect(normaliseSourceValue('country_allow', '10.0.0.0/8')).toHaveProperty('error');
  });
});
