/**
 * The EventStore: where normalized events and dead letters are kept, searched and traced.
 *
 * Implementations: `memory-store.ts` (the reference, for tests of other parts) and
 * `duckdb-store.ts` (the embedded default). Both pass `test/store/store.suite.ts`; a later store
 * (Elasticsearch) must pass it too. See README.md in this folder for the semantics in prose.
 *
 * Order: every list of events or dead letters is in `@timestamp` order, ties broken by `event.id`
 * (compared by Unicode code point, which is also UTF-8 byte order). Cursors are positions in that
 * order, so a page never repeats or skips an event, whatever is written between two pages.
 *
 * Errors: bad input is returned (`{ ok: false, error }`, see errors.ts); failures of the store
 * itself are thrown as `StoreError`.
 */
import type { Dataset, DeadLetter, Outcome, RecoveryEvent } from '../../parsers/event.js';
import type { StoreError } from './errors.js';

/** One value, or any of several (an `IN`). An empty list is a bad filter. */
export type OneOrMany<T> = T | readonly T[];

export interface EventFilter {
  /** Inclusive lower bound on `@timestamp` (ISO 8601). */
  readonly from?: string;
  /** Exclusive upper bound on `@timestamp` (ISO 8601). */
  readonly to?: string;
  /** `host.name` */
  readonly host?: OneOrMany<string>;
  /** `recovery.instance` */
  readonly instance?: OneOrMany<string>;
  /** `recovery.module` */
  readonly module?: OneOrMany<string>;
  /** `event.action` */
  readonly action?: OneOrMany<string>;
  /** `recovery.status` */
  readonly status?: OneOrMany<string>;
  /** `event.outcome` */
  readonly outcome?: OneOrMany<Outcome>;
  /** `event.code` */
  readonly code?: OneOrMany<string>;
  /** `event.dataset` */
  readonly dataset?: OneOrMany<Dataset>;
  /** `recovery.correlation_id` */
  readonly correlationId?: OneOrMany<string>;
  /** Case-insensitive substring of `message` or of `file.path`. */
  readonly text?: string;
}

export interface DeadLetterFilter {
  /** Inclusive lower bound on `@timestamp` (ISO 8601). */
  readonly from?: string;
  /** Exclusive upper bound on `@timestamp` (ISO 8601). */
  readonly to?: string;
  /** `error.type` */
  readonly reason?: OneOrMany<string>;
  /** `log.file.path`, exactly. */
  readonly filePath?: OneOrMany<string>;
  /** `event.dataset` */
  readonly dataset?: OneOrMany<Dataset>;
  /** Only replayed (true) or only not yet replayed (false) dead letters. */
  readonly replayed?: boolean;
}

export interface PageRequest {
  /** How many at most; 0 means no limit. */
  readonly limit: number;
  /** The `nextCursor` of the previous page; absent for the first page. */
  readonly cursor?: string;
}

/** The largest page limit a caller may ask for (0 asks for everything). */
export const MAX_PAGE_LIMIT = 1_000_000;

/** The most event ids one `eventsById` call looks up. */
export const MAX_IDS_PER_LOOKUP = 1000;

/** The fields that `countBy` and `countByTimeBucket` group by. */
export const GROUP_FIELDS = [
  'host',
  'instance',
  'module',
  'kernel',
  'action',
  'status',
  'outcome',
  'code',
  'dataset',
  'osLine',
  'correlationId',
] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

export interface StoreFailure {
  readonly ok: false;
  readonly error: StoreError;
}
export type StoreResult<T extends object> = ({ readonly ok: true } & T) | StoreFailure;

export interface WriteCounts {
  /** Newly stored. */
  readonly inserted: number;
  /** Already stored (or repeated in the same batch): not stored again. */
  readonly duplicates: number;
  /**
   * Refused by the store itself although valid here (an Elasticsearch mapping conflict), and kept
   * as dead letters instead; absent when none (the embedded stores never refuse).
   */
  readonly rejected?: number;
}
export type WriteResult = StoreResult<{ readonly events: WriteCounts; readonly deadLetters: WriteCounts }>;

export type EventPage = StoreResult<{
  readonly events: readonly RecoveryEvent[];
  /** Pass as `cursor` for the next page; null when this page is the last. */
  readonly nextCursor: string | null;
}>;

export type DeadLetterPage = StoreResult<{
  readonly deadLetters: readonly DeadLetter[];
  readonly nextCursor: string | null;
}>;

/** How a trace event relates to its parent (`recovery.parent_id`). */
export type ParentLink =
  /** The event names no parent. */
  | { readonly kind: 'none' }
  /** The parent is an event of this trace. */
  | { readonly kind: 'present'; readonly parentId: string }
  /** The parent is not stored under this correlation id (not arrived yet, lost, or elsewhere). */
  | { readonly kind: 'absent'; readonly parentId: string };

/**
 * How an event of another correlation id came into a linked trace (trace.ts `linkTrace`): as the
 * `recovery.parent_id` of an event of the trace (or of an event linked before it), or as one of
 * the `related_event_ids` of the alert whose correlation id the trace is.
 */
export type TraceLink =
  | { readonly via: 'parent'; readonly correlationId: string | null }
  | { readonly via: 'alert'; readonly correlationId: string | null; readonly alertId: string };

export interface TraceNode {
  readonly event: RecoveryEvent;
  readonly parent: ParentLink;
  /** `event.id`s of the events of this trace whose parent is this event, in trace order. */
  readonly children: readonly string[];
  /** Linked traces only: set on the events of other correlation ids; absent on the trace's own. */
  readonly linked?: TraceLink;
}

export interface Trace {
  readonly correlationId: string;
  /**
   * Every event of the correlation id, in time order. Empty when none is stored. A linked trace
   * holds the linked events too, in the same time order, each marked with `linked`.
   */
  readonly nodes: readonly TraceNode[];
  /** `event.id`s of the nodes without a parent in the trace (parent `none` or `absent`). */
  readonly roots: readonly string[];
  /** Linked traces only: true when a bound (link depth, linked events) left links unfollowed. */
  readonly linksCut?: boolean;
}
export type TraceResult = StoreResult<{ readonly trace: Trace }>;

/** The stored events of the ids asked for, each once, in store order; unknown ids are left out. */
export type EventsByIdResult = StoreResult<{ readonly events: readonly RecoveryEvent[] }>;

export interface GroupCount {
  /** The field's value; null for events without it. */
  readonly key: string | null;
  readonly count: number;
}
/** Counts ordered by count, largest first, then by key (null last). */
export type CountResult = StoreResult<{ readonly field: GroupField; readonly counts: readonly GroupCount[] }>;

export interface BucketCount {
  /** Start of the bucket, ISO 8601; buckets are aligned to the Unix epoch. */
  readonly start: string;
  /** The group's value when counting by a field; null without one, or for events without it. */
  readonly key: string | null;
  readonly count: number;
}
/** Non-empty buckets only, ordered by start, then key (null last). */
export type BucketResult = StoreResult<{
  readonly bucketMs: number;
  readonly field: GroupField | null;
  readonly buckets: readonly BucketCount[];
}>;

export interface ReplayMark {
  /** `event.id` of the dead letter. */
  readonly deadLetterId: string;
  /** `event.id` of the event the replay produced. */
  readonly eventId: string;
}
export type ReplayResult = StoreResult<{
  /** Marked now. */
  readonly marked: number;
  /** Were marked before; left as they were. */
  readonly alreadyReplayed: readonly string[];
  /** No dead letter of that id is stored. */
  readonly notFound: readonly string[];
}>;

/** An event with its position in write order (for exports that must not miss late arrivals). */
export interface SequencedEvent {
  readonly seq: number;
  readonly event: RecoveryEvent;
}
export type SincePage = StoreResult<{
  readonly events: readonly SequencedEvent[];
  /** Pass back as `afterSeq`; equal to the argument when nothing new was stored. */
  readonly lastSeq: number;
}>;

/**
 * What `eventsSince` returns of the events it examines, when not all of them: a follower that
 * wants few of the events (the alert evaluator: the rules' selectors) reads only those.
 */
export interface SinceSelection {
  /** Events matching any of these filters (an empty list: none of them). */
  readonly anyOf: readonly EventFilter[];
  /**
   * Of the events matching `filter`, only the first in store order (`@timestamp`, then id) of each
   * value of `field` among the events examined; events without the field are left out. For a
   * follower that needs the earliest event of each key, not every one.
   */
  readonly firstBy?: readonly { readonly field: GroupField; readonly filter: EventFilter }[];
}

export interface StoreStats {
  readonly events: number;
  readonly deadLetters: number;
}

export interface EventStore {
  /**
   * Stores events and dead letters, idempotent on `event.id`: an id already stored (or seen
   * earlier in the same batch) is counted as a duplicate and not stored again. All or nothing: an
   * invalid item rejects the whole batch. `event.ingested` is set to the store's clock when absent.
   */
  writeBatch(events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[]): Promise<WriteResult>;
  queryEvents(filter: EventFilter, page: PageRequest): Promise<EventPage>;
  /** Every event of the correlation id in time order, with parent and children links. */
  trace(correlationId: string): Promise<TraceResult>;
  /**
   * The events of these `event.id`s (at most MAX_IDS_PER_LOOKUP), each once, in store order; ids
   * not stored are left out. For following links out of a trace (`recovery.parent_id`, an alert's
   * related events), which name events by id whatever their correlation id.
   */
  eventsById(ids: readonly string[]): Promise<EventsByIdResult>;
  countBy(field: GroupField, filter: EventFilter): Promise<CountResult>;
  countByTimeBucket(bucketMs: number, filter: EventFilter, field?: GroupField): Promise<BucketResult>;
  queryDeadLetters(filter: DeadLetterFilter, page: PageRequest): Promise<DeadLetterPage>;
  /** Records that replays turned dead letters into events; `at` is ISO 8601. */
  markReplayed(replays: readonly ReplayMark[], at: string): Promise<ReplayResult>;
  /**
   * Events in write order after `afterSeq` (0 for the start), at most `limit` (> 0). With a
   * `select`ion, the next `limit` events are examined and only the selected ones returned (each
   * once, in write order); `lastSeq` is then the seq of the last event examined, so that a
   * follower moves on past events it did not want.
   */
  eventsSince(afterSeq: number, limit: number, select?: SinceSelection): Promise<SincePage>;
  stats(): Promise<StoreStats>;
  /** Flushes and releases the store. Idempotent; every other call afterwards throws. */
  close(): Promise<void>;
}

/**
 * The SIEM document of a stored event: the event with `event.sequence` = its position in write
 * order. `/api/export` streams it as NDJSON and the SIEM Kafka topic carries it as message values.
 */
export function exportDocument({ seq, event }: SequencedEvent): ExportDocument {
  return { ...event, event: { ...event.event, sequence: seq } };
}

export type ExportDocument = RecoveryEvent & { readonly event: RecoveryEvent['event'] & { readonly sequence: number } };

/**
 * Streams every event written after `afterSeq`, in write order, page by page (for SIEM export).
 * Ends at the last event stored when the page was read; call again from the last seq to follow.
 */
export async function* streamEventsSince(
  store: EventStore,
  afterSeq: number,
  pageSize = 10_000,
): AsyncGenerator<SequencedEvent, void, undefined> {
  let position = afterSeq;
  for (;;) {
    const page = await store.eventsSince(position, pageSize);
    if (!page.ok) throw page.error;
    yield* page.events;
    if (page.events.length < pageSize) return;
    position = page.lastSeq;
  }
}
