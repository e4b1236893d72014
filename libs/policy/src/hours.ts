import type { BusinessHours } from './types';

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export interface LocalTime {
  /** 0 = Sunday … 6 = Saturday. */
  day: number;
  /** Minutes since local midnight. */
  minutes: number;
}

export interface CompiledHours {
  days: readonly boolean[];
  start: number;
  end: number;
  formatter: Intl.DateTimeFormat;
  /**
   * Memo of the last minute converted: formatToParts costs microseconds and nearly every call
   * asks about "now". UTC offsets are whole minutes, so one epoch minute maps to one local time.
   */
  memo: { epochMinute: number; local: LocalTime };
}

/** Throws RangeError for an unknown IANA zone. */
export function createZoneFormatter(timezone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function parseClock(text: string, allowEndOfDay = false): number | undefined {
  if (allowEndOfDay && text === '24:00') return 24 * 60;
  const match = HH_MM.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

export function localTime(formatter: Intl.DateTimeFormat, timestamp: number): LocalTime {
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatter.formatToParts(timestamp)) {
    if (part.type === 'weekday') day = WEEKDAYS[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minutes: hour * 60 + minute };
}

/** Returns the problems found, or the compiled window. */
export function compileHours(hours: BusinessHours, formatter: Intl.DateTimeFormat): CompiledHours | string[] {
  const problems: string[] = [];
  const start = parseClock(hours.start);
  const end = parseClock(hours.end, true);
  if (start === undefined) problems.push(`internationalHours.start "${hours.start}" is not HH:MM`);
  if (end === undefined) problems.push(`internationalHours.end "${hours.end}" is not HH:MM`);
  const days = [false, false, false, false, false, false, false];
  for (const day of hours.days) {
    if (Number.isInteger(day) && day >= 0 && day <= 6) days[day] = true;
    else problems.push(`internationalHours.days has ${day}, expected 0 (Sunday) to 6`);
  }
  if (problems.length > 0 || start === undefined || end === undefined) return problems;
  return { days, start, end, formatter, memo: { epochMinute: Number.NaN, local: { day: 0, minutes: 0 } } };
}

export function localTimeOf(hours: CompiledHours, timestamp: number): LocalTime {
  const epochMinute = Math.floor(timestamp / 60_000);
  const { memo } = hours;
  if (memo.epochMinute !== epochMinute) {
    memo.local = localTime(hours.formatter, timestamp);
    memo.epochMinute = epochMinute;
  }
  return memo.local;
}

/**
 * start === end means the whole day. A window past midnight (start > end) belongs to the day it
 * starts on, so Friday 22:00–06:00 also covers Saturday 00:00–06:00.
 */
export function isWithinHours(hours: CompiledHours, at: LocalTime): boolean {
  const { days, start, end } = hours;
  if (start === end) return days[at.day];
  if (start < end) return days[at.day] && at.minutes >= start && at.minutes < end;
  const previousDay = (at.day + 6) % 7;
  return (days[at.day] && at.minutes >= start) || (days[previousDay] && at.minutes < end);
}
