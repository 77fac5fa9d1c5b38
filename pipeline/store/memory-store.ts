/**
 * The in-memory EventStore: the reference implementation of the interface (its behaviour is the
 * one every other store must match), and a fast store for tests of other parts. Queries scan;
 * nothing here is meant for more than a few hundred thousand events.
 */
import type { DeadLetter, RecoveryEvent } from '../../parsers/event.js';
import { storeError } from './errors.js';
import type {
  BucketResult,
  CountResult,
  DeadLetterFilter,
  DeadLetterPage,
  EventFilter,
  EventPage,
  EventStore,
  EventsByIdResult,
  GroupField,
  PageRequest,
  ReplayMark,
  ReplayResult,
  SincePage,
  SinceSelection,
  StoreStats,
  TraceResult,
  WriteCounts,
  WriteResult,
} from './event-store.js';
import {
  bucketStart,
  checkBucket,
  checkDeadLetterFilter,
  checkEventFilter,
  checkGroupField,
  checkIds,
  checkPage,
  checkReplays,
  checkSelection,
  checkSincePage,
  encodeCursor,
  type CheckedDeadLetterFilter,
  type CheckedSelection,
  type CheckedEventFilter,
  type CheckedPage,
} from './query-input.js';
import {
  compareCodePoints,
  compareRecords,
  GROUP_FIELD_OF,
  toDeadLetterRecord,
  toEventRecord,
  type DeadLetterRecord,
  type EventRecord,
} from './record.js';
import { groupKey, matchesEvent, selectExamined } from './selection.js';
import { buildTrace } from './trace.js';

export interface MemoryStoreOptions {
  /** The clock for `event.ingested`; defaults to the system clock. */
  readonly now?: () => Date;
}

interface StoredDeadLetter {
  readonly record: DeadLetterRecord;
  replayed: { readonly at: string; readonly event_id: string } | null;
}

export class MemoryEventStore implements EventStore {
  private readonly now: () => Date;
  private readonly events = new Map<string, { readonly seq: number; readonly record: EventRecord }>();
  private readonly deadLetters = new Map<string, StoredDeadLetter>();
  private seq = 0;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  async writeBatch(events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[]): Promise<WriteResult> {
    this.assertOpen('writeBatch');
    const ingested = this.now().toISOString();
    const eventRecords: EventRecord[] = [];
    for (const [i, e] of events.entries()) {
      const r = toEventRecord(e, i, ingested);
      if (!r.ok) return r;
      eventRecords.push(r.value);
    }
    const deadRecords: DeadLetterRecord[] = [];
    for (const [i, d] of deadLetters.entries()) {
      const r = toDeadLetterRecord(d, i, ingested);
      if (!r.ok) return r;
      deadRecords.push(r.value);
    }
    let inserted = 0;
    for (const record of eventRecords) {
      if (this.events.has(record.id)) continue;
      this.events.set(record.id, { seq: ++this.seq, record });
      inserted++;
    }
    const eventCounts: WriteCounts = { inserted, duplicates: eventRecords.length - inserted };
    inserted = 0;
    for (const record of deadRecords) {
      if (this.deadLetters.has(record.id)) continue;
      this.deadLetters.set(record.id, { record, replayed: null });
      inserted++;
    }
    return { ok: true, events: eventCounts, deadLetters: { inserted, duplicates: deadRecords.length - inserted } };
  }

  async queryEvents(filter: EventFilter, page: PageRequest): Promise<EventPage> {
    this.assertOpen('queryEvents');
    const f = checkEventFilter(filter);
    if (!f.ok) return f;
    const p = checkPage(page);
    if (!p.ok) return p;
    const { items, nextCursor } = paginate(this.matchingEvents(f.value), p.value);
    return { ok: true, events: items.map((r) => r.event), nextCursor };
  }

  async trace(correlationId: string): Promise<TraceResult> {
    this.assertOpen('trace');
    const f = checkEventFilter({ correlationId });
    if (!f.ok) return f;
    const events = this.matchingEvents(f.value).sort(compareRecords).map((r) => r.event);
    return { ok: true, trace: buildTrace(correlationId, events) };
  }

  async eventsById(ids: readonly string[]): Promise<EventsByIdResult> {
    this.assertOpen('eventsById');
    const checked = checkIds(ids);
    if (!checked.ok) return checked;
    const found: EventRecord[] = [];
    for (const id of checked.value) {
      const stored = this.events.get(id);
      if (stored !== undefined) found.push(stored.record);
    }
    return { ok: true, events: found.sort(compareRecords).map((r) => r.event) };
  }

  async countBy(field: GroupField, filter: EventFilter): Promise<CountResult> {
    this.assertOpen('countBy');
    const g = checkGroupField(field);
    if (!g.ok) return g;
    const f = checkEventFilter(filter);
    if (!f.ok) return f;
    const key = GROUP_FIELD_OF[g.value];
    const counts = new Map<string | null, number>();
    for (const r of this.matchingEvents(f.value)) {
      const k = groupKey(r[key]);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const list = [...counts].map(([k, count]) => ({ key: k, count }));
    list.sort((a, b) => b.count - a.count || compareKeys(a.key, b.key));
    return { ok: true, field: g.value, counts: list };
  }

  async countByTimeBucket(bucketMs: number, filter: EventFilter, field?: GroupField): Promise<BucketResult> {
    this.assertOpen('countByTimeBucket');
    const b = checkBucket(bucketMs);
    if (!b.ok) return b;
    let groupBy: GroupField | null = null;
    if (field !== undefined) {
      const g = checkGroupField(field);
      if (!g.ok) return g;
      groupBy = g.value;
    }
    const f = checkEventFilter(filter);
    if (!f.ok) return f;
    const counts = new Map<string, { start: number; key: string | null; count: number }>();
    for (const r of this.matchingEvents(f.value)) {
      const start = bucketStart(r.tsMs, b.value);
      const key = groupBy === null ? null : groupKey(r[GROUP_FIELD_OF[groupBy]]);
      const mapKey = JSON.stringify([start, key]);
      const entry = counts.get(mapKey);
      if (entry === undefined) counts.set(mapKey, { start, key, count: 1 });
      else entry.count++;
    }
    const buckets = [...counts.values()]
      .sort((x, y) => x.start - y.start || compareKeys(x.key, y.key))
      .map((x) => ({ start: new Date(x.start).toISOString(), key: x.key, count: x.count }));
    return { ok: true, bucketMs: b.value, field: groupBy, buckets };
  }

  async queryDeadLetters(filter: DeadLetterFilter, page: PageRequest): Promise<DeadLetterPage> {
    this.assertOpen('queryDeadLetters');
    const f = checkDeadLetterFilter(filter);
    if (!f.ok) return f;
    const p = checkPage(page);
    if (!p.ok) return p;
    const matching = [...this.deadLetters.values()].filter((d) => matchesDeadLetter(d, f.value));
    const withOrder = matching.map((d) => ({ tsMs: d.record.tsMs, id: d.record.id, stored: d }));
    const { items, nextCursor } = paginate(withOrder, p.value);
    return { ok: true, deadLetters: items.map((x) => withReplay(x.stored)), nextCursor };
  }

  async markReplayed(replays: readonly ReplayMark[], at: string): Promise<ReplayResult> {
    this.assertOpen('markReplayed');
    const checked = checkReplays(replays, at);
    if (!checked.ok) return checked;
    let marked = 0;
    const alreadyReplayed: string[] = [];
    const notFound: string[] = [];
    for (const mark of checked.value.marks) {
      const stored = this.deadLetters.get(mark.deadLetterId);
      if (stored === undefined) notFound.push(mark.deadLetterId);
      else if (stored.replayed !== null) alreadyReplayed.push(mark.deadLetterId);
      else {
        stored.replayed = { at: checked.value.at, event_id: mark.eventId };
        marked++;
      }
    }
    return { ok: true, marked, alreadyReplayed, notFound };
  }

  async eventsSince(afterSeq: number, limit: number, select?: SinceSelection): Promise<SincePage> {
    this.assertOpen('eventsSince');
    const checked = checkSincePage(afterSeq, limit);
    if (!checked.ok) return checked;
    let selection: CheckedSelection | null = null;
    if (select !== undefined) {
      const s = checkSelection(select);
      if (!s.ok) return s;
      selection = s.value;
    }
    const examined: { seq: number; record: EventRecord }[] = [];
    // Map iteration is insertion order, which is seq order.
    for (const { seq, record } of this.events.values()) {
      if (seq <= afterSeq) continue;
      examined.push({ seq, record });
      if (examined.length === limit) break;
    }
    const lastSeq = examined.at(-1)?.seq ?? afterSeq;
    if (selection === null) return { ok: true, events: examined.map(({ seq, record }) => ({ seq, event: record.event })), lastSeq };
    return { ok: true, events: selectExamined(examined, selection), lastSeq };
  }

  async stats(): Promise<StoreStats> {
    this.assertOpen('stats');
    return { events: this.events.size, deadLetters: this.deadLetters.size };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private matchingEvents(f: CheckedEventFilter): EventRecord[] {
    const out: EventRecord[] = [];
    for (const { record } of this.events.values()) if (matchesEvent(record, f)) out.push(record);
    return out;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw storeError('PIP_ERR_STORE_CLOSED', [operation]);
  }
}

function matchesDeadLetter(d: StoredDeadLetter, f: CheckedDeadLetterFilter): boolean {
  const r = d.record;
  if (f.fromMs !== null && r.tsMs < f.fromMs) return false;
  if (f.toMs !== null && r.tsMs >= f.toMs) return false;
  if (f.reasons !== null && !f.reasons.includes(r.reason)) return false;
  if (f.filePaths !== null && (r.filePath === null || !f.filePaths.includes(r.filePath))) return false;
  if (f.datasets !== null && !f.datasets.includes(r.dataset)) return false;
  if (f.replayed !== null && (d.replayed !== null) !== f.replayed) return false;
  return true;
}

function withReplay(d: StoredDeadLetter): DeadLetter {
  return d.replayed === null ? d.record.deadLetter : { ...d.record.deadLetter, replayed: d.replayed };
}

/** Sorts into store order and cuts the page after the cursor. */
function paginate<T extends { tsMs: number; id: string }>(
  items: T[],
  page: CheckedPage,
): { items: T[]; nextCursor: string | null } {
  items.sort(compareRecords);
  const after = page.after;
  const start = after === null ? 0 : items.findIndex((x) => compareRecords(x, after) > 0);
  const from = start === -1 ? items.length : start;
  const end = page.limit === null ? items.length : Math.min(items.length, from + page.limit);
  const slice = items.slice(from, end);
  const last = slice.at(-1);
  const nextCursor = end < items.length && last !== undefined ? encodeCursor(last) : null;
  return { items: slice, nextCursor };
}

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareCodePoints(a, b);
}
