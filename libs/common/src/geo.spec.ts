import { countryOfIp } from './geo';

describe('countryOfIp', () => {
  it.each([
    ['8.8.8.8', 'US'],
    ['81.2.69.160', 'GB'],
    ['2001:4860:4860::8888', 'US'],
  ])('%s is in %s', (ip, country) => {
    expect(countryOfIp(ip)).toBe(country);
  });

  it.each(['10.0.0.1', '192.168.1.10', '127.0.0.1', '::1', 'not-an-ip', ''])('%s has no country', (ip) => {
    expect(countryOfIp(ip)).toBeUndefined();
  });
});
