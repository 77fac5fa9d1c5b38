/**
 * `ElasticsearchEventStore`: the EventStore on an Elasticsearch cluster (README.md beside this
 * file). Events go to `<prefix>-events-YYYY.MM.DD`, dead letters to `<prefix>-dead-letters-YYYY.MM`
 * (the UTC date of their `@timestamp`), each with `_id` = `event.id` and the bulk `create` action,
 * so a redelivery is a harmless 409 counted as a duplicate. Reads go through the query aliases.
 *
 * What differs from the embedded store, by nature: there is no transaction, so `writeBatch` is all
 * or nothing only for *invalid input* (checked before anything is sent); a batch the cluster took
 * in part fails with a retriable error and is written again (idempotent). An event the cluster
 * itself refuses (a mapping conflict) is stored as a dead letter (`bad-type:<field>`) and counted
 * as `rejected`. The write order (`eventsSince`) is a store field `kintsugi.seq` that grows with
 * each write of this process (see README.md for several writers).
 */
import type { estypes } from '@elastic/elasticsearch';
import type { DeadLetter, RecoveryEvent } from '../../../parsers/event.js';
import { storeError } from '../errors.js';
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
  WriteResult,
} from '../event-store.js';
import {
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
  type CheckedPage,
  type CheckedSelection,
} from '../query-input.js';
import { compareCodePoints, toDeadLetterRecord, toEventRecord, type DeadLetterRecord, type EventRecord } from '../record.js';
import { selectExamined } from '../selection.js';
import { buildTrace } from '../trace.js';
import { BulkWriter, type BulkAction, type BulkOptions, type ItemOutcome } from './bulk-writer.js';
import { Cluster, isObject, type ClusterOptions, type Hit } from './cluster.js';
import { aliasName, indexName, STORE_FIELDS_OBJECT } from './index-template.js';
import { countSources, deadLetterQuery, eventQuery, idsQuery, SEQ_FIELD, STORE_ORDER } from './query-dsl.js';

export interface ElasticsearchStoreOptions extends ClusterOptions {
  /** The clock for `event.ingested` and the write order; defaults to the system clock. */
  readonly now?: () => Date;
  readonly bulk?: BulkOptions;
}

/** Documents read back without the store's own fields. */
const WITHOUT_STORE_FIELDS: estypes.SearchSourceConfig = { excludes: [STORE_FIELDS_OBJECT] };

/** The longest `event.original` of a dead letter (as the parsers keep it). */
const MAX_ORIGINAL = 65_536;

export class ElasticsearchEventStore implements EventStore {
  private readonly cluster: Cluster;
  private readonly writer: BulkWriter;
  private readonly now: () => Date;
  private readonly eventsAlias: string;
  private readonly deadAlias: string;
  private lastSeq = 0;
  private closed = false;
  private readonly writing = new Set<Promise<unknown>>();

  private constructor(options: ElasticsearchStoreOptions) {
    const prefix = options.prefix;
    this.eventsAlias = aliasName('events', prefix);
    this.deadAlias = aliasName('dead-letters', prefix);
    this.cluster = new Cluster(options, [this.eventsAlias, this.deadAlias]);
    this.writer = new BulkWriter(this.cluster.requester, options.bulk);
    this.now = options.now ?? (() => new Date());
  }

  /** Connects, applies the templates and policies (unless `setup: false`), reads the write position. */
  static async open(options: ElasticsearchStoreOptions): Promise<ElasticsearchEventStore> {
    const store = new ElasticsearchEventStore(options);
    try {
      if (options.setup !== false) await store.cluster.setup(options.retentionDays);
      store.cluster.wrote(); // other processes' writes: refresh before the first read
      const last = await store.cluster.search({
        index: store.eventsAlias,
        query: { exists: { field: SEQ_FIELD } },
        sort: [{ [SEQ_FIELD]: { order: 'desc' } }],
        limit: 1,
        after: null,
        source: false,
      });
      const top = last.hits[0]?.sort?.[0];
      store.lastSeq = typeof top === 'number' ? top : 0;
      return store;
    } catch (err: unknown) {
      await store.close();
      throw err;
    }
  }

  /** The most bulk requests this store had in flight at once. */
  get peakInFlight(): number {
    return this.writer.peakInFlight;
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
    const uniqueEvents = firstOfEachId(eventRecords);
    const uniqueDead = firstOfEachId(deadRecords);
    if (uniqueEvents.length === 0 && uniqueDead.length === 0) {
      return { ok: true, events: { inserted: 0, duplicates: eventRecords.length }, deadLetters: { inserted: 0, duplicates: deadRecords.length } };
    }
    const write = this.send(uniqueEvents, uniqueDead);
    this.writing.add(write);
    try {
      const { events: e, deadLetters: d } = await write;
      return {
        ok: true,
        events: {
          inserted: e.inserted,
          duplicates: eventRecords.length - uniqueEvents.length + e.duplicates,
          ...(e.rejected > 0 ? { rejected: e.rejected } : {}),
        },
        deadLetters: { inserted: d.inserted, duplicates: deadRecords.length - uniqueDead.length + d.duplicates },
      };
    } finally {
      this.writing.delete(write);
    }
  }

  private async send(
    events: readonly EventRecord[],
    deadLetters: readonly DeadLetterRecord[],
  ): Promise<{ events: { inserted: number; duplicates: number; rejected: number }; deadLetters: { inserted: number; duplicates: number } }> {
    const prefix = this.cluster.prefix;
    // Seqs grow with each write of this process and start at the clock (in µs-like units) so that a
    // restarted process, or another one, continues after what is stored.
    const base = Math.max(this.lastSeq, this.now().getTime() * 1000);
    this.lastSeq = base + events.length;
    const actions: BulkAction[] = [
      ...events.map((r, i): BulkAction => ({
        op: 'create',
        index: indexName('events', r.event['@timestamp'], prefix),
        id: r.id,
        doc: { ...r.event, [STORE_FIELDS_OBJECT]: { seq: base + i + 1 } },
      })),
      ...deadLetters.map((r): BulkAction => ({ op: 'create', index: indexName('dead-letters', r.deadLetter['@timestamp'], prefix), id: r.id, doc: r.deadLetter })),
    ];
    let outcomes: ItemOutcome[];
    try {
      outcomes = await this.writer.write(actions);
    } finally {
      // Even a failed write may have stored part of the batch.
      this.cluster.wrote();
    }
    const ev = { inserted: 0, duplicates: 0, rejected: 0 };
    const dl = { inserted: 0, duplicates: 0 };
    const refused: DeadLetter[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      const isEvent = i < events.length;
      if (outcome.kind === 'done') {
        if (isEvent) ev.inserted++;
        else dl.inserted++;
      } else if (outcome.kind === 'duplicate' || outcome.kind === 'conflict') {
        if (isEvent) ev.duplicates++;
        else dl.duplicates++;
      } else if (isEvent) {
        const record = events[i];
        if (record !== undefined) refused.push(refusedEvent(record, outcome, this.now().toISOString()));
        ev.rejected++;
      } else {
        throw this.cluster.requester.refused(`the dead letter ${deadLetters[i - events.length]?.id ?? ''}`, outcome.status, `${outcome.errorType}: ${outcome.reason}`);
      }
    }
    if (refused.length > 0) {
      // Never dropped: an event the cluster cannot index is kept as a dead letter.
      const again = await this.writer.write(refused.map((d) => ({ op: 'create', index: indexName('dead-letters', d['@timestamp'], prefix), id: d.event.id, doc: d })));
      const bad = again.find((o) => o.kind === 'rejected');
      if (bad !== undefined && bad.kind === 'rejected') throw this.cluster.requester.refused('a dead letter of a refused event', bad.status, `${bad.errorType}: ${bad.reason}`);
    }
    return { events: ev, deadLetters: dl };
  }

  async queryEvents(filter: EventFilter, page: PageRequest): Promise<EventPage> {
    this.assertOpen('queryEvents');
    const f = checkEventFilter(filter);
    if (!f.ok) return f;
    const p = checkPage(page);
    if (!p.ok) return p;
    const found = await this.cluster.search({ index: this.eventsAlias, query: eventQuery(f.value), sort: STORE_ORDER, ...pageBounds(p.value), source: WITHOUT_STORE_FIELDS });
    const events = found.hits.map((h) => eventOf(h));
    return { ok: true, events, nextCursor: found.more ? cursorAfter(events.at(-1)) : null };
  }

  async trace(correlationId: string): Promise<TraceResult> {
    this.assertOpen('trace');
    const f = checkEventFilter({ correlationId });
    if (!f.ok) return f;
    const found = await this.cluster.search({ index: this.eventsAlias, query: eventQuery(f.value), sort: STORE_ORDER, limit: null, after: null, source: WITHOUT_STORE_FIELDS });
    return { ok: true, trace: buildTrace(correlationId, found.hits.map((h) => eventOf(h))) };
  }

  async eventsById(ids: readonly string[]): Promise<EventsByIdResult> {
    this.assertOpen('eventsById');
    const checked = checkIds(ids);
    if (!checked.ok) return checked;
    if (checked.value.length === 0) return { ok: true, events: [] };
    const found = await this.cluster.search({ index: this.eventsAlias, query: idsQuery(checked.value), sort: STORE_ORDER, limit: null, after: null, source: WITHOUT_STORE_FIELDS });
    // An id is in one daily index (that of its @timestamp); a rewrite with another time would be a
    // second copy, of which the first in store order is kept.
    const events = firstOfEachId(found.hits.map((h) => ({ id: h._id ?? '', event: eventOf(h) })));
    return { ok: true, events: events.map((x) => x.event) };
  }

  async countBy(field: GroupField, filter: EventFilter): Promise<CountResult> {
    this.assertOpen('countBy');
    const g = checkGroupField(field);
    if (!g.ok) return g;
    const f = checkEventFilter(filter);
    if (!f.ok) return f;
    const buckets = await this.cluster.compositeBuckets(this.eventsAlias, eventQuery(f.value), countSources(null, g.value));
    const counts = buckets.map((b) => ({ key: keyOf(b.key['key']), count: b.doc_count }));
    counts.sort((a, b) => b.count - a.count || compareKeys(a.key, b.key));
    return { ok: true, field: g.value, counts };
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
    const found = await this.cluster.compositeBuckets(this.eventsAlias, eventQuery(f.value), countSources(b.value, groupBy));
    const buckets = found
      .map((x) => ({ startMs: Number(x.key['start']), key: groupBy === null ? null : keyOf(x.key['key']), count: x.doc_count }))
      .sort((x, y) => x.startMs - y.startMs || compareKeys(x.key, y.key))
      .map((x) => ({ start: new Date(x.startMs).toISOString(), key: x.key, count: x.count }));
    return { ok: true, bucketMs: b.value, field: groupBy, buckets };
  }

  async queryDeadLetters(filter: DeadLetterFilter, page: PageRequest): Promise<DeadLetterPage> {
    this.assertOpen('queryDeadLetters');
    const f = checkDeadLetterFilter(filter);
    if (!f.ok) return f;
    const p = checkPage(page);
    if (!p.ok) return p;
    const found = await this.cluster.search({ index: this.deadAlias, query: deadLetterQuery(f.value), sort: STORE_ORDER, ...pageBounds(p.value) });
    const deadLetters = found.hits.map((h) => deadLetterOf(h));
    return { ok: true, deadLetters, nextCursor: found.more ? cursorAfter(deadLetters.at(-1)) : null };
  }

  async markReplayed(replays: readonly ReplayMark[], at: string): Promise<ReplayResult> {
    this.assertOpen('markReplayed');
    const checked = checkReplays(replays, at);
    if (!checked.ok) return checked;
    const firstMark = new Map<string, string>();
    for (const m of checked.value.marks) if (!firstMark.has(m.deadLetterId)) firstMark.set(m.deadLetterId, m.eventId);
    if (firstMark.size === 0) return { ok: true, marked: 0, alreadyReplayed: [], notFound: [] };
    // A dead letter may sit in more than one monthly index (README.md): each copy is marked.
    const found = await this.cluster.search({
      index: this.deadAlias,
      query: { bool: { filter: [{ terms: { 'event.id': [...firstMark.keys()] } }] } },
      sort: STORE_ORDER,
      limit: null,
      after: null,
      source: { includes: ['event.id', 'replayed'] },
      seqNoPrimaryTerm: true,
    });
    const already = new Set<string>();
    const seen = new Set<string>();
    const actions: BulkAction[] = [];
    const actionIds: string[] = [];
    for (const hit of found.hits) {
      const id = hit._id ?? '';
      seen.add(id);
      if (isObject(hit._source) && hit._source['replayed'] !== undefined) {
        already.add(id);
        continue;
      }
      const eventId = firstMark.get(id);
      if (eventId === undefined || hit._seq_no === undefined || hit._primary_term === undefined) continue;
      actions.push({ op: 'update', index: hit._index, id, doc: { replayed: { at: checked.value.at, event_id: eventId } }, ifSeqNo: hit._seq_no, ifPrimaryTerm: hit._primary_term });
      actionIds.push(id);
    }
    const outcomes = await this.writer.write(actions);
    this.cluster.wrote();
    const marked = new Set<string>();
    for (const [i, outcome] of outcomes.entries()) {
      const id = actionIds[i] ?? '';
      // A conflict: another replay marked it between the read and the update.
      if (outcome.kind === 'done') marked.add(id);
      else if (outcome.kind === 'conflict') already.add(id);
      else if (outcome.kind === 'rejected') throw this.cluster.requester.refused(`marking the dead letter ${id} replayed`, outcome.status, `${outcome.errorType}: ${outcome.reason}`);
    }
    for (const id of marked) already.delete(id);
    const ids = [...firstMark.keys()];
    return {
      ok: true,
      marked: marked.size,
      alreadyReplayed: ids.filter((id) => already.has(id)),
      notFound: ids.filter((id) => !seen.has(id)),
    };
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
    const found = await this.cluster.search({
      index: this.eventsAlias,
      query: { range: { [SEQ_FIELD]: { gt: afterSeq } } },
      sort: [{ [SEQ_FIELD]: { order: 'asc' } }],
      limit,
      after: null,
      source: WITHOUT_STORE_FIELDS,
    });
    const events = found.hits.map((h) => ({ seq: seqOf(h), event: eventOf(h) }));
    const lastSeq = events.at(-1)?.seq ?? afterSeq;
    if (selection === null) return { ok: true, events, lastSeq };
    // The selection applies to the window examined, as in every store: fetched here, chosen in memory.
    const examined: { seq: number; record: EventRecord }[] = [];
    for (const [i, { seq, event }] of events.entries()) {
      const record = toEventRecord(event, i, event.event.ingested ?? '');
      if (!record.ok) throw storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', [event.event.id, 'event', record.error.message]);
      examined.push({ seq, record: record.value });
    }
    return { ok: true, events: selectExamined(examined, selection), lastSeq };
  }

  async stats(): Promise<StoreStats> {
    this.assertOpen('stats');
    return { events: await this.cluster.count(this.eventsAlias), deadLetters: await this.cluster.count(this.deadAlias) };
  }

  /** Waits for writes under way, then releases the client if this store made it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.writing]);
    await this.cluster.close();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw storeError('PIP_ERR_STORE_CLOSED', [operation]);
  }
}

/** The first record of each id, in order (a batch may repeat an id; the first occurrence wins). */
function firstOfEachId<T extends { readonly id: string }>(records: readonly T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const r of records) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    out.push(r);
  }
  return out;
}

function pageBounds(page: CheckedPage): { limit: number | null; after: estypes.SortResults | null } {
  return { limit: page.limit, after: page.after === null ? null : [page.after.tsMs, page.after.id] };
}

function cursorAfter(last: { readonly '@timestamp': string; readonly event: { readonly id: string } } | undefined): string | null {
  return last === undefined ? null : encodeCursor({ tsMs: Date.parse(last['@timestamp']), id: last.event.id });
}

function corrupt(hit: Hit, kind: string, why: string): Error {
  return storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', [`${hit._index}/${hit._id ?? ''}`, kind, why]);
}

/** A stored document checked as far as the store relies on it (id and time). */
function checkedSource(hit: Hit, kind: string): Record<string, unknown> {
  const source = hit._source;
  if (!isObject(source)) throw corrupt(hit, kind, 'no _source');
  const event = source['event'];
  if (!isObject(event) || typeof event['id'] !== 'string' || event['id'] !== hit._id) throw corrupt(hit, kind, 'event.id is missing or differs from _id');
  if (typeof source['@timestamp'] !== 'string' || Number.isNaN(Date.parse(source['@timestamp']))) throw corrupt(hit, kind, '@timestamp is missing');
  return source;
}

function eventOf(hit: Hit): RecoveryEvent {
  // Checked for what the store relies on; the rest is what this store wrote.
  return checkedSource(hit, 'event') as unknown as RecoveryEvent;
}

function deadLetterOf(hit: Hit): DeadLetter {
  return checkedSource(hit, 'dead letter') as unknown as DeadLetter;
}

function seqOf(hit: Hit): number {
  const seq = hit.sort?.[0];
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) throw corrupt(hit, 'event', `${SEQ_FIELD} is not a whole number`);
  return seq;
}

function keyOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return compareCodePoints(a, b);
}

/** The dead letter kept for an event the cluster refused: the event whole, and why. */
function refusedEvent(record: EventRecord, outcome: Extract<ItemOutcome, { kind: 'rejected' }>, now: string): DeadLetter {
  const field = /failed to parse field \[([^\]]+)\]/.exec(outcome.reason)?.[1] ?? 'document';
  const original = JSON.stringify(record.event);
  return {
    '@timestamp': record.event['@timestamp'],
    event: { id: record.id, kind: 'pipeline_error', dataset: record.event.event.dataset, original: original.slice(0, MAX_ORIGINAL), ingested: now },
    ...(record.event.log !== undefined ? { log: record.event.log } : {}),
    error: { type: `bad-type:${field}`, message: `Elasticsearch refused the event (HTTP ${outcome.status}, ${outcome.errorType}): ${outcome.reason}`.slice(0, 2000) },
  };
}
