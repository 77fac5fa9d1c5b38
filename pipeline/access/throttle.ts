/**
 * Failed logins slowed down, per source address: after `freeFailures` failures in a row, the
 * source must wait before its next try, twice as long after each further failure, at most
 * `maxDelayMs`. A success forgets the source. Bounded memory: at most `maxSources` sources are
 * remembered (the least recently failed one is forgotten first), and a source quiet for longer
 * than the longest wait is forgotten when next seen.
 */
export interface ThrottleOptions {
  readonly freeFailures: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxSources: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 5 * 60_000, maxSources: 10_000 };

interface SourceState {
  readonly failures: number;
  readonly lastFailureMs: number;
  readonly blockedUntilMs: number;
}

export class LoginThrottle {
  private readonly sources = new Map<string, SourceState>();

  constructor(
    readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds the source must still wait; 0 when it may try. */
  waitMs(source: string): number {
    const s = this.current(source);
    return s === null ? 0 : Math.max(0, s.blockedUntilMs - this.now());
  }

  /** The delay the next failure would impose (for tests and the documentation). */
  delayAfter(failures: number): number {
    const over = failures - this.options.freeFailures;
    if (over <= 0) return 0;
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30));
  }

  failed(source: string): void {
    const now = this.now();
    const failures = (this.current(source)?.failures ?? 0) + 1;
    this.sources.delete(source);
    this.sources.set(source, { failures, lastFailureMs: now, blockedUntilMs: now + this.delayAfter(failures) });
    while (this.sources.size > this.options.maxSources) {
      const oldest = this.sources.keys().next();
      if (oldest.done === true) break;
      this.sources.delete(oldest.value);
    }
  }

  succeeded(source: string): void {
    this.sources.delete(source);
  }

  get size(): number {
    return this.sources.size;
  }

  private current(source: string): SourceState | null {
    const s = this.sources.get(source);
    if (s === undefined) return null;
    if (this.now() - s.lastFailureMs > 2 * this.options.maxDelayMs) {
      this.sources.delete(source);
      return null;
    }
    return s;
  }
}
