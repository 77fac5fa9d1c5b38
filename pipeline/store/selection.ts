/**
 * `eventsSince`'s selection over the events a page examined, in memory: the reference meaning
 * (memory store) and the Elasticsearch store's, which fetches the page's window and selects here
 * (the window is at most one page, so this costs what the page already cost).
 */
import type { SequencedEvent } from './event-store.js';
import type { CheckedEventFilter, CheckedSelection } from './query-input.js';
import { compareRecords, GROUP_FIELD_OF, type EventRecord } from './record.js';

export function matchesEvent(r: EventRecord, f: CheckedEventFilter): boolean {
  if (f.fromMs !== null && r.tsMs < f.fromMs) return false;
  if (f.toMs !== null && r.tsMs >= f.toMs) return false;
  for (const clause of f.equals) {
    const value = r[clause.field];
    if (value === null || !clause.values.includes(value)) return false;
  }
  if (f.text !== null) {
    const inMessage = (r.message ?? '').toLowerCase().includes(f.text);
    if (!inMessage && !(r.filePath ?? '').toLowerCase().includes(f.text)) return false;
  }
  return true;
}

export function groupKey(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The selected ones of the examined events (in write order), each once. */
export function selectExamined(examined: readonly { readonly seq: number; readonly record: EventRecord }[], selection: CheckedSelection): SequencedEvent[] {
  const chosen = new Set<number>();
  for (const { seq, record } of examined) if (selection.anyOf.some((f) => matchesEvent(record, f))) chosen.add(seq);
  for (const { field, filter } of selection.firstBy) {
    const first = new Map<string, { seq: number; record: EventRecord }>();
    for (const e of examined) {
      const key = groupKey(e.record[GROUP_FIELD_OF[field]]);
      if (key === null || !matchesEvent(e.record, filter)) continue;
      const best = first.get(key);
      if (best === undefined || compareRecords(e.record, best.record) < 0) first.set(key, e);
    }
    for (const { seq } of first.values()) chosen.add(seq);
  }
  return examined.filter(({ seq }) => chosen.has(seq)).map(({ seq, record }) => ({ seq, event: record.event }));
}
