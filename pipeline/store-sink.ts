/**
 * The embedded transport: collected items go straight into the store, and the follower's
 * checkpoint moves only once `write` resolved, i.e. once the store committed them.
 */
import type { Span } from '@opentelemetry/api';
import type { DeadLetter, ParsedItem, RecoveryEvent } from '../parsers/event.js';
import type { Sink } from '../collectors/sink.js';
import type { EventStore } from './store/event-store.js';
import { inSpan } from './telemetry/spans.js';
import { countStored } from './telemetry/stored-counts.js';
import type { Instruments } from './telemetry/telemetry.js';

/** Batches larger than this are written in parts (bounded memory in the store's staging). */
const MAX_BATCH_ITEMS = 50_000;

export class StoreSink implements Sink {
  constructor(
    private readonly store: EventStore,
    private readonly instruments?: Instruments,
  ) {}

  write(items: readonly ParsedItem[]): Promise<void> {
    return inSpan('ingestBatch', { 'kintsugi.items': items.length }, (span) => this.writeParts(items, span));
  }

  private async writeParts(items: readonly ParsedItem[], batchSpan: Span): Promise<void> {
    let eventCount = 0;
    let deadLetterCount = 0;
    for (let from = 0; from < items.length; from += MAX_BATCH_ITEMS) {
      // One item per id: a batch can hold a record twice (a rotated copy read with its original).
      const unique = new Map<string, ParsedItem>();
      for (const item of items.slice(from, from + MAX_BATCH_ITEMS)) {
        const id = item.kind === 'event' ? item.event.event.id : item.deadLetter.event.id;
        if (!unique.has(id)) unique.set(id, item);
      }
      const events: RecoveryEvent[] = [];
      const deadLetters: DeadLetter[] = [];
      for (const item of unique.values()) {
        if (item.kind === 'event') events.push(item.event);
        else deadLetters.push(item.deadLetter);
      }
      eventCount += events.length;
      deadLetterCount += deadLetters.length;
      const started = performance.now();
      const result = await inSpan('storeWrite', { 'kintsugi.events': events.length, 'kintsugi.dead_letters': deadLetters.length }, async (span) => {
        const r = await this.store.writeBatch(events, deadLetters);
        if (r.ok) span.setAttributes({ 'kintsugi.inserted': r.events.inserted + r.deadLetters.inserted, 'kintsugi.duplicates': r.events.duplicates + r.deadLetters.duplicates });
        return r;
      });
      if (!result.ok) throw result.error;
      this.instruments?.storeWrite.record((performance.now() - started) / 1000);
      // Records already stored are the ones a restart read again, before its checkpoint: the
      // first of the batch. Only what follows them is new and counted.
      countStored(this.instruments, events.slice(result.events.duplicates), deadLetters.slice(result.deadLetters.duplicates));
    }
    batchSpan.setAttributes({ 'kintsugi.events': eventCount, 'kintsugi.dead_letters': deadLetterCount });
  }
}
