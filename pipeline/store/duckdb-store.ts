/**
 * The DuckDB EventStore, the embedded default: one file, `<data>/kintsugi.duckdb`.
 *
 * Tables (schema version 1):
 *   events        seq (write order), the filter fields as typed columns, derived keys (id_key,
 *                 cid_hash, search) + `doc`, the whole event as JSON text
 *   dead_letters  reason, file path, time, replay mark + `doc`
 *   trace_ranges  per correlation id hash, the seq ranges holding its events
 *   kintsugi_meta key/value: schema_version
 *
 * Writes: a batch is checked and packed in JavaScript (staged-events.ts: UTF-8 texts of 512
 * events, made here or in a parse worker), appended through DuckDB's appender into a temporary
 * staging table (STAGE_COLUMNS), then split and moved with `INSERT ... SELECT ... WHERE NOT
 * EXISTS` (an anti-join on the md5 of the id), all in one transaction: idempotent on `event.id`
 * without a unique index (DuckDB's ART index costs memory and did not speed point lookups here).
 * Reads use a second
 * connection, so they see committed batches only. Every value from a caller is a bound
 * parameter, never SQL text; the only numbers written into SQL text are placeholders.
 *
 * DuckDB lets one process open a file for writing; see README.md.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIGINT,
  DuckDBConnection,
  DuckDBInstance,
  VARCHAR,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { DeadLetter, RecoveryEvent } from '../../parsers/event.js';
import { describeCause, StoreError, storeError } from './errors.js';
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
  checkBucket,
  checkDeadLetterFilter,
  checkEventFilter,
  checkGroupField,
  checkIds,
  checkPage,
  checkReplays,
  checkSelection,
  checkSincePage,
  type CheckedSelection,
} from './query-input.js';
import { cutPage, nullableText, parseDeadLetterDoc, parseEventDoc, toNumber } from './duckdb-rows.js';
import { afterCursor, deadLetterWhere, eventWhere, GROUP_COLUMN, idsWhere, limitSql, Params } from './duckdb-sql.js';
import { compareRecords, toDeadLetterRecord, type DeadLetterRecord } from './record.js';
import { ESCAPED, PACKED_FIELDS, STAGE_ROWS, stageEvents, type StagedEvents } from './staged-events.js';
import { buildTrace } from './trace.js';
import { SerialQueue } from './serial-queue.js';

export const STORE_FILE_NAME = 'kintsugi.duckdb';
export const SCHEMA_VERSION = 1;

export interface DuckDbStoreOptions {
  /** The data folder; created when missing. The file is `<dataDir>/kintsugi.duckdb`. */
  readonly dataDir: string;
  /** The clock for `event.ingested`; defaults to the system clock. */
  readonly now?: () => Date;
  /** DuckDB worker threads; DuckDB's default (all cores) when absent. */
  readonly threads?: number;
  /** DuckDB's memory limit, e.g. '1GB'; DuckDB's default (80% of RAM) when absent. */
  readonly memoryLimit?: string;
  /**
   * WAL size that triggers a checkpoint (DuckDB's `checkpoint_threshold`), default '256MB'.
   * DuckDB's own default (16MB) checkpoints every few batches and halves the write rate; a larger
   * WAL costs a longer replay when the process is killed.
   */
  readonly checkpointThreshold?: string;
  /**
   * Documents of a page whose seqs span at most this many are read with one range scan, others
   * one by one (default 250,000, about two row groups). A tuning knob; tests set 0.
   */
  readonly closeSeqSpan?: number;
}

/** Column order of `events`. */
const EVENT_COLUMNS = [
  ['seq', 'BIGINT NOT NULL'],
  ['id', 'VARCHAR NOT NULL'],
  ['ts_ms', 'BIGINT NOT NULL'],
  ['host', 'VARCHAR NOT NULL'],
  ['instance', 'VARCHAR NOT NULL'],
  ['module', 'VARCHAR'],
  ['kernel', 'VARCHAR'],
  ['action', 'VARCHAR NOT NULL'],
  ['status', 'VARCHAR'],
  ['outcome', 'VARCHAR NOT NULL'],
  ['code', 'VARCHAR'],
  ['dataset', 'VARCHAR NOT NULL'],
  ['os_line', 'VARCHAR NOT NULL'],
  ['correlation_id', 'VARCHAR'],
  ['parent_id', 'VARCHAR'],
  ['message', 'VARCHAR'],
  ['file_path', 'VARCHAR'],
  ['doc', 'VARCHAR NOT NULL'],
] as const;

/**
 * Columns of `events` that the INSERT derives from the staged ones (in SQL: DuckDB's vectorized
 * functions, on its own threads, cost less than the same work in JavaScript). md5 rather than
 * DuckDB's hash(): md5 is the same in every DuckDB release, and these values are stored.
 * - `id_key`: the 128-bit md5 of `event.id`, the key of the idempotency anti-join (probing 16-byte
 *   integers instead of strings; a collision among 10^9 ids has a chance of about 10^-21);
 * - `cid_hash`: 64-bit md5 of the correlation id, for `trace_ranges`;
 * - `search`: lower(message) LF lower(file.path), what free-text search scans.
 */
const DERIVED_EVENT_COLUMNS = [
  ['id_key', 'UHUGEINT NOT NULL', 's.id_key'],
  // The value of md5_number_upper() (bits 65-128 of md5_number's bit string: its low 64 bits),
  // which trace() uses, without that macro's trip through a 128-character bit string (0.4 µs a row).
  ['cid_hash', 'UBIGINT', '(md5_number(s.correlation_id) & 18446744073709551615::UHUGEINT)::UBIGINT'],
  ['search', 'VARCHAR NOT NULL', "lower(coalesce(s.message, '')) || chr(10) || lower(coalesce(s.file_path, ''))"],
] as const;

/**
 * `trace_ranges`: for each correlation id (by hash), the seq range of each write that stored some
 * of its events. `seq` grows with every write, so DuckDB's zone maps turn that range into the few
 * row groups a trace reads, instead of a scan of the whole table.
 */
const INSERT_TRACE_RANGES =
  'INSERT INTO trace_ranges SELECT cid_hash, min(seq), max(seq) FROM events ' +
  'WHERE seq > $1 AND cid_hash IS NOT NULL GROUP BY cid_hash';

/** Pages up to this many events fetch their documents in a second step (see queryEvents). */
const TWO_STEP_MAX = 256;

/** A seq span read whole when fetching documents: about two of DuckDB's row groups. */
const CLOSE_SEQ_SPAN = 250_000;

const DEAD_LETTER_COLUMNS = [
  ['seq', 'BIGINT NOT NULL'],
  ['id', 'VARCHAR NOT NULL'],
  ['ts_ms', 'BIGINT NOT NULL'],
  ['reason', 'VARCHAR NOT NULL'],
  ['file_path', 'VARCHAR'],
  ['dataset', 'VARCHAR NOT NULL'],
  ['replayed_at', 'VARCHAR'],
  ['replayed_event_id', 'VARCHAR'],
  ['doc', 'VARCHAR NOT NULL'],
] as const;

/**
 * The staging table: one row per staged text (up to STAGE_ROWS events in the format of
 * staged-events.ts, as UTF-8 bytes), `base` the position of its first event in the batch.
 */
const STAGE_COLUMNS = [
  ['base', 'INTEGER'],
  ['text', 'BLOB'],
] as const;

/** Field k of a staged row: null when its flag says so, else from the packed parts or the JSON list. */
function fieldSql(k: number): string {
  const [, nullable] = PACKED_FIELDS[k] ?? ['', false];
  const value = `CASE WHEN j IS NULL THEN p[${k + 4}] ELSE j[${k + 1}] END`;
  return nullable ? `CASE WHEN (flags & ${1 << k}) <> 0 THEN NULL ELSE ${value} END` : value;
}

/**
 * The move from staging into `events`: split the parts into rows and the rows into fields (DuckDB's
 * vectorized `string_split`, on its own threads), derive the keys, and skip the ids already
 * stored. $1 is the seq before the batch. `dedupe` also keeps only the first of an id repeated
 * across parts (within a part the stager already did).
 */
function insertEvents(dedupe: boolean): string {
  // decode() checks that the bytes are UTF-8.
  const rows = 'SELECT base, unnest(string_split(decode(text), chr(30))) AS r FROM stage_events';
  const parts = `SELECT base, string_split(r, chr(31)) AS p FROM (${rows})`;
  const flagged =
    `SELECT base + p[1]::INTEGER AS ix, p[2]::BIGINT AS ts_ms, p[3]::INTEGER AS flags, p, ` +
    `CASE WHEN (p[3]::INTEGER & ${ESCAPED}) <> 0 THEN from_json(p[4], '["VARCHAR"]') END AS j FROM (${parts})`;
  const fields =
    'SELECT ix, ts_ms, CASE WHEN j IS NULL THEN p[19] ELSE p[5] END AS doc, ' +
    PACKED_FIELDS.map(([name], k) => `${fieldSql(k)} AS ${name}`).join(', ') +
    ` FROM (${flagged})`;
  // The key once, for the column and the anti-join.
  const unpacked = `SELECT *, md5_number(id) AS id_key FROM (${fields})`;
  const columns = [...EVENT_COLUMNS.map(([name]) => name), ...DERIVED_EVENT_COLUMNS.map(([name]) => name)];
  const values = [
    ...EVENT_COLUMNS.map(([name]) => (name === 'seq' ? '$1 + s.ix + 1' : `s.${name}`)),
    ...DERIVED_EVENT_COLUMNS.map(([, , expr]) => expr),
  ];
  return (
    `INSERT INTO events (${columns.join(', ')}) SELECT ${values.join(', ')} FROM (${unpacked}) s ` +
    'WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id_key = s.id_key)' +
    (dedupe ? ' QUALIFY row_number() OVER (PARTITION BY s.id ORDER BY s.ix) = 1' : '')
  );
}
const INSERT_EVENTS = insertEvents(false);
const INSERT_EVENTS_DEDUPE = insertEvents(true);

/** Whether an id is in more than one part (then the INSERT must drop the later ones). */
function repeatsAcrossParts(parts: readonly StagedEvents[]): boolean {
  if (parts.length < 2) return false;
  const seen = new Set<string>();
  for (const part of parts) {
    const ids: unknown = JSON.parse(part.ids);
    if (!Array.isArray(ids)) throw new Error('staged events: ids is not a list');
    for (const id of ids) {
      if (typeof id !== 'string' || seen.has(id)) return true;
      seen.add(id);
    }
  }
  return false;
}

function columnsDdl(columns: readonly (readonly [string, string])[]): string {
  return columns.map(([name, type]) => `${name} ${type}`).join(', ');
}

export class DuckDbEventStore implements EventStore {
  readonly path: string;
  private readonly instance: DuckDBInstance;
  private readonly writer: DuckDBConnection;
  private readonly reader: DuckDBConnection;
  private readonly now: () => Date;
  private readonly closeSeqSpan: number;
  private readonly writes = new SerialQueue();
  private readonly reads = new SerialQueue();
  private seq: number;
  private deadSeq: number;
  private closed = false;

  private constructor(
    path: string,
    instance: DuckDBInstance,
    writer: DuckDBConnection,
    reader: DuckDBConnection,
    now: () => Date,
    seq: number,
    deadSeq: number,
    closeSeqSpan: number,
  ) {
    this.closeSeqSpan = closeSeqSpan;
    this.path = path;
    this.instance = instance;
    this.writer = writer;
    this.reader = reader;
    this.now = now;
    this.seq = seq;
    this.deadSeq = deadSeq;
  }

  /** Opens (creating when missing) the store file of a data folder. Throws a StoreError. */
  static async open(options: DuckDbStoreOptions): Promise<DuckDbEventStore> {
    const path = join(options.dataDir, STORE_FILE_NAME);
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config['threads'] = String(options.threads);
    if (options.memoryLimit !== undefined) config['memory_limit'] = options.memoryLimit;
    config['checkpoint_threshold'] = options.checkpointThreshold ?? '256MB';
    let instance: DuckDBInstance;
    try {
      mkdirSync(options.dataDir, { recursive: true });
      instance = await DuckDBInstance.create(path, config);
    } catch (cause) {
      const message = describeCause(cause);
      if (/lock/i.test(message)) throw new StoreError('PIP_ERR_STORE_LOCKED', [path, message], { path }, { cause });
      throw new StoreError('PIP_ERR_STORE_OPEN_FAILED', [path, message], { path }, { cause });
    }
    try {
      const writer = await instance.connect();
      await migrate(writer, path);
      const reader = await instance.connect();
      const seq = await maxSeq(writer, 'events');
      const deadSeq = await maxSeq(writer, 'dead_letters');
      const now = options.now ?? (() => new Date());
      return new DuckDbEventStore(path, instance, writer, reader, now, seq, deadSeq, options.closeSeqSpan ?? CLOSE_SEQ_SPAN);
    } catch (cause) {
      instance.closeSync();
      if (cause instanceof StoreError) throw cause;
      throw new StoreError('PIP_ERR_STORE_OPEN_FAILED', [path, describeCause(cause)], { path }, { cause });
    }
  }

  async writeBatch(events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[]): Promise<WriteResult> {
    this.assertOpen('writeBatch');
    const ingested = this.now().toISOString();
    const staged = stageEvents(events, ingested);
    if (!staged.ok) return staged;
    return this.writeStaged([staged.staged], deadLetters, events.length, ingested);
  }

  /**
   * `writeBatch` of events already checked and staged (`stageEvents`, e.g. in parse workers), in
   * parts that are written in order: the same transaction and counts, without the per-event work
   * on this thread. `received` is how many events the parts had before their repeated ids were
   * dropped (those count as duplicates).
   */
  async writeStaged(
    parts: readonly StagedEvents[],
    deadLetters: readonly DeadLetter[],
    received: number = parts.reduce((n, p) => n + p.rows, 0),
    ingested: string = this.now().toISOString(),
  ): Promise<WriteResult> {
    this.assertOpen('writeBatch');
    const seen = new Set<string>();
    const deadRecords: DeadLetterRecord[] = [];
    for (const [i, d] of deadLetters.entries()) {
      const r = toDeadLetterRecord(d, i, ingested);
      if (!r.ok) return r;
      if (seen.has(r.value.id)) continue;
      seen.add(r.value.id);
      deadRecords.push(r.value);
    }
    const insert = repeatsAcrossParts(parts) ? INSERT_EVENTS_DEDUPE : INSERT_EVENTS;
    const texts: { base: number; text: Uint8Array }[] = [];
    let rows = 0;
    for (const part of parts) {
      part.texts.forEach((text, k) => texts.push({ base: rows + k * STAGE_ROWS, text }));
      rows += part.rows;
    }
    return this.writes.run(async () => {
      this.assertOpen('writeBatch');
      const c = this.writer;
      const seqBefore = this.seq;
      try {
        await c.run('BEGIN TRANSACTION');
        let insertedEvents = 0;
        if (rows > 0) {
          await this.appendEvents(texts);
          const r = await c.run(insert, [BigInt(seqBefore)], [BIGINT]);
          this.seq += rows;
          insertedEvents = r.rowsChanged;
          if (insertedEvents > 0) await c.run(INSERT_TRACE_RANGES, [BigInt(seqBefore)], [BIGINT]);
          await c.run('DELETE FROM stage_events');
        }
        let insertedDead = 0;
        if (deadRecords.length > 0) {
          await this.appendDeadLetters(deadRecords);
          const r = await c.run(
            'INSERT INTO dead_letters SELECT s.* FROM stage_dead_letters s WHERE NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.id = s.id)',
          );
          insertedDead = r.rowsChanged;
          await c.run('DELETE FROM stage_dead_letters');
        }
        await c.run('COMMIT');
        const eventCounts: WriteCounts = { inserted: insertedEvents, duplicates: received - insertedEvents };
        const deadCounts: WriteCounts = { inserted: insertedDead, duplicates: deadLetters.length - insertedDead };
        return { ok: true, events: eventCounts, deadLetters: deadCounts };
      } catch (cause) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw new StoreError(
          'PIP_ERR_STORE_WRITE_FAILED',
          [received, deadLetters.length, describeCause(cause)],
          {},
          { cause },
        );
      }
    });
  }

  async queryEvents(filter: EventFilter, page: PageRequest): Promise<EventPage> {
    this.assertOpen('queryEvents');
    const f = checkEventFilter(filter);
    if (!f.ok) return f;
    const p = checkPage(page);
    if (!p.ok) return p;
    const params = new Params();
    const where = [...eventWhere(f.value, params), ...afterCursor(p.value, params)].join(' AND ');
    if (p.value.limit === null || p.value.limit > TWO_STEP_MAX) {
      const sql = `SELECT ts_ms, id, doc FROM events WHERE ${where} ORDER BY ts_ms, id ${limitSql(p.value, params)}`;
      const rows = await this.read('queryEvents', sql, params);
      const { items, nextCursor } = cutPage(rows, p.value);
      return { ok: true, events: items.map((row) => parseEventDoc(row[2], row[1])), nextCursor };
    }
    // Small pages in two steps: the order and the page from the narrow columns, then the
    // documents by seq. Reading `doc` in the first step would decompress the document of
    // every row the filter looks at, not only of the rows of the page.
    const sql = `SELECT ts_ms, id, seq FROM events WHERE ${where} ORDER BY ts_ms, id ${limitSql(p.value, params)}`;
    const { items, nextCursor } = cutPage(await this.read('queryEvents', sql, params), p.value);
    const docs = await this.fetchDocs(items.map((row) => toNumber(row[2])));
    const events = items.map((row) => parseEventDoc(docs.get(toNumber(row[2])), row[1]));
    return { ok: true, events, nextCursor };
  }

  async trace(correlationId: string): Promise<TraceResult> {
    this.assertOpen('trace');
    const f = checkEventFilter({ correlationId });
    if (!f.ok) return f;
    const rangeParams = new Params();
    const range = await this.read(
      'trace',
      `SELECT any_value(cid_hash), min(min_seq), max(max_seq)
       FROM trace_ranges WHERE cid_hash = md5_number_upper(${rangeParams.text(correlationId)})`,
      rangeParams,
    );
    const [hash, minSeq, maxSeq] = range[0] ?? [];
    if (typeof hash !== 'bigint' || minSeq === null || maxSeq === null) {
      return { ok: true, trace: buildTrace(correlationId, []) };
    }
    const params = new Params();
    const rows = await this.read(
      'trace',
      `SELECT doc, id FROM events
       WHERE seq BETWEEN ${params.int(toNumber(minSeq))} AND ${params.int(toNumber(maxSeq))}
         AND cid_hash = ${params.ubigint(hash)} AND correlation_id = ${params.text(correlationId)}
       ORDER BY ts_ms, id`,
      params,
    );
    const events = rows.map((row) => parseEventDoc(row[0], row[1]));
    return { ok: true, trace: buildTrace(correlationId, events) };
  }

  async eventsById(ids: readonly string[]): Promise<EventsByIdResult> {
    this.assertOpen('eventsById');
    const checked = checkIds(ids);
    if (!checked.ok) return checked;
    if (checked.value.length === 0) return { ok: true, events: [] };
    // In two steps as small pages are (queryEvents): the rows from the narrow columns, then their
    // documents by seq, so that only the found documents are decompressed.
    const params = new Params();
    const rows = await this.read('eventsById', `SELECT ts_ms, id, seq FROM events WHERE ${idsWhere(checked.value, params)}`, params);
    const found = rows.map((row) => ({ tsMs: toNumber(row[0]), id: String(row[1]), seq: toNumber(row[2]) })).sort(compareRecords);
    const docs = await this.fetchDocs(found.map((r) => r.seq));
    return { ok: true, events: found.map((r) => parseEventDoc(docs.get(r.seq), r.id)) };
  }

  async countBy(field: GroupField, filter: EventFilter): Promise<CountResult> {
    this.assertOpen('countBy');
    const g = checkGroupField(field);
    if (!g.ok) return g;
    const f = checkEventFilter(filter);
    if (!f.ok) return f;
    const params = new Params();
    const column = GROUP_COLUMN[g.value];
    const rows = await this.read(
      'countBy',
      `SELECT ${column} AS k, count(*) AS n FROM events WHERE ${eventWhere(f.value, params).join(' AND ')}
       GROUP BY ${column} ORDER BY n DESC, k ASC NULLS LAST`,
      params,
    );
    return { ok: true, field: g.value, counts: rows.map((row) => ({ key: nullableText(row[0]), count: toNumber(row[1]) })) };
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
    const params = new Params();
    const width = params.int(b.value);
    const key = groupBy === null ? 'NULL::VARCHAR' : GROUP_COLUMN[groupBy];
    const rows = await this.read(
      'countByTimeBucket',
      `SELECT ts_ms - (((ts_ms % ${width}) + ${width}) % ${width}) AS bucket, ${key} AS k, count(*) AS n
       FROM events WHERE ${eventWhere(f.value, params).join(' AND ')}
       GROUP BY ALL ORDER BY bucket, k ASC NULLS LAST`,
      params,
    );
    const buckets = rows.map((row) => ({
      start: new Date(toNumber(row[0])).toISOString(),
      key: nullableText(row[1]),
      count: toNumber(row[2]),
    }));
    return { ok: true, bucketMs: b.value, field: groupBy, buckets };
  }

  async queryDeadLetters(filter: DeadLetterFilter, page: PageRequest): Promise<DeadLetterPage> {
    this.assertOpen('queryDeadLetters');
    const f = checkDeadLetterFilter(filter);
    if (!f.ok) return f;
    const p = checkPage(page);
    if (!p.ok) return p;
    const params = new Params();
    const where = [...deadLetterWhere(f.value, params), ...afterCursor(p.value, params)].join(' AND ');
    const rows = await this.read(
      'queryDeadLetters',
      `SELECT ts_ms, id, doc, replayed_at, replayed_event_id FROM dead_letters
       WHERE ${where} ORDER BY ts_ms, id ${limitSql(p.value, params)}`,
      params,
    );
    const { items, nextCursor } = cutPage(rows, p.value);
    const deadLetters = items.map((row) => {
      const doc = parseDeadLetterDoc(row[2], row[1]);
      const at = nullableText(row[3]);
      const eventId = nullableText(row[4]);
      return at === null || eventId === null ? doc : { ...doc, replayed: { at, event_id: eventId } };
    });
    return { ok: true, deadLetters, nextCursor };
  }

  async markReplayed(replays: readonly ReplayMark[], at: string): Promise<ReplayResult> {
    this.assertOpen('markReplayed');
    const checked = checkReplays(replays, at);
    if (!checked.ok) return checked;
    return this.writes.run(async () => {
      this.assertOpen('markReplayed');
      const c = this.writer;
      let marked = 0;
      const alreadyReplayed: string[] = [];
      const notFound: string[] = [];
      try {
        await c.run('BEGIN TRANSACTION');
        for (const mark of checked.value.marks) {
          const found = await c.runAndReadAll('SELECT replayed_at FROM dead_letters WHERE id = $1', [mark.deadLetterId], [VARCHAR]);
          const row = found.getRows()[0];
          if (row === undefined) notFound.push(mark.deadLetterId);
          else if (row[0] !== null) alreadyReplayed.push(mark.deadLetterId);
          else {
            await c.run(
              'UPDATE dead_letters SET replayed_at = $1, replayed_event_id = $2 WHERE id = $3 AND replayed_at IS NULL',
              [checked.value.at, mark.eventId, mark.deadLetterId],
              [VARCHAR, VARCHAR, VARCHAR],
            );
            marked++;
          }
        }
        await c.run('COMMIT');
      } catch (cause) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw new StoreError('PIP_ERR_STORE_QUERY_FAILED', ['markReplayed', describeCause(cause)], {}, { cause });
      }
      return { ok: true, marked, alreadyReplayed, notFound };
    });
  }

  async eventsSince(afterSeq: number, limit: number, select?: SinceSelection): Promise<SincePage> {
    this.assertOpen('eventsSince');
    const checked = checkSincePage(afterSeq, limit);
    if (!checked.ok) return checked;
    if (select !== undefined) {
      const s = checkSelection(select);
      if (!s.ok) return s;
      return this.selectedSince(afterSeq, limit, s.value);
    }
    const params = new Params();
    const rows = await this.read(
      'eventsSince',
      `SELECT seq, id, doc FROM events WHERE seq > ${params.int(afterSeq)} ORDER BY seq LIMIT ${params.int(limit)}`,
      params,
    );
    const events = rows.map((row) => ({ seq: toNumber(row[0]), event: parseEventDoc(row[2], row[1]) }));
    return { ok: true, events, lastSeq: events.at(-1)?.seq ?? afterSeq };
  }

  /**
   * The selected events of the next `limit`: the window's end from the narrow `seq` column, then
   * the selection pushed down to SQL over that seq range (zone maps on seq), so that only the
   * selected documents are read and parsed: the part of following that costs (JSON.parse).
   */
  private async selectedSince(afterSeq: number, limit: number, select: CheckedSelection): Promise<SincePage> {
    const windowParams = new Params();
    const end = await this.read(
      'eventsSince',
      `SELECT max(seq) FROM (SELECT seq FROM events WHERE seq > ${windowParams.int(afterSeq)} ORDER BY seq LIMIT ${windowParams.int(limit)})`,
      windowParams,
    );
    const last = end[0]?.[0];
    if (last === null || last === undefined) return { ok: true, events: [], lastSeq: afterSeq };
    const lastSeq = toNumber(last);
    const params = new Params();
    const range = `seq > ${params.int(afterSeq)} AND seq <= ${params.int(lastSeq)}`;
    const chosen = select.anyOf.map((f) => `(${eventWhere(f, params).join(' AND ')})`);
    for (const { field, filter } of select.firstBy) {
      const column = GROUP_COLUMN[field];
      chosen.push(
        `seq IN (SELECT seq FROM events WHERE ${range} AND ${column} IS NOT NULL AND ${eventWhere(filter, params).join(' AND ')} ` +
          `QUALIFY row_number() OVER (PARTITION BY ${column} ORDER BY ts_ms, id) = 1)`,
      );
    }
    if (chosen.length === 0) return { ok: true, events: [], lastSeq };
    const rows = await this.read(
      'eventsSince',
      `SELECT seq, id, doc FROM events WHERE ${range} AND (${chosen.join(' OR ')}) ORDER BY seq`,
      params,
    );
    const events = rows.map((row) => ({ seq: toNumber(row[0]), event: parseEventDoc(row[2], row[1]) }));
    return { ok: true, events, lastSeq };
  }

  async stats(): Promise<StoreStats> {
    this.assertOpen('stats');
    const rows = await this.read(
      'stats',
      'SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM dead_letters)',
      new Params(),
    );
    const row = rows[0] ?? [0, 0];
    return { events: toNumber(row[0]), deadLetters: toNumber(row[1]) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let the writes and reads already queued finish, then release the file.
    await Promise.all([this.writes.run(async () => undefined), this.reads.run(async () => undefined)]);
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
  }

  /** Appends the staged parts to the staging table; the texts are let go once in DuckDB. */
  private async appendEvents(texts: { base: number; text: Uint8Array }[]): Promise<void> {
    const appender = await this.writer.createAppender('stage_events', 'main', 'temp');
    try {
      for (const t of texts.splice(0)) {
        appender.appendInteger(t.base);
        appender.appendBlob(t.text);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  private async appendDeadLetters(records: readonly DeadLetterRecord[]): Promise<void> {
    const appender = await this.writer.createAppender('stage_dead_letters', 'main', 'temp');
    try {
      for (const r of records) {
        appender.appendBigInt(BigInt(++this.deadSeq));
        appender.appendVarchar(r.id);
        appender.appendBigInt(BigInt(r.tsMs));
        appender.appendVarchar(r.reason);
        if (r.filePath === null) appender.appendNull();
        else appender.appendVarchar(r.filePath);
        appender.appendVarchar(r.dataset);
        appender.appendNull();
        appender.appendNull();
        appender.appendVarchar(JSON.stringify(r.deadLetter));
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /**
   * Documents by seq. When the seqs lie close together (events of one period, written together),
   * one scan of their seq range; otherwise one equality scan per seq, so that DuckDB decompresses
   * only the vectors holding them (seq grows with every write, so zone maps find the row groups).
   * A bare IN list becomes a join that reads every document of the table.
   */
  private async fetchDocs(seqs: readonly number[]): Promise<Map<number, DuckDBValue | undefined>> {
    const docs = new Map<number, DuckDBValue | undefined>();
    if (seqs.length === 0) return docs;
    const params = new Params();
    const min = Math.min(...seqs);
    const max = Math.max(...seqs);
    const sql =
      max - min <= this.closeSeqSpan
        ? `SELECT seq, doc FROM events WHERE seq BETWEEN ${params.int(min)} AND ${params.int(max)}
           AND seq IN (${seqs.map((seq) => params.int(seq)).join(', ')})`
        : seqs.map((seq) => `SELECT seq, doc FROM events WHERE seq = ${params.int(seq)}`).join(' UNION ALL ');
    for (const row of await this.read('queryEvents', sql, params)) docs.set(toNumber(row[0]), row[1]);
    return docs;
  }

  private read(operation: string, sql: string, params: Params): Promise<DuckDBValue[][]> {
    return this.reads.run(async () => {
      this.assertOpen(operation);
      try {
        const reader = await this.reader.runAndReadAll(sql, params.values, params.types);
        return reader.getRows();
      } catch (cause) {
        throw new StoreError('PIP_ERR_STORE_QUERY_FAILED', [operation, describeCause(cause)], {}, { cause });
      }
    });
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw storeError('PIP_ERR_STORE_CLOSED', [operation]);
  }
}

async function migrate(c: DuckDBConnection, path: string): Promise<void> {
  await c.run('CREATE TABLE IF NOT EXISTS kintsugi_meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL)');
  const found = await c.runAndReadAll("SELECT value FROM kintsugi_meta WHERE key = 'schema_version'");
  const row = found.getRows()[0];
  if (row === undefined) {
    await c.run('BEGIN TRANSACTION');
    const derived = DERIVED_EVENT_COLUMNS.map(([name, type]) => [name, type] as const);
    await c.run(`CREATE TABLE IF NOT EXISTS events (${columnsDdl([...EVENT_COLUMNS, ...derived])})`);
    await c.run(`CREATE TABLE IF NOT EXISTS dead_letters (${columnsDdl(DEAD_LETTER_COLUMNS)})`);
    await c.run('CREATE TABLE IF NOT EXISTS trace_ranges (cid_hash UBIGINT NOT NULL, min_seq BIGINT NOT NULL, max_seq BIGINT NOT NULL)');
    await c.run("INSERT INTO kintsugi_meta VALUES ('schema_version', $1)", [String(SCHEMA_VERSION)], [VARCHAR]);
    await c.run('COMMIT');
  } else if (row[0] !== String(SCHEMA_VERSION)) {
    throw storeError('PIP_ERR_STORE_SCHEMA_VERSION', [path, String(row[0]), SCHEMA_VERSION], { path });
  }
  await c.run(`CREATE TEMP TABLE stage_events (${columnsDdl(STAGE_COLUMNS)})`);
  await c.run('CREATE TEMP TABLE stage_dead_letters AS SELECT * FROM dead_letters LIMIT 0');
}

async function maxSeq(c: DuckDBConnection, table: 'events' | 'dead_letters'): Promise<number> {
  const reader = await c.runAndReadAll(`SELECT coalesce(max(seq), 0) FROM ${table}`);
  return toNumber(reader.getRows()[0]?.[0] ?? 0);
}
