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
  const frac = ms - second * 1000;
  return `${lastPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}
