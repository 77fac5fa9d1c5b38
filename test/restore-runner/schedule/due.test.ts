/** What is due when: the pure schedule function, time injected; and the schedule's validation. */
import { describe, expect, it } from 'vitest';
import { durationMs, isDue, windowPosition } from '../../../restore-runner/schedule/due.js';
import { validateSchedule } from '../../../restore-runner/schedule/load.js';
import type { Schedule } from '../../../restore-runner/schedule/schema.js';

const t = (iso: string): number => Date.parse(iso);
const never = { lastSuccessMs: null, lastFailureMs: null };
const nightly: Schedule = { every: 'nightly', window: { start: '01:00', end: '05:00' } };

describe('schedule: what is due when', () => {
  it('reads durations', () => {
    expect([durationMs('30m'), durationMs('6h'), durationMs('2d')]).toEqual([1_800_000, 21_600_000, 172_800_000]);
  });

  it('places a time relative to a window, across midnight and in a time zone', () => {
    expect(windowPosition({ start: '01:00', end: '05:00' }, t('2026-03-14T02:30:00Z'))).toEqual({ inside: true, startedAt: t('2026-03-14T01:00:00Z'), endsAt: t('2026-03-14T05:00:00Z') });
    expect(windowPosition({ start: '01:00', end: '05:00' }, t('2026-03-14T05:00:00Z'))).toEqual({ inside: false, opensAt: t('2026-03-15T01:00:00Z') });
    expect(windowPosition({ start: '22:00', end: '04:00' }, t('2026-03-14T23:15:30Z'))).toEqual({ inside: true, startedAt: t('2026-03-14T22:00:00Z'), endsAt: t('2026-03-15T04:00:00Z') });
    expect(windowPosition({ start: '22:00', end: '04:00' }, t('2026-03-14T03:59:00Z'))).toMatchObject({ inside: true, startedAt: t('2026-03-13T22:00:00Z') });
    // 01:00-05:00 in Berlin (UTC+1 in March before the change) is 00:00-04:00 UTC.
    expect(windowPosition({ start: '01:00', end: '05:00', timeZone: 'Europe/Berlin' }, t('2026-03-14T00:30:00Z'))).toMatchObject({ inside: true, startedAt: t('2026-03-14T00:00:00Z') });
    expect(windowPosition({ start: '01:00', end: '05:00', timeZone: 'Europe/Berlin' }, t('2026-03-14T04:30:00Z'))).toMatchObject({ inside: false, opensAt: t('2026-03-15T00:00:00Z') });
  });

  it.each([
    ['nightly, never done, inside the window', nightly, never, '2026-03-14T01:10:00Z', true, /no scheduled snapshot yet/],
    ['nightly, outside the window', nightly, never, '2026-03-14T12:00:00Z', false, /outside the off-peak window \(opens 2026-03-15T01:00:00\.000Z\)/],
    ['nightly, done last night late in the window', nightly, { lastSuccessMs: t('2026-03-13T04:59:00Z'), lastFailureMs: null }, '2026-03-14T01:00:00Z', true, /none yet in this window/],
    ['nightly, done in this window', nightly, { lastSuccessMs: t('2026-03-14T01:05:00Z'), lastFailureMs: null }, '2026-03-14T03:00:00Z', false, /done in this window/],
    ['6h without window, not yet', { every: '6h' }, { lastSuccessMs: t('2026-03-14T01:00:00Z'), lastFailureMs: null }, '2026-03-14T06:59:00Z', false, /every 6h/],
    ['6h without window, due', { every: '6h' }, { lastSuccessMs: t('2026-03-14T01:00:00Z'), lastFailureMs: null }, '2026-03-14T07:00:00Z', true, /every 6h/],
    ['1d in a window, first of the window', { every: '1d', window: { start: '01:00', end: '05:00' } }, { lastSuccessMs: t('2026-03-13T04:00:00Z'), lastFailureMs: null }, '2026-03-14T01:30:00Z', true, /first in this window/],
    ['1h in a window, twice in one window', { every: '1h', window: { start: '01:00', end: '05:00' } }, { lastSuccessMs: t('2026-03-14T01:00:00Z'), lastFailureMs: null }, '2026-03-14T02:00:00Z', true, /every 1h/],
    ['1h in a window, too soon', { every: '1h', window: { start: '01:00', end: '05:00' } }, { lastSuccessMs: t('2026-03-14T01:00:00Z'), lastFailureMs: null }, '2026-03-14T01:30:00Z', false, /every 1h/],
    ['failed a moment ago', nightly, { lastSuccessMs: null, lastFailureMs: t('2026-03-14T01:00:00Z') }, '2026-03-14T01:10:00Z', false, /failed at .*retrying after 15m/],
    ['failed long enough ago', nightly, { lastSuccessMs: null, lastFailureMs: t('2026-03-14T01:00:00Z') }, '2026-03-14T01:15:00Z', true, /no scheduled snapshot yet/],
    ['custom retry', { ...nightly, retryAfter: '1h' }, { lastSuccessMs: null, lastFailureMs: t('2026-03-14T01:00:00Z') }, '2026-03-14T01:30:00Z', false, /retrying after 1h/],
  ] as const)('%s', (_name, schedule, history, now, due, reason) => {
    const d = isDue(schedule, history, t(now));
    expect(d.due).toBe(due);
    expect(d.reason).toMatch(reason);
    if (!d.due) expect(d.nextAt).toBeGreaterThan(t(now));
  });

  it('never says due twice in one nightly window, whatever the tick times (a walk over two days)', () => {
    let last: number | null = null;
    const runs: string[] = [];
    for (let now = t('2026-03-14T00:00:00Z'); now < t('2026-03-16T00:00:00Z'); now += 7 * 60_000) {
      if (isDue(nightly, { lastSuccessMs: last, lastFailureMs: null }, now).due) {
        last = now;
        runs.push(new Date(now).toISOString());
      }
    }
    expect(runs).toEqual(['2026-03-14T01:03:00.000Z', '2026-03-15T01:05:00.000Z']);
  });
});

describe('schedule: validation names the key', () => {
  it.each([
    ['unknown key', { every: '6h', evry: 1 }, /key "snapshots\.evry" is not a known key/],
    ['bad duration', { every: '6 hours' }, /key "snapshots\.every"/],
    ['nightly without window', { every: 'nightly' }, /key "snapshots\.window" is required with every: nightly/],
    ['bad clock', { every: 'nightly', window: { start: '25:00', end: '05:00' } }, /key "snapshots\.window\.start" must match pattern/],
    ['bad zone', { every: 'nightly', window: { start: '01:00', end: '05:00', timeZone: 'Mars/Base' } }, /key "snapshots\.window\.timeZone" must be an IANA time zone/],
    ['bad retention', { every: '1d', retention: { daily: -1 } }, /key "snapshots\.retention\.daily" must be >= 0/],
    ['bad verify', { every: '1d', verifyAfter: 'all' }, /key "snapshots\.verifyAfter"/],
  ])('refuses %s', (_name, doc, message) => {
    expect(() => validateSchedule(doc, 'policy.yaml')).toThrow(message);
    expect(() => validateSchedule(doc, 'policy.yaml')).toThrow(/Snapshot schedule in policy\.yaml is invalid/);
  });

  it('accepts a full schedule', () => {
    const s = { every: 'nightly', window: { start: '22:30', end: '04:00', timeZone: 'Europe/Berlin' }, retention: { last: 3, daily: 7, weekly: 4 }, verifyAfter: 'structure', retryAfter: '30m' };
    expect(validateSchedule(s, 'p.yaml')).toEqual(s);
  });
});
