/**
 * Events as the DuckDB store stages them: checked, serialized and packed into UTF-8 texts of up
 * to STAGE_ROWS events each, by a pure function that needs no DuckDB, so that it can run where the
 * events are made — in a parse worker thread — as well as in the store. The texts cross threads
 * without a copy (transferred buffers) and cost DuckDB's appender one call each, where a value per
 * field or per event cost a call into the native binding (0.4-1.8 µs each, with a UTF-16 to UTF-8
 * conversion); DuckDB splits them again on its own threads (splitting a text of 10,000 rows costs
 * it 20 times more per row than of 512: its lists are built by doubling copies).
 *
 * A text (format version 1, read by insertEvents in duckdb-store.ts): rows separated by RS
 * (U+001E), each row's parts separated by US (U+001F):
 *
 *   ix US ts_ms US flags US <15 fields in PACKED_FIELDS order> US doc
 *
 * `ix` is the event's position in its text, `ts_ms` the `@timestamp` in ms, `flags` bit k set when
 * field k is null (written as ''), `doc` is `JSON.stringify(event)`. JSON escapes every control
 * character, so a document never holds RS or US. A field that holds RS or US itself (allowed,
 * never seen in practice) cannot be packed: its row sets bit ESCAPED and carries, instead of the
 * 15 fields, one JSON array of them (`ix US ts_ms US flags US json US doc`).
 */
import type { RecoveryEvent } from '../../parsers/event.js';
import type { StoreError } from './errors.js';
import { toEventRecord, type EventRecord } from './record.js';

/** The filter fields of an event, in packing order: its column in `events`, and whether nullable. */
export const PACKED_FIELDS = [
  ['id', false],
  ['host', false],
  ['instance', false],
  ['module', true],
  ['kernel', true],
  ['action', false],
  ['status', true],
  ['outcome', false],
  ['code', true],
  ['dataset', false],
  ['os_line', false],
  ['correlation_id', true],
  ['parent_id', true],
  ['message', true],
  ['file_path', true],
] as const;

/** Flag of a row whose fields come as a JSON array (one of them holds RS or US). */
export const ESCAPED = 1 << 15;

export const RS = '\x1e';
export const US = '\x1f';

/** A UTF-16 surrogate without its pair: not a character, so not valid UTF-8 either. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Events per staged text. */
export const STAGE_ROWS = 512;

/** Checked events staged as texts, in batch order, each id once. */
export interface StagedEvents {
  readonly rows: number;
  /** The events' ids in row order, as a JSON array (for the duplicate check across parts). */
  readonly ids: string;
  /** UTF-8 texts in the format above, of STAGE_ROWS rows each (the last one fewer). */
  readonly texts: Uint8Array<ArrayBuffer>[];
}

const utf8 = new TextEncoder();

export type StageResult =
  | { readonly ok: true; readonly staged: StagedEvents }
  | { readonly ok: false; readonly error: StoreError };

/** Stages records already checked (and each id once) by the caller. */
export function stageRecords(records: readonly EventRecord[]): StagedEvents {
  const rows = new Array<string>(records.length);
  const ids = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r === undefined) throw new Error('stageRecords: a hole in the records');
    ids[i] = r.id;
    // In PACKED_FIELDS order.
    const f0 = r.id, f1 = r.host, f2 = r.instance, f3 = r.module, f4 = r.kernel, f5 = r.action, f6 = r.status, f7 = r.outcome;
    const f8 = r.code, f9 = r.dataset, f10 = r.osLine, f11 = r.correlationId, f12 = r.parentId, f13 = r.message, f14 = r.filePath;
    const flags =
      (f3 === null ? 1 << 3 : 0) | (f4 === null ? 1 << 4 : 0) | (f6 === null ? 1 << 6 : 0) | (f8 === null ? 1 << 8 : 0) |
      (f11 === null ? 1 << 11 : 0) | (f12 === null ? 1 << 12 : 0) | (f13 === null ? 1 << 13 : 0) | (f14 === null ? 1 << 14 : 0);
    const fields =
      f0 + US + f1 + US + f2 + US + (f3 ?? '') + US + (f4 ?? '') + US + f5 + US + (f6 ?? '') + US + f7 + US + (f8 ?? '') + US +
      f9 + US + f10 + US + (f11 ?? '') + US + (f12 ?? '') + US + (f13 ?? '') + US + (f14 ?? '');
    // Exactly the 14 separators put there, unless a field holds one itself.
    const clean = countUs(fields) === 14 && !fields.includes(RS);
    const doc = JSON.stringify(r.event);
    const ix = i % STAGE_ROWS;
    if (clean) rows[i] = ix + US + r.tsMs + US + flags + US + fields + US + doc;
    else {
      const list = [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14];
      // JSON keeps every character; a lone surrogate becomes the U+FFFD that the binding gives it
      // on the packed path.
      const json = JSON.stringify(list.map((v) => (v === null ? null : v.replace(LONE_SURROGATE, '\uFFFD'))));
      rows[i] = ix + US + r.tsMs + US + (flags | ESCAPED) + US + json + US + doc;
    }
  }
  const texts: Uint8Array<ArrayBuffer>[] = [];
  // TextEncoder, not Buffer.from: a small Buffer is a view of a shared pool, which a transfer
  // to another thread would take away. A lone surrogate becomes U+FFFD, as in the binding.
  for (let at = 0; at < rows.length; at += STAGE_ROWS) texts.push(utf8.encode(rows.slice(at, at + STAGE_ROWS).join(RS)));
  return { rows: records.length, ids: JSON.stringify(ids), texts };
}

function countUs(text: string): number {
  let count = 0;
  for (let at = text.indexOf(US); at !== -1; at = text.indexOf(US, at + 1)) count++;
  return count;
}

/**
 * Checks events as `writeBatch` does (the same errors, by index) and stages them, dropping an id
 * repeated in the batch (the first wins). `ingested` is set where an event has none.
 */
export function stageEvents(events: readonly RecoveryEvent[], ingested: string): StageResult {
  const records: EventRecord[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e === undefined) continue;
    const r = toEventRecord(e, i, ingested);
    if (!r.ok) return r;
    if (seen.has(r.value.id)) continue;
    seen.add(r.value.id);
    records.push(r.value);
  }
  return { ok: true, staged: stageRecords(records) };
}
