/**
 * What a store keeps of each event and dead letter besides the document: the fields queries
 * filter on, checked once at write time. Shared by every store so that they agree on what is
 * valid and on what each field means.
 */
import type { DeadLetter, RecoveryEvent } from '../../parsers/event.js';
import { storeError, type StoreError } from './errors.js';
import type { GroupField } from './event-store.js';

export interface EventRecord {
  readonly id: string;
  /** `@timestamp` in milliseconds since the epoch. */
  readonly tsMs: number;
  readonly host: string;
  readonly instance: string;
  readonly module: string | null;
  readonly kernel: string | null;
  readonly action: string;
  readonly status: string | null;
  readonly outcome: string;
  readonly code: string | null;
  readonly dataset: string;
  readonly osLine: string;
  readonly correlationId: string | null;
  readonly parentId: string | null;
  readonly message: string | null;
  readonly filePath: string | null;
  /** The document as stored (with `event.ingested`). */
  readonly event: RecoveryEvent;
}

export interface DeadLetterRecord {
  readonly id: string;
  readonly tsMs: number;
  readonly reason: string;
  readonly filePath: string | null;
  readonly dataset: string;
  readonly deadLetter: DeadLetter;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StoreError };

/** The record field behind each group field. */
export const GROUP_FIELD_OF: Readonly<Record<GroupField, keyof EventRecord>> = {
  host: 'host',
  instance: 'instance',
  module: 'module',
  kernel: 'kernel',
  action: 'action',
  status: 'status',
  outcome: 'outcome',
  code: 'code',
  dataset: 'dataset',
  osLine: 'osLine',
  correlationId: 'correlationId',
};

/** Milliseconds of an ISO 8601 timestamp with a zone, or null when it is not one. */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  // A date-time with a zone (Z or ±hh:mm): Date.parse alone would read a zone-less time as local.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** Unicode code point order, which is UTF-8 byte order (DuckDB's and Elasticsearch's). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF: they sort after 0xE000-0xFFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Stable order of the store: timestamp, then id. */
export function compareRecords(a: { tsMs: number; id: string }, b: { tsMs: number; id: string }): number {
  return a.tsMs !== b.tsMs ? a.tsMs - b.tsMs : compareCodePoints(a.id, b.id);
}

export function toEventRecord(event: RecoveryEvent, index: number, ingested: string): Checked<EventRecord> {
  const bad = (why: string): Checked<EventRecord> => ({
    ok: false,
    error: storeError('PIP_ERR_STORE_INVALID_EVENT', [index, why], { index }),
  });
  // Callers are typed, but batches come from other processes and plain JavaScript too.
  const e: unknown = event;
  if (!isObject(e)) return bad('it is not an object');
  const ev = e['event'];
  if (!isObject(ev)) return bad('event is missing');
  const id = ev['id'];
  if (typeof id !== 'string' || id === '') return bad('event.id is missing or empty');
  const tsMs = parseTimestamp(e['@timestamp']);
  if (tsMs === null) return bad(`@timestamp ${JSON.stringify(e['@timestamp'])} is not an ISO 8601 time with a zone`);
  const host = e['host'];
  const recovery = e['recovery'];
  if (!isObject(host) || typeof host['name'] !== 'string') return bad('host.name is missing');
  if (!isObject(recovery)) return bad('recovery is missing');
  const badField =
    mustBeString('event.action', ev['action'], true) ??
    mustBeString('event.outcome', ev['outcome'], true) ??
    mustBeString('event.dataset', ev['dataset'], true) ??
    mustBeString('event.code', ev['code'], false) ??
    mustBeString('recovery.instance', recovery['instance'], true) ??
    mustBeString('recovery.os_line', recovery['os_line'], true) ??
    mustBeString('recovery.module', recovery['module'], false) ??
    mustBeString('recovery.kernel', recovery['kernel'], false) ??
    mustBeString('recovery.status', recovery['status'], false) ??
    mustBeString('recovery.correlation_id', recovery['correlation_id'], false) ??
    mustBeString('recovery.parent_id', recovery['parent_id'], false) ??
    mustBeString('message', e['message'], false);
  if (badField !== null) return bad(badField);
  const file = e['file'];
  if (file !== undefined && (!isObject(file) || (file['path'] !== undefined && typeof file['path'] !== 'string'))) {
    return bad('file.path must be a string');
  }
  const stored: RecoveryEvent =
    event.event.ingested === undefined ? { ...event, event: { ...event.event, ingested } } : event;
  return {
    ok: true,
    value: {
      id,
      tsMs,
      host: event.host.name,
      instance: event.recovery.instance,
      module: event.recovery.module ?? null,
      kernel: event.recovery.kernel ?? null,
      action: event.event.action,
      status: event.recovery.status ?? null,
      outcome: event.event.outcome,
      code: event.event.code ?? null,
      dataset: event.event.dataset,
      osLine: event.recovery.os_line,
      correlationId: event.recovery.correlation_id ?? null,
      parentId: event.recovery.parent_id ?? null,
      message: event.message ?? null,
      filePath: event.file?.path ?? null,
      event: stored,
    },
  };
}

export function toDeadLetterRecord(deadLetter: DeadLetter, index: number, ingested: string): Checked<DeadLetterRecord> {
  const bad = (why: string): Checked<DeadLetterRecord> => ({
    ok: false,
    error: storeError('PIP_ERR_STORE_INVALID_DEAD_LETTER', [index, why], { index }),
  });
  const d: unknown = deadLetter;
  if (!isObject(d)) return bad('it is not an object');
  const ev = d['event'];
  if (!isObject(ev)) return bad('event is missing');
  const id = ev['id'];
  if (typeof id !== 'string' || id === '') return bad('event.id is missing or empty');
  const tsMs = parseTimestamp(d['@timestamp']);
  if (tsMs === null) return bad(`@timestamp ${JSON.stringify(d['@timestamp'])} is not an ISO 8601 time with a zone`);
  if (typeof ev['dataset'] !== 'string') return bad('event.dataset must be a string');
  if (typeof ev['original'] !== 'string') return bad('event.original must be a string');
  const error = d['error'];
  if (!isObject(error) || typeof error['type'] !== 'string' || typeof error['message'] !== 'string') {
    return bad('error.type and error.message must be strings');
  }
  const log = d['log'];
  if (log !== undefined) {
    const file = isObject(log) ? log['file'] : null;
    if (file !== undefined && (!isObject(file) || typeof file['path'] !== 'string')) return bad('log.file.path must be a string');
  }
  const recovery = d['recovery'];
  if (recovery !== undefined) {
    const session = isObject(recovery) ? recovery['rlog_session'] : null;
    if (!isObject(session) || !['id', 'host', 'version'].every((k) => typeof session[k] === 'string')) return bad('recovery.rlog_session must be an object of strings id, host and version');
  }
  const { replayed: _replayed, ...rest } = deadLetter;
  // Replay marks belong to the store (markReplayed), not to the writer.
  const stored: DeadLetter =
    rest.event.ingested === undefined ? { ...rest, event: { ...rest.event, ingested } } : rest;
  return {
    ok: true,
    value: {
      id,
      tsMs,
      reason: deadLetter.error.type,
      filePath: deadLetter.log?.file?.path ?? null,
      dataset: deadLetter.event.dataset,
      deadLetter: stored,
    },
  };
}

/** Why `value` is not a string (null when it is, or when it is absent and optional). */
function mustBeString(name: string, value: unknown, required: boolean): string | null {
  if (typeof value === 'string' || (value === undefined && !required)) return null;
  return `${name} must be a string`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
