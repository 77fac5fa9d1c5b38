/**
 * Epoch milliseconds to the text `Date#toISOString` gives (`@timestamp` of both formats), without
 * a Date per record: records come many to a second, so the text of the last second is reused and
 * the milliseconds appended.
 */

let lastSecond = NaN;
let lastPrefix = '';

/** `ms` is an integer within the range of dates (±8.64e15). */
export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    const iso = new Date(second * 1000).toISOString();
    // Up to the '.' of the milliseconds: years past 9999 are written with six digits and a sign.
    lastPrefix = iso.slice(0, iso.length - 4);
  }
  return lastPrefix + (MILLIS[ms - second * 1000] ?? '');
}

/** `000Z` to `999Z`: the milliseconds and the zone, made once. */
const MILLIS: readonly string[] = Array.from({ length: 1000 }, (_, n) => `${String(n).padStart(3, '0')}Z`);

/**
 * Whether a date-time text, already read as a valid instant, is the text `isoTime` (and
 * `toISOString`) makes of it: `YYYY-MM-DDThh:mm:ss.fffZ`, upper-case `T` and `Z`, three fraction
 * digits. Such a text is kept as `@timestamp` instead of being written again.
 */
export function isIsoTimeText(text: string): boolean {
  return text.length === 24 && text.charCodeAt(10) === 84 /* T */ && text.charCodeAt(19) === 46 /* . */ && text.charCodeAt(23) === 90 /* Z */;
}
