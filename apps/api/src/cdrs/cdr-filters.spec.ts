import { UnprocessableEntityException } from '@nestjs/common';
import { parseCdrDate, parseCdrFilters } from './cdr-filters';

describe('CDR filters', () => {
  it('reads dates and date-times as UTC unless an offset says otherwise', () => {
    expect(parseCdrDate('2026-01-13')?.toISOString()).toBe('2026-01-13T00:00:00.000Z');
    expect(parseCdrDate('2026-01-13T10:00')?.toISOString()).toBe('2026-01-13T10:00:00.000Z');
    expect(parseCdrDate('2026-01-13T10:00:00.5Z')?.toISOString()).toBe('2026-01-13T10:00:00.500Z');
    expect(parseCdrDate('2026-01-13T10:00:00+02:00')?.toISOString()).toBe('2026-01-13T08:00:00.000Z');
    expect(parseCdrDate('2026-01-13T10:00:00-0130')?.toISOString()).toBe('2026-01-13T11:30:00.000Z');
  });

  it('accepts an offset whose + was decoded to a space', () => {
    expect(parseCdrDate('2026-01-13T10:00:00 02:00')?.toISOString()).toBe('2026-01-13T08:00:00.000Z');
  });

  it('refuses what is not an ISO 8601 date', () => {
    for (const bad of ['yesterday', '13/01/2026', '2026-13-45', '2026-01-13T25:00:00Z', '1700000000', ''])
      expect(parseCdrDate(bad)).toBeNull();
  });

  it('normalises ids and countries, and reports every bad filter at once', () => {
    expect(
      parseCdrFilters({ device_id: 'ABCDEF01-2345-6789-ABCD-EF0123456789', destination_country: 'gb' }),
    ).toEqual({
      deviceId: 'abcdef01-2345-6789-abcd-ef0123456789',
      destinationCountry: 'GB',
    });
    try {
      parseCdrFilters({ extension_id: '1', direction: 'up', disposition: 'ok', to: 'x' });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(UnprocessableEntityException);
      const body = (e as UnprocessableEntityException).getResponse() as { errors: Record<string, string[]> };
      expect(Object.keys(body.errors).sort()).toEqual([
        'filter.direction',
        'filter.disposition',
        'filter.extension_id',
        'filter.to',
      ]);
    }
  });
});
