/** Waiting between attempts to reach Kafka: one schedule, and a wait that a stop cuts short. */

/** 1 s, 2 s, 4 s … up to 30 s: attempt 1 waits 1 s. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
}

/** A sleep that `wake()` ends at once (a stop should not wait out a 30 s backoff). */
export class WakeableSleep {
  private wakeUp: (() => void) | null = null;

  async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = null;
  }

  wake(): void {
    this.wakeUp?.();
  }
}
