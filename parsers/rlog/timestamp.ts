/**
 * RLOG timestamps to instants (rlog-3.2.md, "Timestamp"). Form A is host local time in the zone
 * configured for the source: a time the zone skips is refused, a time it repeats takes the
 * earlier instant. Form B carries its offset; its fraction is kept to the millisecond, truncated.
 */
import type { TimestampToken } from './ast.js';

export type InstantResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly message: string };

const DAY_MS = 86_400_000;

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

/** Milliseconds of a wall-clock date-time read as UTC, or NaN when the date or time does not exist. */
function wallClockMs(text: string): number {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  // Date.UTC maps years 0-99 to 1900-1999; those are set apart (no log is that old, but it must not lie).
  if (year < 100) {
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, 0);
    return date.getTime();
  }
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for a zone that is not an IANA name (checked once, at configuration). */
export function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isValidZone(zone: string): boolean {
  try {
    zoneFormatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetAt(zone: string, instant: number): number {
  let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  for (const part of zoneFormatter(zone).formatToParts(instant)) {
    const v = Number(part.value);
    switch (part.type) {
      case 'year': year = v; break;
      case 'month': month = v; break;
      case 'day': day = v; break;
      case 'hour': hour = v; break;
      case 'minute': minute = v; break;
      case 'second': second = v; break;
      default: break;
    }
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime() - (instant - (((instant % 1000) + 1000) % 1000));
}

// Logs cluster in time: most lines reuse the answer for their minute.
const localCache = new Map<string, number | null>();

/** The instant of a local wall-clock time in a zone: null in a gap, the earlier one in a fold. */
function localToInstant(zone: string, wall: number): number | null {
  const key = `${zone}|${Math.floor(wall / 60_000)}`;
  const cached = localCache.get(key);
  if (cached !== undefined) return cached === null ? null : cached + (wall % 60_000);
  const base = wall - (wall % 60_000);
  let found: number | null = null;
  // Transitions are at least days apart: the offsets a day before and after are the candidates.
  for (const offset of [offsetAt(zone, base - DAY_MS), offsetAt(zone, base + DAY_MS)]) {
    const instant = base - offset;
    if (offsetAt(zone, instant) === offset && (found === null || instant < found)) found = instant;
  }
  if (localCache.size > 100_000) localCache.clear();
  localCache.set(key, found);
  return found === null ? null : found + (wall % 60_000);
}

// Lines come many to a minute: the instant of the last minute read is kept, per form (the
// separator, space or T, is part of the text compared) and zone.
let cachedMinuteText = '';
let cachedZone = '';
let cachedMinuteMs = NaN;

/** Form B's fraction (truncated to the ms) and offset, from the text past the seconds. */
function formBAdjustMs(text: string): number {
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    const start = i + 1;
    for (i = start; text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57; i++);
    const n = i - start;
    // The first three digits, right-padded: ".5" is 500 ms, ".123456" 123 ms.
    ms = n >= 3 ? digits(text, start, 3) : n === 2 ? digits(text, start, 2) * 10 : digits(text, start, 1) * 100;
  }
  if (text.charCodeAt(i) === 90 /* Z */) return ms;
  const sign = text.charCodeAt(i) === 45 /* - */ ? -1 : 1;
  const offH = digits(text, i + 1, 2);
  const offM = digits(text, i + 4, 2);
  if (offH > 23 || offM > 59) return NaN;
  return ms - sign * (offH * 60 + offM) * 60_000;
}

/** The instant of a timestamp in epoch ms, or NaN when it does not exist (`toInstant` says why). */
export function instantMs(ts: TimestampToken, zone: string): number {
  const text = ts.text;
  const second = digits(text, 17, 2);
  let minute: number;
  if (zone === cachedZone && text.startsWith(cachedMinuteText)) minute = cachedMinuteMs;
  else {
    const wall = wallClockMs(text);
    if (Number.isNaN(wall)) return NaN;
    const wallMinute = wall - second * 1000;
    minute = ts.form === 'B' || zone === 'UTC' ? wallMinute : (localToInstant(zone, wallMinute) ?? NaN);
    cachedMinuteText = text.slice(0, 16);
    cachedZone = zone;
    cachedMinuteMs = minute;
  }
  if (second > 59) return NaN;
  const ms = minute + second * 1000;
  return ts.form === 'A' ? ms : ms + formBAdjustMs(text);
}

export function toInstant(ts: TimestampToken, zone: string): InstantResult {
  const ms = instantMs(ts, zone);
  if (!Number.isNaN(ms)) return { ok: true, ms };
  const text = ts.text;
  if (Number.isNaN(wallClockMs(text))) return { ok: false, message: `date or time "${text}" does not exist` };
  if (ts.form === 'A') return { ok: false, message: `local time "${text}" does not exist in zone ${zone} (daylight-saving gap)` };
  let i = 19;
  if (text.charCodeAt(i) === 46) for (i++; text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57; i++);
  return { ok: false, message: `offset "${text.slice(i)}" does not exist` };
}
