import { validateSync } from 'class-validator';
import { canonicalTimeZone, IsCountryCode, IsTimeZone } from './tenant-validators';

class Sample {
  @IsCountryCode() country!: unknown;
  @IsTimeZone() zone!: unknown;
}

function errorsOf(country: unknown, zone: unknown): string[] {
  const s = Object.assign(new Sample(), { country, zone });
  return validateSync(s).map((e) => e.property);
}

describe('tenant validators', () => {
  it('canonicalises IANA zone names and refuses offsets, paths and unknown zones', () => {
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    expect(canonicalTimeZone('utc')).toBe('UTC');
    expect(canonicalTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(canonicalTimeZone('Europe/Kyiv')).toBe('Europe/Kyiv');
    for (const bad of ['+01:00', 'Mars/Olympus', '../etc/passwd', '', 'Europe/', 'a/b/c/d'])
      expect(canonicalTimeZone(bad)).toBeNull();
  });

  it('accepts upper-case alpha-2 countries known to the dialling plan only', () => {
    expect(errorsOf('GB', 'Europe/London')).toEqual([]);
    expect(errorsOf('gb', 'UTC')).toEqual(['country']);
    expect(errorsOf('XX', 'UTC')).toEqual(['country']);
    expect(errorsOf('GBR', 'UTC')).toEqual(['country']);
    expect(errorsOf('US', 'Nowhere/Special')).toEqual(['zone']);
    expect(errorsOf(42, null)).toEqual(['country', 'zone']);
  });
});
