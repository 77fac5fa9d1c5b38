/**
 * Counts what a store write added: `kintsugi_events_stored_total` by dataset and outcome and
 * `kintsugi_dead_letters_total` by reason. Every path that writes parsed items (the followers'
 * sink, `POST /api/items` from `kintsugi ingest`, dead-letter replays) counts through here, so the
 * metrics agree with the store whichever way a record came in.
 */
import type { DeadLetter, RecoveryEvent } from '../../parsers/event.js';
import type { Instruments } from './telemetry.js';

export type StoredCounters = Pick<Instruments, 'eventsStored' | 'deadLetters'>;

/** Adds the newly stored `events` and `deadLetters` (duplicates already left out by the caller). */
export function countStored(counters: StoredCounters | undefined, events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[]): void {
  if (counters === undefined) return;
  const byKey = new Map<string, { dataset: string; outcome: string; n: number }>();
  for (const e of events) {
    const key = `${e.event.dataset}|${e.event.outcome}`;
    const entry = byKey.get(key);
    if (entry === undefined) byKey.set(key, { dataset: e.event.dataset, outcome: e.event.outcome, n: 1 });
    else entry.n++;
  }
  for (const { dataset, outcome, n } of byKey.values()) counters.eventsStored.add(n, { dataset, outcome });
  const byReason = new Map<string, number>();
  for (const d of deadLetters) byReason.set(d.error.type, (byReason.get(d.error.type) ?? 0) + 1);
  for (const [reason, n] of byReason) counters.deadLetters.add(n, { reason });
}
