/**
 * What is due when: a pure function of the schedule, the time and each instance's last scheduled
 * snapshot (read from the repository, so that a restart forgets nothing) and last failure. It
 * explains itself, so that `schedule plan` and tests can show why.
 */
import { DEFAULT_RETRY_AFTER, type Schedule } from './schema.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DAY_MIN = 1440;

/** `30m`, `6h`, `1d` to milliseconds. The schema guarantees the form. */
export function durationMs(text: string): number {
  const unit = text.slice(-1);
  const n = Number(text.slice(0, -1));
  return n * (unit === 'm' ? UNIT_MS.m : unit === 'h' ? UNIT_MS.h : UNIT_MS.d);
}

function clockMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight, and the seconds and ms within the minute, in `timeZone`. */
function localClock(nowMs: number, timeZone: string): { readonly minutes: number; readonly subMinuteMs: number } {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(nowMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? '0');
  return { minutes: get('hour') * 60 + get('minute'), subMinuteMs: ((nowMs % 60_000) + 60_000) % 60_000 };
}

export type WindowPosition =
  | { readonly inside: true; /** When the current occurrence of the window began. */ readonly startedAt: number; readonly endsAt: number }
  | { readonly inside: false; /** When the next occurrence begins. */ readonly opensAt: number };

/**
 * Where `nowMs` is relative to the daily window. Computed on the local clock of the zone; on a
 * day when the clocks change the window may be an hour longer or shorter.
 */
export function windowPosition(window: NonNullable<Schedule['window']>, nowMs: number): WindowPosition {
  const start = clockMinutes(window.start);
  const end = clockMinutes(window.end);
  const length = (end - start + DAY_MIN) % DAY_MIN || DAY_MIN; // start == end: the whole day
  const { minutes, subMinuteMs } = localClock(nowMs, window.timeZone ?? 'UTC');
  const elapsed = (minutes - start + DAY_MIN) % DAY_MIN;
  const startedAt = nowMs - elapsed * 60_000 - subMinuteMs;
  if (elapsed < length) return { inside: true, startedAt, endsAt: startedAt + length * 60_000 };
  return { inside: false, opensAt: startedAt + DAY_MIN * 60_000 };
}

export interface InstanceHistory {
  /** Start time of the newest scheduled snapshot that was created and verified, if any. */
  readonly lastSuccessMs: number | null;
  /** Time of the last failed attempt after it, if any. */
  readonly lastFailureMs: number | null;
}

export type DueDecision =
  | { readonly due: true; readonly reason: string }
  | { readonly due: false; readonly reason: string; /** The earliest time it may become due. */ readonly nextAt: number };

export function isDue(schedule: Schedule, history: InstanceHistory, nowMs: number): DueDecision {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const retry = durationMs(schedule.retryAfter ?? DEFAULT_RETRY_AFTER);
  const win = schedule.window === undefined ? undefined : windowPosition(schedule.window, nowMs);
  if (win !== undefined && !win.inside) return { due: false, reason: `outside the off-peak window (opens ${iso(win.opensAt)})`, nextAt: win.opensAt };
  if (history.lastFailureMs !== null && nowMs - history.lastFailureMs < retry) {
    return { due: false, reason: `the last attempt failed at ${iso(history.lastFailureMs)}; retrying after ${schedule.retryAfter ?? DEFAULT_RETRY_AFTER}`, nextAt: history.lastFailureMs + retry };
  }
  const last = history.lastSuccessMs;
  if (last === null) return { due: true, reason: 'no scheduled snapshot yet' };
  if (schedule.every === 'nightly') {
    // Once per occurrence of the window (the schema loader requires a window with 'nightly').
    if (win === undefined || !win.inside) return { due: false, reason: "'nightly' needs a window", nextAt: nowMs + UNIT_MS.d };
    if (last < win.startedAt) return { due: true, reason: `nightly: none yet in this window (last ${iso(last)})` };
    return { due: false, reason: `nightly: done in this window at ${iso(last)}`, nextAt: win.startedAt + UNIT_MS.d };
  }
  const every = durationMs(schedule.every);
  if (nowMs - last >= every) return { due: true, reason: `every ${schedule.every}: the last was at ${iso(last)}` };
  // Inside a window, the first run of a new occurrence does not wait out the interval: a
  // snapshot taken late in yesterday's window must not push today's past the window's end.
  if (win !== undefined && win.inside && last < win.startedAt && every >= UNIT_MS.d) return { due: true, reason: `first in this window (last ${iso(last)})` };
  return { due: false, reason: `every ${schedule.every}: the last was at ${iso(last)}`, nextAt: last + every };
}
