import {
  compileHours,
  createZoneFormatter,
  isWithinHours,
  localTime,
  localTimeOf,
  parseClock,
  type CompiledHours,
} from './hours';
import type { BusinessHours } from './types';

const WEEKDAYS = [1, 2, 3, 4, 5];

function compiled(hours: BusinessHours, timezone: string): CompiledHours {
  const result = compileHours(hours, createZoneFormatter(timezone));
  if (Array.isArray(result)) throw new Error(result.join('; '));
  return result;
}

function within(hours: BusinessHours, timezone: string, isoUtc: string): boolean {
  const window = compiled(hours, timezone);
  return isWithinHours(window, localTime(window.formatter, Date.parse(isoUtc)));
}

describe('parseClock', () => {
  it.each([
    ['00:00', 0],
    ['09:30', 570],
    ['23:59', 1439],
  ])('%s → %d', (text, minutes) => {
    expect(parseClock(text)).toBe(minutes);
  });

  it('accepts 24:00 only as an end of day', () => {
    expect(parseClock('24:00')).toBeUndefined();
    expect(parseClock('24:00', true)).toBe(1440);
  });

  it.each(['9:30', '24:01', '12:60', '1230', ''])('rejects %s', (text) => {
    expect(parseClock(text)).toBeUndefined();
  });
});

describe('localTime', () => {
  it('converts to the zone, including across the date line and DST', () => {
    const utc = createZoneFormatter('UTC');
    expect(localTime(utc, Date.parse('2026-03-02T14:05:00Z'))).toEqual({ day: 1, minutes: 14 * 60 + 5 });
    const auckland = createZoneFormatter('Pacific/Auckland');
    // NZDT is UTC+13 in March: Monday 14:05 UTC is Tuesday 03:05.
    expect(localTime(auckland, Date.parse('2026-03-02T14:05:00Z'))).toEqual({ day: 2, minutes: 3 * 60 + 5 });
    const newYork = createZoneFormatter('America/New_York');
    // Midnight UTC on Monday is still Sunday evening in New York (EST, UTC-5).
    expect(localTime(newYork, Date.parse('2026-03-02T00:00:00Z'))).toEqual({ day: 0, minutes: 19 * 60 });
    // After the US DST switch (2026-03-08) New York is UTC-4.
    expect(localTime(newYork, Date.parse('2026-03-09T00:00:00Z'))).toEqual({ day: 0, minutes: 20 * 60 });
  });

  it('reports midnight as 0, not 24', () => {
    expect(localTime(createZoneFormatter('UTC'), Date.parse('2026-03-03T00:00:00Z')).minutes).toBe(0);
  });
});

describe('compileHours', () => {
  it('lists every problem', () => {
    const result = compileHours({ days: [1, 7, 2.5], start: '9', end: '25:00' }, createZoneFormatter('UTC'));
    expect(result).toHaveLength(4);
  });
});

describe('isWithinHours', () => {
  const office: BusinessHours = { days: WEEKDAYS, start: '09:00', end: '17:00' };

  it('includes the start minute and excludes the end minute', () => {
    expect(within(office, 'UTC', '2026-03-02T08:59:00Z')).toBe(false);
    expect(within(office, 'UTC', '2026-03-02T09:00:00Z')).toBe(true);
    expect(within(office, 'UTC', '2026-03-02T16:59:00Z')).toBe(true);
    expect(within(office, 'UTC', '2026-03-02T17:00:00Z')).toBe(false);
  });

  it('skips days not listed', () => {
    expect(within(office, 'UTC', '2026-03-07T12:00:00Z')).toBe(false);
  });

  it('evaluates in the tenant timezone', () => {
    // 14:00 UTC Monday is 09:00 in New York (EST): open there, closed in Tokyo (23:00).
    expect(within(office, 'America/New_York', '2026-03-02T14:00:00Z')).toBe(true);
    expect(within(office, 'Asia/Tokyo', '2026-03-02T14:00:00Z')).toBe(false);
    // 23:30 UTC Sunday is 08:30 Monday in Tokyo: not yet open; 00:30 UTC Monday is 09:30 there.
    expect(within(office, 'Asia/Tokyo', '2026-03-01T23:30:00Z')).toBe(false);
    expect(within(office, 'Asia/Tokyo', '2026-03-02T00:30:00Z')).toBe(true);
  });

  it('runs a window past midnight into the next day', () => {
    const night: BusinessHours = { days: [5], start: '22:00', end: '06:00' };
    expect(within(night, 'UTC', '2026-03-06T21:59:00Z')).toBe(false); // Friday
    expect(within(night, 'UTC', '2026-03-06T22:00:00Z')).toBe(true);
    expect(within(night, 'UTC', '2026-03-07T00:00:00Z')).toBe(true); // Saturday, from Friday's window
    expect(within(night, 'UTC', '2026-03-07T05:59:00Z')).toBe(true);
    expect(within(night, 'UTC', '2026-03-07T06:00:00Z')).toBe(false);
    expect(within(night, 'UTC', '2026-03-07T22:00:00Z')).toBe(false); // Saturday has no window
    expect(within(night, 'UTC', '2026-03-06T03:00:00Z')).toBe(false); // Friday early: Thursday not listed
  });

  it('treats start === end as the whole day and 24:00 as end of day', () => {
    expect(within({ days: [1], start: '00:00', end: '00:00' }, 'UTC', '2026-03-02T23:59:00Z')).toBe(true);
    expect(within({ days: [1], start: '00:00', end: '00:00' }, 'UTC', '2026-03-03T00:00:00Z')).toBe(false);
    expect(within({ days: [1], start: '12:00', end: '24:00' }, 'UTC', '2026-03-02T23:59:00Z')).toBe(true);
  });
});

describe('localTimeOf', () => {
  it('memoises per epoch minute without returning stale times', () => {
    const window = compiled({ days: WEEKDAYS, start: '09:00', end: '17:00' }, 'Asia/Kolkata');
    const times = [
      '2026-03-02T03:29:59Z',
      '2026-03-02T03:30:00Z',
      '2026-03-02T03:29:00Z',
      '2026-03-02T03:30:59Z',
    ];
    for (const iso of [...times, ...[...times].reverse()]) {
      expect(localTimeOf(window, Date.parse(iso))).toEqual(localTime(window.formatter, Date.parse(iso)));
    }
    // India is UTC+5:30: 03:30 UTC is 09:00 local.
    expect(localTimeOf(window, Date.parse('2026-03-02T03:30:00Z'))).toEqual({ day: 1, minutes: 540 });
  });
});
