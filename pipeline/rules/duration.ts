/** Durations in rules: a whole number and a unit (`90s`, `15m`, `1h`, `30d`, `2w`, `500ms`). */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export const DURATION_PATTERN = '^[0-9]{1,9}(ms|s|m|h|d|w)$';

/** Milliseconds of a duration that matched DURATION_PATTERN; null for anything else. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]{1,9})(ms|s|m|h|d|w)$/.exec(text);
  if (m === null) return null;
  const unit = m[2] as keyof typeof UNIT_MS;
  return Number(m[1]) * UNIT_MS[unit];
}
