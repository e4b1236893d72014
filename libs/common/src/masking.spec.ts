import { maskPhoneNumber } from './masking';

describe('maskPhoneNumber', () => {
  it('keeps the country calling code and the last four digits of E.164 numbers', () => {
    expect(maskPhoneNumber('+442079460000')).toBe('+44 •••• 0000');
    expect(maskPhoneNumber('+1 (212) 555-0143')).toBe('+1 •••• 0143');
    expect(maskPhoneNumber('+353851234567')).toBe('+353 •••• 4567');
  });

  it('hides the same amount whatever the length, so the mask leaks no length', () => {
    expect(maskPhoneNumber('+4420794600001234')).toBe('+44 •••• 1234');
    expect(maskPhoneNumber('+4412345678')).toBe('+44 •••• 5678');
  });

  it('never shows a short number whole: at most half of its digits', () => {
    expect(maskPhoneNumber('1001')).toBe('•••• 01');
    expect(maskPhoneNumber('112')).toBe('•••• 2');
    expect(maskPhoneNumber('7')).toBe('••••');
    expect(maskPhoneNumber('02079460000')).toBe('•••• 0000');
  });

  it('copes with unknown calling codes and values without digits', () => {
    expect(maskPhoneNumber('+99912345678')).toBe('+•••• 5678');
    expect(maskPhoneNumber('anonymous')).toBe('••••');
    expect(maskPhoneNumber('sip:alice@example.com')).toBe('••••');
    expect(maskPhoneNumber('')).toBe('');
  });

  it('never contains the hidden digits', () => {
    const masked = maskPhoneNumber('+442079461234');
    expect(masked).not.toContain('2079');
    expect(masked.replace(/\D/g, '')).toBe('441234');
  });
});
