/**
 * The EventStore's checked filters (query-input.ts) as Elasticsearch query DSL. Pure functions,
 * no I/O. What callers give only ever becomes a *value* of a clause (a term, a range bound, a
 * wildcard pattern with its metacharacters escaped), never a field name, a script or a query
 * string; field names come from the tables below. The clauses used: `bool` (filter, should,
 * must_not), `term`, `terms` (also on `event.id`, for `eventsById`), `range`, `wildcard` (`case_insensitive`), `exists`; sorts on
 * `@timestamp` then `event.id` (keyword order is UTF-8 byte order, the store's order); aggregations
 * `composite` with `terms` and `date_histogram` sources.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { GroupField } from '../event-store.js';
import type { CheckedDeadLetterFilter, CheckedEventFilter, EventEqualsField } from '../query-input.js';

/**
 * A query clause, as the search request types it (the client's own `QueryDslQueryContainer` is
 * not assignable to itself under `exactOptionalPropertyTypes`).
 */
export type Query = NonNullable<estypes.SearchRequest['query']>;

/** The indexed field behind each equality filter of an event. */
export const EQUALS_FIELD_PATH: Readonly<Record<EventEqualsField, string>> = {
  host: 'host.name',
  instance: 'recovery.instance',
  module: 'recovery.module',
  action: 'event.action',
  status: 'recovery.status',
  outcome: 'event.outcome',
  code: 'event.code',
  dataset: 'event.dataset',
  correlationId: 'recovery.correlation_id',
};

/** The indexed field behind each group field of the counts. */
export const GROUP_FIELD_PATH: Readonly<Record<GroupField, string>> = {
  ...EQUALS_FIELD_PATH,
  kernel: 'recovery.kernel',
  osLine: 'recovery.os_line',
};

/** The `wildcard` multi-fields (index-template.ts) the text filter searches, each alone. */
export const TEXT_FIELDS = ['message.wildcard', 'file.path.wildcard'] as const;

/** The store's write order: a field of the store's own (index-template.ts STORE_FIELDS). */
export const SEQ_FIELD = 'kintsugi.seq';

/** Store order: time, then id. */
export const STORE_ORDER: estypes.SortCombinations[] = [{ '@timestamp': { order: 'asc' } }, { 'event.id': { order: 'asc' } }];

/** A wildcard pattern matching `text` literally anywhere: `*`, `?` and `\` escaped. */
export function substringPattern(text: string): string {
  return `*${text.replace(/[\\*?]/g, (c) => `\\${c}`)}*`;
}

/** One value as `term`, several as `terms`. */
export function anyOf(field: string, values: readonly string[]): Query {
  const [only] = values;
  if (values.length === 1 && only !== undefined) return { term: { [field]: { value: only } } };
  return { terms: { [field]: [...values] } };
}

export function timeRange(fromMs: number | null, toMs: number | null): Query[] {
  if (fromMs === null && toMs === null) return [];
  return [
    {
      range: {
        '@timestamp': { ...(fromMs !== null ? { gte: fromMs } : {}), ...(toMs !== null ? { lt: toMs } : {}), format: 'epoch_millis' },
      },
    },
  ];
}

export function eventQuery(f: CheckedEventFilter): Query {
  const filter: Query[] = [...timeRange(f.fromMs, f.toMs)];
  for (const clause of f.equals) filter.push(anyOf(EQUALS_FIELD_PATH[clause.field], clause.values));
  // An empty needle is a substring of everything, events without a message included.
  if (f.text !== null && f.text !== '') {
    const value = substringPattern(f.text);
    filter.push({
      bool: {
        should: TEXT_FIELDS.map((field) => ({ wildcard: { [field]: { value, case_insensitive: true } } })),
        minimum_should_match: 1,
      },
    });
  }
  return { bool: { filter } };
}

/**
 * Events by `event.id` (`terms` on the keyword, one clause whatever the number of ids: the caller
 * bounds them below the cluster's `index.max_terms_count`, 65,536).
 */
export function idsQuery(ids: readonly string[]): Query {
  return { bool: { filter: [{ terms: { 'event.id': [...ids] } }] } };
}

export function deadLetterQuery(f: CheckedDeadLetterFilter): Query {
  const filter: Query[] = [...timeRange(f.fromMs, f.toMs)];
  if (f.reasons !== null) filter.push(anyOf('error.type', f.reasons));
  if (f.filePaths !== null) filter.push(anyOf('log.file.path', f.filePaths));
  if (f.datasets !== null) filter.push(anyOf('event.dataset', f.datasets));
  const replayed: Query = { exists: { field: 'replayed.at' } };
  if (f.replayed === true) filter.push(replayed);
  return f.replayed === false ? { bool: { filter, must_not: [replayed] } } : { bool: { filter } };
}

/** Composite sources of the counts: an optional time bucket, then an optional group field. */
export function countSources(bucketMs: number | null, field: GroupField | null): Record<string, estypes.AggregationsCompositeAggregationSource>[] {
  const sources: Record<string, estypes.AggregationsCompositeAggregationSource>[] = [];
  // fixed_interval buckets are aligned to the Unix epoch, as the store's buckets are.
  if (bucketMs !== null) sources.push({ start: { date_histogram: { field: '@timestamp', fixed_interval: `${bucketMs}ms` } } });
  if (field !== null) sources.push({ key: { terms: { field: GROUP_FIELD_PATH[field], missing_bucket: true } } });
  return sources;
}
