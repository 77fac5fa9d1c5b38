/**
 * The AlertStore: where alerts are kept and served. Implementations: `memory-store.ts` (the
 * reference, for tests) and `duckdb-store.ts` (`<data>/alerts.duckdb`, apart from the event
 * store's file). Both pass test/alerts/alert-store.suite.ts.
 *
 * Writes are idempotent by alert id (`event.id`): writing an alert replaces the stored document
 * of that id, and writing the same document again changes nothing. The evaluator's position in
 * the event store (its checkpoint, a write-order seq) is stored in the same transaction as the
 * alerts it produced, so a restart never skips nor loses an evaluation.
 *
 * Order: lists are in `@timestamp` (firing time) order, ties by id; cursors are positions in that
 * order. Bad input (a cursor, a filter, a document that is not an alert) and failures of the
 * store are thrown as AlertStoreError, with the code and HTTP status of errors.ts.
 */
import { ALERT_STATUSES, isAlert, type Alert, type AlertStatus } from './alert.js';
import { AlertStoreError } from './errors.js';
import type { AlertLinks } from '../store/trace.js';

export interface AlertFilter {
  /** `rule.id`, any of these. */
  readonly rule?: readonly string[];
  /** Any of these statuses; every status when absent. */
  readonly status?: readonly AlertStatus[];
  /** `host.name` or one of `related.hosts`. */
  readonly host?: string;
  /** `recovery.module` */
  readonly module?: string;
  /** `recovery.correlation_id`: the alert whose restore (and trace) has this id. */
  readonly correlationId?: string;
  /** Fired at or after (ISO 8601). */
  readonly from?: string;
  /** Fired before (ISO 8601). */
  readonly to?: string;
}

export interface AlertPageRequest {
  /** At most this many; 0 for no limit. */
  readonly limit: number;
  readonly cursor?: string;
}

export interface AlertPage {
  readonly alerts: readonly Alert[];
  readonly nextCursor: string | null;
}

export interface PutResult {
  /** Stored new, or stored over a different document. */
  readonly written: number;
  /** Equal to the stored document: nothing changed. */
  readonly unchanged: number;
}

export interface AlertStore {
  /** Stores alerts (and, when given, the evaluator's checkpoint) in one transaction. */
  put(alerts: readonly Alert[], checkpoint?: number): Promise<PutResult>;
  get(id: string): Promise<Alert | null>;
  query(filter: AlertFilter, page: AlertPageRequest): Promise<AlertPage>;
  /** Every alert that is not withdrawn (to seed the rule engine after a restart). */
  current(): Promise<readonly Alert[]>;
  /** The evaluator's checkpoint: the last event-store seq it evaluated; 0 before the first. */
  checkpoint(): Promise<number>;
  close(): Promise<void>;
}

export const ALERTS_FILE_NAME = 'alerts.duckdb';

/** A filter checked once: times as milliseconds, lists non-empty. */
export interface CheckedAlertFilter {
  readonly rules: ReadonlySet<string> | null;
  readonly statuses: ReadonlySet<AlertStatus> | null;
  readonly host: string | null;
  readonly module: string | null;
  readonly correlationId: string | null;
  readonly fromMs: number | null;
  readonly toMs: number | null;
}

function time(name: string, v: string | undefined): number | null {
  if (v === undefined) return null;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(ms)) throw new AlertStoreError('PIP_ERR_ALERTS_BAD_FILTER', [name, `"${v}" is not an ISO 8601 time with a zone`]);
  return ms;
}

export function checkAlertFilter(f: AlertFilter): CheckedAlertFilter {
  if (f.rule !== undefined && f.rule.length === 0) throw new AlertStoreError('PIP_ERR_ALERTS_BAD_FILTER', ['rule', 'an empty list']);
  if (f.status !== undefined) {
    if (f.status.length === 0) throw new AlertStoreError('PIP_ERR_ALERTS_BAD_FILTER', ['status', 'an empty list']);
    for (const s of f.status) if (!(ALERT_STATUSES as readonly string[]).includes(s)) throw new AlertStoreError('PIP_ERR_ALERTS_BAD_FILTER', ['status', `"${s}" is not one of ${ALERT_STATUSES.join(', ')}`]);
  }
  return {
    rules: f.rule === undefined ? null : new Set(f.rule),
    statuses: f.status === undefined ? null : new Set(f.status),
    host: f.host ?? null,
    module: f.module ?? null,
    correlationId: f.correlationId ?? null,
    fromMs: time('from', f.from),
    toMs: time('to', f.to),
  };
}

export interface CursorPosition {
  readonly tsMs: number;
  readonly id: string;
}

export function encodeAlertCursor(p: CursorPosition): string {
  return Buffer.from(JSON.stringify([p.tsMs, p.id])).toString('base64url');
}

export function decodeAlertCursor(cursor: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AlertStoreError('PIP_ERR_ALERTS_BAD_CURSOR', [JSON.stringify(cursor)]);
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'number' || !Number.isSafeInteger(parsed[0]) || typeof parsed[1] !== 'string') {
    throw new AlertStoreError('PIP_ERR_ALERTS_BAD_CURSOR', [JSON.stringify(cursor)]);
  }
  return { tsMs: parsed[0], id: parsed[1] };
}

export function checkLimit(limit: number): number | null {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new AlertStoreError('PIP_ERR_ALERTS_BAD_FILTER', ['limit', `${limit} is not a whole number >= 0`]);
  return limit === 0 ? null : limit;
}

/** Checks a batch before anything is written; the last document of an id wins. */
export function checkBatch(alerts: readonly unknown[]): Alert[] {
  const byId = new Map<string, Alert>();
  for (const [i, a] of alerts.entries()) {
    if (!isAlert(a)) throw new AlertStoreError('PIP_ERR_ALERTS_INVALID', [i, 'event.kind alert, event.id, rule.id, recovery.correlation_id and recovery.alert (status, key, fired_at) are required']);
    if (Number.isNaN(Date.parse(a['@timestamp']))) throw new AlertStoreError('PIP_ERR_ALERTS_INVALID', [i, '@timestamp is not a time']);
    byId.delete(a.event.id);
    byId.set(a.event.id, a);
  }
  return [...byId.values()];
}

export function compareAlerts(a: Alert, b: Alert): number {
  const ta = Date.parse(a['@timestamp']);
  const tb = Date.parse(b['@timestamp']);
  return ta - tb || (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0);
}

/** Whether an alert passes a checked filter (the memory store's query; the reference). */
export function alertMatches(a: Alert, f: CheckedAlertFilter): boolean {
  if (f.rules !== null && !f.rules.has(a.rule.id)) return false;
  if (f.statuses !== null && !f.statuses.has(a.recovery.alert.status)) return false;
  if (f.host !== null && a.host?.name !== f.host && !a.related.hosts.includes(f.host)) return false;
  if (f.module !== null && a.recovery.module !== f.module) return false;
  if (f.correlationId !== null && a.recovery.correlation_id !== f.correlationId) return false;
  const ts = Date.parse(a['@timestamp']);
  if (f.fromMs !== null && ts < f.fromMs) return false;
  if (f.toMs !== null && ts >= f.toMs) return false;
  return true;
}

/** The alerts of a correlation id (one, but for a hash collision) as a linked trace wants them (store/trace.ts). */
export async function alertLinksOf(alerts: AlertStore, correlationId: string): Promise<AlertLinks[]> {
  const page = await alerts.query({ correlationId }, { limit: 0 });
  return page.alerts.map((a) => ({ alertId: a.event.id, relatedEventIds: a.recovery.alert.related_event_ids }));
}
