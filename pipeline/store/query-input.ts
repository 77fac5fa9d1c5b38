/**
 * Checks and normalizes what callers pass to queries (filters, pages, cursors, bucket widths),
 * once, the same way for every store. A store only ever sees the checked forms below.
 */
import { storeError } from './errors.js';
import {
  GROUP_FIELDS,
  MAX_IDS_PER_LOOKUP,
  MAX_PAGE_LIMIT,
  type DeadLetterFilter,
  type EventFilter,
  type GroupField,
  type OneOrMany,
  type PageRequest,
  type ReplayMark,
  type SinceSelection,
} from './event-store.js';
import { parseTimestamp, type Checked } from './record.js';

/** Equality filters, by record field: each a non-empty list of accepted values. */
export interface CheckedEventFilter {
  readonly fromMs: number | null;
  readonly toMs: number | null;
  readonly equals: readonly EqualsClause[];
  /** Lower-cased needle, or null. */
  readonly text: string | null;
}

export type EventEqualsField =
  | 'host'
  | 'instance'
  | 'module'
  | 'action'
  | 'status'
  | 'outcome'
  | 'code'
  | 'dataset'
  | 'correlationId';

export interface EqualsClause {
  readonly field: EventEqualsField;
  readonly values: readonly string[];
}

export interface CheckedDeadLetterFilter {
  readonly fromMs: number | null;
  readonly toMs: number | null;
  readonly reasons: readonly string[] | null;
  readonly filePaths: readonly string[] | null;
  readonly datasets: readonly string[] | null;
  readonly replayed: boolean | null;
}

/** A position in the store's order: after the item with this timestamp and id. */
export interface CursorPosition {
  readonly tsMs: number;
  readonly id: string;
}

export interface CheckedPage {
  /** null: no limit. */
  readonly limit: number | null;
  readonly after: CursorPosition | null;
}

const EQUALS_FIELDS: readonly EventEqualsField[] = [
  'host',
  'instance',
  'module',
  'action',
  'status',
  'outcome',
  'code',
  'dataset',
  'correlationId',
];

/** The longest free-text needle accepted (a longer one is a mistake, not a search). */
const MAX_TEXT_LENGTH = 1024;

export function checkEventFilter(filter: EventFilter): Checked<CheckedEventFilter> {
  const range = checkRange(filter.from, filter.to);
  if (!range.ok) return range;
  const equals: EqualsClause[] = [];
  for (const field of EQUALS_FIELDS) {
    const values = checkValues(field, filter[field]);
    if (!values.ok) return values;
    if (values.value !== null) equals.push({ field, values: values.value });
  }
  let text: string | null = null;
  if (filter.text !== undefined) {
    if (typeof filter.text !== 'string') return badFilter('text', 'it must be a string');
    if (filter.text.length > MAX_TEXT_LENGTH) return badFilter('text', `it is longer than ${MAX_TEXT_LENGTH} characters`);
    text = filter.text.toLowerCase();
  }
  return { ok: true, value: { ...range.value, equals, text } };
}

export function checkDeadLetterFilter(filter: DeadLetterFilter): Checked<CheckedDeadLetterFilter> {
  const range = checkRange(filter.from, filter.to);
  if (!range.ok) return range;
  const reasons = checkValues('reason', filter.reason);
  if (!reasons.ok) return reasons;
  const filePaths = checkValues('filePath', filter.filePath);
  if (!filePaths.ok) return filePaths;
  const datasets = checkValues('dataset', filter.dataset);
  if (!datasets.ok) return datasets;
  if (filter.replayed !== undefined && typeof filter.replayed !== 'boolean') {
    return badFilter('replayed', 'it must be true or false');
  }
  return {
    ok: true,
    value: {
      ...range.value,
      reasons: reasons.value,
      filePaths: filePaths.value,
      datasets: datasets.value,
      replayed: filter.replayed ?? null,
    },
  };
}

export function checkPage(page: PageRequest): Checked<CheckedPage> {
  const { limit } = page;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE_LIMIT) {
    return { ok: false, error: storeError('PIP_ERR_STORE_BAD_PAGE', [JSON.stringify(limit) ?? 'undefined', MAX_PAGE_LIMIT]) };
  }
  let after: CursorPosition | null = null;
  if (page.cursor !== undefined) {
    const decoded = decodeCursor(page.cursor);
    if (decoded === null) {
      return { ok: false, error: storeError('PIP_ERR_STORE_BAD_CURSOR', [JSON.stringify(String(page.cursor).slice(0, 100))]) };
    }
    after = decoded;
  }
  return { ok: true, value: { limit: limit === 0 ? null : limit, after } };
}

export function checkGroupField(field: unknown): Checked<GroupField> {
  const found = GROUP_FIELDS.find((f) => f === field);
  if (found === undefined) {
    return {
      ok: false,
      error: storeError('PIP_ERR_STORE_BAD_GROUP_FIELD', [JSON.stringify(field) ?? 'undefined', GROUP_FIELDS.join(', ')]),
    };
  }
  return { ok: true, value: found };
}

/** The widest bucket: a year of 366 days. */
export const MAX_BUCKET_MS = 366 * 24 * 3600 * 1000;

export function checkBucket(bucketMs: unknown): Checked<number> {
  if (typeof bucketMs !== 'number' || !Number.isInteger(bucketMs) || bucketMs < 1 || bucketMs > MAX_BUCKET_MS) {
    return { ok: false, error: storeError('PIP_ERR_STORE_BAD_BUCKET', [JSON.stringify(bucketMs) ?? 'undefined', MAX_BUCKET_MS]) };
  }
  return { ok: true, value: bucketMs };
}

/** Start of the epoch-aligned bucket holding `tsMs`. */
export function bucketStart(tsMs: number, bucketMs: number): number {
  return tsMs - (((tsMs % bucketMs) + bucketMs) % bucketMs);
}

const CURSOR_PREFIX = 'c1.';

export function encodeCursor(position: CursorPosition): string {
  return CURSOR_PREFIX + Buffer.from(JSON.stringify([position.tsMs, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: unknown): CursorPosition | null {
  if (typeof cursor !== 'string' || !cursor.startsWith(CURSOR_PREFIX) || cursor.length > 4096) return null;
  const body = cursor.slice(CURSOR_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [tsMs, id]: unknown[] = parsed;
  if (typeof tsMs !== 'number' || !Number.isSafeInteger(tsMs) || typeof id !== 'string' || id === '') return null;
  return { tsMs, id };
}

function checkRange(
  from: string | undefined,
  to: string | undefined,
): Checked<{ readonly fromMs: number | null; readonly toMs: number | null }> {
  let fromMs: number | null = null;
  let toMs: number | null = null;
  if (from !== undefined) {
    fromMs = parseTimestamp(from);
    if (fromMs === null) return badFilter('from', `${JSON.stringify(from)} is not an ISO 8601 time with a zone`);
  }
  if (to !== undefined) {
    toMs = parseTimestamp(to);
    if (toMs === null) return badFilter('to', `${JSON.stringify(to)} is not an ISO 8601 time with a zone`);
  }
  return { ok: true, value: { fromMs, toMs } };
}

function checkValues(name: string, value: OneOrMany<string> | undefined): Checked<readonly string[] | null> {
  if (value === undefined) return { ok: true, value: null };
  const values: readonly unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value];
  if (values.length === 0) return badFilter(name, 'the list of values is empty');
  const out: string[] = [];
  for (const v of values) {
    if (typeof v !== 'string') return badFilter(name, 'every value must be a string');
    out.push(v);
  }
  return { ok: true, value: out };
}

function badFilter<T>(name: string, why: string): Checked<T> {
  return { ok: false, error: storeError('PIP_ERR_STORE_BAD_FILTER', [name, why], { field: name }) };
}

export interface CheckedReplays {
  readonly at: string;
  readonly marks: readonly ReplayMark[];
}

export function checkReplays(replays: readonly ReplayMark[], at: string): Checked<CheckedReplays> {
  const atMs = parseTimestamp(at);
  if (atMs === null) return badReplay('at', `${JSON.stringify(at)} is not an ISO 8601 time with a zone`);
  if (!Array.isArray(replays)) return badReplay('replays', 'it must be a list');
  const marks: ReplayMark[] = [];
  for (const [i, mark] of replays.entries()) {
    const m: unknown = mark;
    if (typeof m !== 'object' || m === null) return badReplay(String(i), 'it is not an object');
    const { deadLetterId, eventId } = mark;
    if (typeof deadLetterId !== 'string' || deadLetterId === '') return badReplay(String(i), 'deadLetterId must be a non-empty string');
    if (typeof eventId !== 'string' || eventId === '') return badReplay(String(i), 'eventId must be a non-empty string');
    marks.push({ deadLetterId, eventId });
  }
  return { ok: true, value: { at: new Date(atMs).toISOString(), marks } };
}

export function checkSincePage(afterSeq: number, limit: number): Checked<null> {
  if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq) || afterSeq < 0) {
    return { ok: false, error: storeError('PIP_ERR_STORE_BAD_CURSOR', [JSON.stringify(afterSeq) ?? 'undefined']) };
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    return { ok: false, error: storeError('PIP_ERR_STORE_BAD_PAGE', [JSON.stringify(limit) ?? 'undefined', MAX_PAGE_LIMIT]) };
  }
  return { ok: true, value: null };
}

/** Checks the ids of `eventsById`: non-empty strings, at most MAX_IDS_PER_LOOKUP; repeats dropped. */
export function checkIds(ids: readonly string[]): Checked<readonly string[]> {
  const bad = (why: string): Checked<readonly string[]> => ({ ok: false, error: storeError('PIP_ERR_STORE_BAD_IDS', [why, MAX_IDS_PER_LOOKUP]) });
  if (!Array.isArray(ids)) return bad('it must be a list');
  if (ids.length > MAX_IDS_PER_LOOKUP) return bad(`${ids.length} ids were given`);
  const unique = new Set<string>();
  for (const [i, id] of ids.entries()) {
    const v: unknown = id;
    if (typeof v !== 'string' || v === '') return bad(`id ${i} is not a non-empty string`);
    unique.add(v);
  }
  return { ok: true, value: [...unique] };
}

function badReplay<T>(which: string, why: string): Checked<T> {
  return { ok: false, error: storeError('PIP_ERR_STORE_BAD_REPLAY', [which, why]) };
}

export interface CheckedSelection {
  readonly anyOf: readonly CheckedEventFilter[];
  readonly firstBy: readonly { readonly field: GroupField; readonly filter: CheckedEventFilter }[];
}

/** Checks a selection of `eventsSince`: every filter and group field as the other queries do. */
export function checkSelection(select: SinceSelection): Checked<CheckedSelection> {
  if (typeof select !== 'object' || select === null || !Array.isArray(select.anyOf)) {
    return badFilter('select.anyOf', 'it must be a list of filters');
  }
  const anyOf: CheckedEventFilter[] = [];
  for (const filter of select.anyOf) {
    const f = checkEventFilter(filter);
    if (!f.ok) return f;
    anyOf.push(f.value);
  }
  const firstBy: { field: GroupField; filter: CheckedEventFilter }[] = [];
  for (const first of select.firstBy ?? []) {
    const g = checkGroupField(first.field);
    if (!g.ok) return g;
    const f = checkEventFilter(first.filter);
    if (!f.ok) return f;
    firstBy.push({ field: g.value, filter: f.value });
  }
  return { ok: true, value: { anyOf, firstBy } };
}
