/**
 * The embedded transport: collected items go straight into the store, and the follower's
 * checkpoint moves only once `write` resolved, i.e. once the store committed them.
 *
 * `writeCounted` is the one store write of parsed records, shared by the sink, `POST /api/items`
 * (`kintsugi ingest` beside a running service) and dead-letter replays: a `storeWrite` span, the
 * write's latency, and what it added in `kintsugi_events_stored_total` and
 * `kintsugi_dead_letters_total`, so the metrics agree with the store whichever way a record came.
 */
import type { Span } from '@opentelemetry/api';
import type { DeadLetter, ParsedItem, RecoveryEvent } from '../parsers/event.js';
import type { Sink } from '../collectors/sink.js';
import type { EventStore, WriteResult } from './store/event-store.js';
import { inSpan } from './telemetry/spans.js';
import type { Instruments } from './telemetry/telemetry.js';

export type WriteInstruments = Pick<Instruments, 'eventsStored' | 'deadLetters' | 'storeWrite'>;

/** Writes parsed records and counts what was new; a failure is returned, as the store returns it. */
export async function writeCounted(store: EventStore, events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[], instruments?: WriteInstruments): Promise<WriteResult> {
  const started = performance.now();
  const result = await inSpan('storeWrite', { 'kintsugi.events': events.length, 'kintsugi.dead_letters': deadLetters.length }, async (span) => {
    const r = await store.writeBatch(events, deadLetters);
    if (r.ok) span.setAttributes({ 'kintsugi.inserted': r.events.inserted + r.deadLetters.inserted, 'kintsugi.duplicates': r.events.duplicates + r.deadLetters.duplicates });
    return r;
  });
  if (!result.ok || instruments === undefined) return result;
  instruments.storeWrite.record((performance.now() - started) / 1000);
  // Records already stored are the ones a restart (or a second ingest) sent again, before its
  // checkpoint: the first of the batch. Only what follows them is new and counted.
  countStored(instruments, events.slice(result.events.duplicates), deadLetters.slice(result.deadLetters.duplicates));
  return result;
}

function countStored(instruments: WriteInstruments, events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[]): void {
  const byKey = new Map<string, { dataset: string; outcome: string; n: number }>();
  for (const e of events) {
    const key = `${e.event.dataset}|${e.event.outcome}`;
    const entry = byKey.get(key);
    if (entry === undefined) byKey.set(key, { dataset: e.event.dataset, outcome: e.event.outcome, n: 1 });
    else entry.n++;
  }
  for (const { dataset, outcome, n } of byKey.values()) instruments.eventsStored.add(n, { dataset, outcome });
  const byReason = new Map<string, number>();
  for (const d of deadLetters) byReason.set(d.error.type, (byReason.get(d.error.type) ?? 0) + 1);
  for (const [reason, n] of byReason) instruments.deadLetters.add(n, { reason });
}

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
      const result = await writeCounted(this.store, events, deadLetters, this.instruments);
      if (!result.ok) throw result.error;
    }
    batchSpan.setAttributes({ 'kintsugi.events': eventCount, 'kintsugi.dead_letters': deadLetterCount });
  }
}
