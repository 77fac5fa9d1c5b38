/**
 * One store write for the batches of partitions consumed at once. A store write has a fixed cost
 * (a transaction, the idempotency anti-join over the stored ids: tens of milliseconds), and the
 * Kafka workers' batches are per partition, hundreds of records each: written one by one, the
 * fixed cost was most of the work. Batches that arrive while a write is committing wait for it
 * and go together in the next one.
 *
 * Each caller resolves once the write holding its records committed, or rejects with that
 * write's error, so a partition's offset still moves only after its own records are stored.
 */
import type { Sink } from '../../collectors/sink.js';
import type { ParsedItem } from '../../parsers/event.js';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommitSink implements Sink {
  private next: { items: ParsedItem[]; waiters: Waiter[] } | null = null;
  private committing = false;
  /** Store writes made, and batches handed in: their ratio is how much the grouping saved. */
  writes = 0;
  batches = 0;

  constructor(private readonly sink: Sink) {}

  write(items: readonly ParsedItem[]): Promise<void> {
    this.batches++;
    return new Promise<void>((resolve, reject) => {
      const group = (this.next ??= { items: [], waiters: [] });
      for (const item of items) group.items.push(item);
      group.waiters.push({ resolve, reject });
      if (!this.committing) void this.commitAll();
    });
  }

  private async commitAll(): Promise<void> {
    this.committing = true;
    while (this.next !== null) {
      const group = this.next;
      this.next = null;
      this.writes++;
      try {
        await this.sink.write(group.items);
        for (const w of group.waiters) w.resolve();
      } catch (err: unknown) {
        for (const w of group.waiters) w.reject(err);
      }
    }
    this.committing = false;
  }
}
