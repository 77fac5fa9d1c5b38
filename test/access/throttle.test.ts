/** Failed logins: free ones, then exponential waits, bounded in time and in memory. */
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../pipeline/access/throttle.js';

describe('LoginThrottle', () => {
  it('lets the first failures through, then doubles the wait up to the bound', () => {
    let now = 0;
    const t = new LoginThrottle({ freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, maxSources: 100 }, () => now);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      t.failed('10.0.0.1');
      waits.push(t.waitMs('10.0.0.1'));
      now += t.waitMs('10.0.0.1');
    }
    expect(waits).toEqual([0, 0, 1000, 2000, 4000, 8000, 8000]);
    expect(t.waitMs('10.0.0.2')).toBe(0);
  });

  it('forgets a source after a success, and after a long quiet time', () => {
    let now = 0;
    const t = new LoginThrottle({ freeFailures: 0, baseDelayMs: 1000, maxDelayMs: 4000, maxSources: 100 }, () => now);
    t.failed('a');
    t.failed('a');
    expect(t.waitMs('a')).toBe(2000);
    t.succeeded('a');
    expect(t.waitMs('a')).toBe(0);
    t.failed('b');
    now += 9000;
    t.failed('b');
    expect(t.waitMs('b')).toBe(1000);
  });

  it('remembers at most maxSources sources', () => {
    const t = new LoginThrottle({ freeFailures: 0, baseDelayMs: 1000, maxDelayMs: 4000, maxSources: 50 });
    for (let i = 0; i < 1000; i++) t.failed(`10.0.${i >> 8}.${i & 255}`);
    expect(t.size).toBe(50);
  });
});
