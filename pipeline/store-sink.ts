/**
 * The embedded transport: collected items go straight into the store, and the follower's
 * checkpoint moves only once `write` resolved, i.e. once the store committed them.
 */
import type { DeadLetter, ParsedItem, RecoveryEvent } from '../parsers/event.js';
import type { Sink } from '../collectors/sink.js';
import type { EventStore } from './store/event-store.js';
import type { Instruments } from './telemetry/telemetry.js';

/** Batches larger than this are written in parts (bounded memory in the store's staging). */
const MAX_BATCH_ITEMS = 50_000;

export class StoreSink implements Sink {
  constructor(
    private readonly store: EventStore,
    private readonly instruments?: Instruments,
  ) {}

  async write(items: readonly ParsedItem[]): Promise<void> {
    for (let from = 0; from < items.length; from += MAX_BATCH_ITEMS) {
      const events: RecoveryEvent[] = [];
      const deadLetters: DeadLetter[] = [];
      for (const item of items.slice(from, from + MAX_BATCH_ITEMS)) {
        if (item.kind === 'event') events.push(item.event);
        else deadLetters.push(item.deadLetter);
      }
      const started = performance.now();
      const result = await this.store.writeBatch(events, deadLetters);
      if (!result.ok) throw result.error;
      this.instruments?.storeWrite.record((performance.now() - started) / 1000);
      if (this.instruments !== undefined && (result.events.inserted > 0 || result.deadLetters.inserted > 0)) this.count(events, deadLetters, result.events.duplicates + result.deadLetters.duplicates === 0);
    }
  }

  private count(events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[], allNew: boolean): void {
    const i = this.instruments;
    if (i === undefined) return;
    // Duplicates are re-reads after a restart; counting them again would inflate the metric.
    if (!allNew) return;
    const byKey = new Map<string, number>();
    for (const e of events) {
      const key = `${e.event.dataset}|${e.event.outcome}`;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    for (const [key, n] of byKey) {
      const [dataset, outcome] = key.split('|');
      i.eventsStored.add(n, { dataset, outcome });
    }
    const byReason = new Map<string, number>();
    for (const d of deadLetters) byReason.set(d.error.type, (byReason.get(d.error.type) ?? 0) + 1);
    for (const [reason, n] of byReason) i.deadLetters.add(n, { reason });
  }
}
