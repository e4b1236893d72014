import { normalizeDestination } from './normalize';

describe('normalizeDestination', () => {
  it.each([
    ['020 7946 0018', 'GB', '+442079460018', 'GB'],
    ['+44 (0)20 7946-0018'.replace('(0)', ''), 'GB', '+442079460018', 'GB'],
    ['00 33 1 42 68 53 00', 'GB', '+33142685300', 'FR'],
    ['011 33 1 42 68 53 00', 'US', '+33142685300', 'FR'],
    ['(202) 555-0100', 'US', '+12025550100', 'US'],
    ['tel:+4930123456', 'GB', '+4930123456', 'DE'],
    ['0612345678', 'FR', '+33612345678', 'FR'],
  ])('%s from %s → %s', (raw, country, e164, numberCountry) => {
    expect(normalizeDestination(raw, country)).toEqual({ kind: 'e164', e164, country: numberCountry });
  });

  it('returns E.164 without a country for non-geographic numbers', () => {
    expect(normalizeDestination('+870773123456', 'GB')).toEqual({ kind: 'e164', e164: '+870773123456' });
  });

  it('classifies emergency numbers of the country, plus 112 and 911', () => {
    expect(normalizeDestination('999', 'GB')).toEqual({ kind: 'emergency', number: '999' });
    expect(normalizeDestination('112', 'US')).toEqual({ kind: 'emergency', number: '112' });
    expect(normalizeDestination('000', 'AU')).toEqual({ kind: 'emergency', number: '000' });
    expect(normalizeDestination('999', 'US')).toEqual({ kind: 'internal', extension: '999' });
  });

  it('uses the emergency list and internal pattern it is given', () => {
    expect(normalizeDestination('110', 'GB', { emergencyNumbers: ['110'] })).toEqual({
      kind: 'emergency',
      number: '110',
    });
    expect(normalizeDestination('1234567', 'GB', { internalPattern: /^\d{7}$/ })).toEqual({
      kind: 'internal',
      extension: '1234567',
    });
  });

  it('classifies short numbers and feature codes as internal', () => {
    expect(normalizeDestination('201', 'GB')).toEqual({ kind: 'internal', extension: '201' });
    expect(normalizeDestination('*97', 'GB')).toEqual({ kind: 'internal', extension: '*97' });
  });

  it.each([
    ['', 'nothing was dialed'],
    ['   ', 'nothing was dialed'],
    ['+44abc', 'cannot be dialed'],
    ['012345678901234567', 'not a possible phone number'],
    ['+99912345', 'not a possible phone number'],
  ])('rejects "%s"', (raw, reason) => {
    const result = normalizeDestination(raw, 'GB');
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.reason).toContain(reason);
  });

  it('accepts only international format for an unknown default country', () => {
    expect(normalizeDestination('+33142685300', 'ZZ')).toMatchObject({ kind: 'e164', e164: '+33142685300' });
    expect(normalizeDestination('0142685300', 'ZZ').kind).toBe('invalid');
  });
});
