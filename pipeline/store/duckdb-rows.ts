/**
 * Reading the DuckDB store's result rows: numbers and strings checked, stored documents parsed
 * and checked against their row, pages cut with their next cursor.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { DeadLetter, RecoveryEvent } from '../../parsers/event.js';
import { StoreError, storeError } from './errors.js';
import { encodeCursor, type CheckedPage } from './query-input.js';

/** Rows are [ts_ms, id, ...]. */
export function cutPage(rows: DuckDBValue[][], page: CheckedPage): { items: DuckDBValue[][]; nextCursor: string | null } {
  if (page.limit === null || rows.length <= page.limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  if (last === undefined) return { items, nextCursor: null };
  return { items, nextCursor: encodeCursor({ tsMs: toNumber(last[0]), id: text(last[1], 'id') }) };
}

export function toNumber(value: DuckDBValue | undefined): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  throw storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', ['a number column', 'number', `got ${typeof value}`]);
}

export function nullableText(value: DuckDBValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function text(value: DuckDBValue | undefined, what: string): string {
  if (typeof value === 'string') return value;
  throw storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', [what, 'string', `got ${typeof value}`]);
}

function parseDoc(value: DuckDBValue | undefined, id: DuckDBValue | undefined, kind: string): Record<string, unknown> {
  const name = typeof id === 'string' ? id : 'an unknown id';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text(value, name));
  } catch (cause) {
    if (cause instanceof StoreError) throw cause;
    throw storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', [name, kind, 'not JSON']);
  }
  if (!isObject(parsed)) throw storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', [name, kind, 'not an object']);
  const doc = parsed;
  const event = doc['event'];
  if (!isObject(event) || event['id'] !== id) {
    throw storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', [name, kind, 'event.id differs from the id column']);
  }
  return doc;
}

/** The store wrote this document from a checked event (record.ts); this checks it is still that. */
export function parseEventDoc(value: DuckDBValue | undefined, id: DuckDBValue | undefined): RecoveryEvent {
  const doc = parseDoc(value, id, 'event');
  if (!isEventDoc(doc)) throw storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', [String(id), 'event', 'host or recovery missing']);
  return doc;
}

export function parseDeadLetterDoc(value: DuckDBValue | undefined, id: DuckDBValue | undefined): DeadLetter {
  const doc = parseDoc(value, id, 'dead letter');
  if (!isDeadLetterDoc(doc)) throw storeError('PIP_ERR_STORE_CORRUPT_DOCUMENT', [String(id), 'dead letter', 'error missing']);
  return doc;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEventDoc(doc: Record<string, unknown>): doc is Record<string, unknown> & RecoveryEvent {
  return (
    typeof doc['@timestamp'] === 'string' &&
    isObject(doc['host']) &&
    isObject(doc['recovery'])
  );
}

function isDeadLetterDoc(doc: Record<string, unknown>): doc is Record<string, unknown> & DeadLetter {
  return typeof doc['@timestamp'] === 'string' && isObject(doc['error']);
}
