import { classifyDialed, dialedDigits, warningOf } from './classify';

describe('classifyDialed', () => {
  const gb = { defaultCountry: 'GB', extensionExists: false };

  it("takes the tenant's own extension first, even where the digits look like a short code", () => {
    expect(classifyDialed('201', { ...gb, extensionExists: true })).toEqual({
      kind: 'extension',
      number: '201',
    });
    expect(classifyDialed('1234567890', { ...gb, extensionExists: true })).toEqual({
      kind: 'extension',
      number: '1234567890',
    });
  });

  it('normalises national and international formats of the tenant country to E.164 with the country', () => {
    expect(classifyDialed('02079460018', gb)).toEqual({
      kind: 'external',
      e164: '+442079460018',
      country: 'GB',
    });
    expect(classifyDialed('0033142685300', gb)).toEqual({
      kind: 'external',
      e164: '+33142685300',
      country: 'FR',
    });
    expect(classifyDialed('01133142685300', { defaultCountry: 'us', extensionExists: false })).toEqual({
      kind: 'external',
      e164: '+33142685300',
      country: 'FR',
    });
    expect(classifyDialed('2025550100', { defaultCountry: 'US', extensionExists: false })).toEqual({
      kind: 'external',
      e164: '+12025550100',
      country: 'US',
    });
    expect(classifyDialed('+4930123456', gb)).toEqual({
      kind: 'external',
      e164: '+4930123456',
      country: 'DE',
    });
  });

  it('reads a Request-URI user part: parameters, escapes and separators', () => {
    expect(dialedDigits('+44-20-7946-0018;phone-context=example.com')).toBe('+442079460018');
    expect(dialedDigits('%2B33142685300')).toBe('+33142685300');
    expect(classifyDialed('%2B33142685300;user=phone', gb)).toEqual({
      kind: 'external',
      e164: '+33142685300',
      country: 'FR',
    });
  });

  it('gives a non-geographic number no country', () => {
    expect(classifyDialed('+870773123456', gb)).toEqual({
      kind: 'external',
      e164: '+870773123456',
      country: null,
    });
  });

  it("recognises the tenant country's emergency numbers", () => {
    expect(classifyDialed('999', gb)).toEqual({ kind: 'emergency', number: '999' });
    expect(classifyDialed('911', { defaultCountry: 'US', extensionExists: false })).toEqual({
      kind: 'emergency',
      number: '911',
    });
  });

  it("uses the tenant's own emergency list instead of the country's when it has one", () => {
    const own = { ...gb, emergencyNumbers: ['112', '5555'] };
    expect(classifyDialed('5555', own)).toEqual({ kind: 'emergency', number: '5555' });
    expect(classifyDialed('999', own).kind).not.toBe('emergency');
  });

  it('refuses a short number that is no extension of the tenant with 404', () => {
    const r = classifyDialed('201', gb);
    expect(r).toMatchObject({ kind: 'invalid', status: 404 });
    expect(r.kind === 'invalid' && r.reason).toContain('no extension 201');
  });

  it('answers 484 Address Incomplete when more digits could make a number', () => {
    expect(classifyDialed('02079', gb)).toMatchObject({ kind: 'invalid', status: 484 });
    expect(classifyDialed('5550100', { defaultCountry: 'US', extensionExists: false })).toMatchObject({
      kind: 'invalid',
      status: 484,
    });
    expect(classifyDialed('+', gb)).toMatchObject({ kind: 'invalid', status: 484 });
  });

  it('refuses with 404 what cannot be dialed or is too long', () => {
    expect(classifyDialed('alice', gb)).toMatchObject({ kind: 'invalid', status: 404 });
    expect(classifyDialed('+4412345678901234567', gb)).toMatchObject({ kind: 'invalid', status: 404 });
  });

  it('keeps what it echoes short', () => {
    const r = classifyDialed('x'.repeat(500), gb);
    expect(r.kind === 'invalid' && r.reason.length).toBeLessThan(80);
  });
});

describe('warningOf', () => {
  it('quotes the text as a Warning header value', () => {
    expect(warningOf('bad "x"\r\nInjected: 1')).toBe('399 pbx "bad \\"x\\" Injected: 1"');
  });
});
