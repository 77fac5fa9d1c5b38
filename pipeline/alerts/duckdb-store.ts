/**
 * The DuckDB AlertStore: `<data>/alerts.duckdb`, its own file beside the event store's (which it
 * never opens), so alerting writes never wait on ingest's writes.
 *
 * Tables (schema version 1):
 *   alerts         id, ts_ms (firing time), rule_id, status, host, module, hosts (`related.hosts`
 *                  as LF-delimited text: LF + each host + LF, for the host filter), doc (the whole
 *                  alert as JSON text)
 *   kintsugi_meta  key/value: schema_version, checkpoint (the evaluator's event-store seq)
 *
 * Writes are upserts by id, set-based in one transaction with the checkpoint: the stored
 * documents of the batch's ids are read in one query, the changed ones deleted and appended again
 * (DuckDB's appender). The serial write queue keeps ids unique without an index. Every value from
 * a caller is a bound parameter. DuckDB lets one process open a file for writing: while `kintsugi serve` holds
 * it, `kintsugi alerts` asks the service.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIGINT, DuckDBConnection, DuckDBInstance, VARCHAR, type DuckDBValue } from '@duckdb/node-api';
import { isAlert, type Alert } from './alert.js';
import { ALERTS_FILE_NAME, checkAlertFilter, checkBatch, checkLimit, decodeAlertCursor, encodeAlertCursor, type AlertFilter, type AlertPage, type AlertPageRequest, type AlertStore, type PutResult } from './alert-store.js';
import { AlertStoreError } from './errors.js';
import { Params } from '../store/duckdb-sql.js';
import { SerialQueue } from '../store/serial-queue.js';

export const ALERTS_SCHEMA_VERSION = 1;

/** Ids per IN list. */
const ID_CHUNK = 1000;

export interface DuckDbAlertStoreOptions {
  readonly dataDir: string;
  /** DuckDB's memory limit (default 64MB: alerts are few). */
  readonly memoryLimit?: string;
  /** DuckDB worker threads (default 1). */
  readonly threads?: number;
}

function cause(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}


export class DuckDbAlertStore implements AlertStore {
  private readonly queue = new SerialQueue();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly c: DuckDBConnection,
  ) {}

  static async open(options: DuckDbAlertStoreOptions): Promise<DuckDbAlertStore> {
    const path = join(options.dataDir, ALERTS_FILE_NAME);
    let instance: DuckDBInstance;
    try {
      mkdirSync(options.dataDir, { recursive: true });
      instance = await DuckDBInstance.create(path, { memory_limit: options.memoryLimit ?? '64MB', threads: String(options.threads ?? 1) });
    } catch (err) {
      if (/lock/i.test(cause(err))) throw new AlertStoreError('PIP_ERR_ALERTS_LOCKED', [path, cause(err)], { cause: err });
      throw new AlertStoreError('PIP_ERR_ALERTS_OPEN_FAILED', [path, cause(err)], { cause: err });
    }
    try {
      const c = await instance.connect();
      await c.run('CREATE TABLE IF NOT EXISTS kintsugi_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
      const found = (await c.runAndReadAll("SELECT value FROM kintsugi_meta WHERE key = 'schema_version'")).getRows()[0];
      if (found === undefined) {
        await c.run('BEGIN TRANSACTION');
        await c.run('CREATE TABLE IF NOT EXISTS alerts (id VARCHAR NOT NULL, ts_ms BIGINT NOT NULL, rule_id VARCHAR NOT NULL, status VARCHAR NOT NULL, host VARCHAR, module VARCHAR, hosts VARCHAR NOT NULL, doc VARCHAR NOT NULL)');
        await c.run("INSERT INTO kintsugi_meta VALUES ('schema_version', $1), ('checkpoint', '0')", [String(ALERTS_SCHEMA_VERSION)], [VARCHAR]);
        await c.run('COMMIT');
      } else if (found[0] !== String(ALERTS_SCHEMA_VERSION)) {
        throw new AlertStoreError('PIP_ERR_ALERTS_OPEN_FAILED', [path, `schema version ${String(found[0])}, this Kintsugi reads ${ALERTS_SCHEMA_VERSION}`]);
      }
      return new DuckDbAlertStore(path, instance, c);
    } catch (err) {
      instance.closeSync();
      if (err instanceof AlertStoreError) throw err;
      throw new AlertStoreError('PIP_ERR_ALERTS_OPEN_FAILED', [path, cause(err)], { cause: err });
    }
  }

  async put(alerts: readonly Alert[], checkpoint?: number): Promise<PutResult> {
    this.assertOpen('put');
    const batch = checkBatch(alerts);
    return this.queue.run(async () => {
      this.assertOpen('put');
      const c = this.c;
      try {
        await c.run('BEGIN TRANSACTION');
        const stored = new Map<string, string>();
        for (let from = 0; from < batch.length; from += ID_CHUNK) {
          const params = new Params();
          const ids = batch.slice(from, from + ID_CHUNK).map((a) => params.text(a.event.id));
          const rows = (await c.runAndReadAll(`SELECT id, doc FROM alerts WHERE id IN (${ids.join(', ')})`, params.values, params.types)).getRows();
          for (const row of rows) if (typeof row[0] === 'string' && typeof row[1] === 'string') stored.set(row[0], row[1]);
        }
        const changed: { alert: Alert; doc: string }[] = [];
        for (const alert of batch) {
          const doc = JSON.stringify(alert);
          if (stored.get(alert.event.id) !== doc) changed.push({ alert, doc });
        }
        const replaced = changed.filter((x) => stored.has(x.alert.event.id));
        for (let from = 0; from < replaced.length; from += ID_CHUNK) {
          const params = new Params();
          const ids = replaced.slice(from, from + ID_CHUNK).map((x) => params.text(x.alert.event.id));
          await c.run(`DELETE FROM alerts WHERE id IN (${ids.join(', ')})`, params.values, params.types);
        }
        if (changed.length > 0) {
          const appender = await c.createAppender('alerts');
          try {
            for (const { alert, doc } of changed) {
              appender.appendVarchar(alert.event.id);
              appender.appendBigInt(BigInt(Date.parse(alert['@timestamp'])));
              appender.appendVarchar(alert.rule.id);
              appender.appendVarchar(alert.recovery.alert.status);
              if (alert.host === undefined) appender.appendNull();
              else appender.appendVarchar(alert.host.name);
              if (alert.recovery.module === undefined) appender.appendNull();
              else appender.appendVarchar(alert.recovery.module);
              appender.appendVarchar(`\n${alert.related.hosts.join('\n')}\n`);
              appender.appendVarchar(doc);
              appender.endRow();
            }
            appender.flushSync();
          } finally {
            appender.closeSync();
          }
        }
        const written = changed.length;
        const unchanged = batch.length - written;
        if (checkpoint !== undefined) {
          await c.run("UPDATE kintsugi_meta SET value = CAST(greatest(CAST(value AS BIGINT), $1) AS VARCHAR) WHERE key = 'checkpoint'", [BigInt(checkpoint)], [BIGINT]);
        }
        await c.run('COMMIT');
        return { written, unchanged };
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw new AlertStoreError('PIP_ERR_ALERTS_WRITE_FAILED', [batch.length, cause(err)], { cause: err });
      }
    });
  }

  async get(id: string): Promise<Alert | null> {
    const params = new Params();
    const rows = await this.read('get', `SELECT id, doc FROM alerts WHERE id = ${params.text(id)}`, params);
    const row = rows[0];
    return row === undefined ? null : parseDoc(row);
  }

  async query(filter: AlertFilter, page: AlertPageRequest): Promise<AlertPage> {
    this.assertOpen('query');
    const f = checkAlertFilter(filter);
    const limit = checkLimit(page.limit);
    const after = page.cursor === undefined ? null : decodeAlertCursor(page.cursor);
    const params = new Params();
    const where = ['TRUE'];
    if (f.rules !== null) where.push(`rule_id IN (${[...f.rules].map((r) => params.text(r)).join(', ')})`);
    if (f.statuses !== null) where.push(`status IN (${[...f.statuses].map((s) => params.text(s)).join(', ')})`);
    if (f.host !== null) {
      const h = params.text(f.host);
      where.push(`(host = ${h} OR contains(hosts, chr(10) || ${h} || chr(10)))`);
    }
    if (f.module !== null) where.push(`module = ${params.text(f.module)}`);
    // From the document: alerts are few, and a column would change the file's schema.
    if (f.correlationId !== null) where.push(`json_extract_string(doc, '$.recovery.correlation_id') = ${params.text(f.correlationId)}`);
    if (f.fromMs !== null) where.push(`ts_ms >= ${params.int(f.fromMs)}`);
    if (f.toMs !== null) where.push(`ts_ms < ${params.int(f.toMs)}`);
    if (after !== null) {
      const ts = params.int(after.tsMs);
      where.push(`(ts_ms > ${ts} OR (ts_ms = ${ts} AND id > ${params.text(after.id)}))`);
    }
    const sql = `SELECT id, doc, ts_ms FROM alerts WHERE ${where.join(' AND ')} ORDER BY ts_ms, id${limit === null ? '' : ` LIMIT ${params.int(limit + 1)}`}`;
    const rows = await this.read('query', sql, params);
    const alerts = rows.slice(0, limit ?? rows.length).map(parseDoc);
    if (limit === null || rows.length <= limit) return { alerts, nextCursor: null };
    const last = alerts.at(-1) as Alert;
    return { alerts, nextCursor: encodeAlertCursor({ tsMs: Date.parse(last['@timestamp']), id: last.event.id }) };
  }

  async current(): Promise<readonly Alert[]> {
    const rows = await this.read('current', "SELECT id, doc FROM alerts WHERE status <> 'withdrawn' ORDER BY ts_ms, id", new Params());
    return rows.map(parseDoc);
  }

  async checkpoint(): Promise<number> {
    const rows = await this.read('checkpoint', "SELECT value FROM kintsugi_meta WHERE key = 'checkpoint'", new Params());
    const n = Number(rows[0]?.[0] ?? 0);
    return Number.isSafeInteger(n) ? n : 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.run(async () => undefined);
    this.c.closeSync();
    this.instance.closeSync();
  }

  private read(operation: string, sql: string, params: Params): Promise<DuckDBValue[][]> {
    this.assertOpen(operation);
    return this.queue.run(async () => {
      this.assertOpen(operation);
      try {
        return (await this.c.runAndReadAll(sql, params.values, params.types)).getRows();
      } catch (err) {
        throw new AlertStoreError('PIP_ERR_ALERTS_QUERY_FAILED', [operation, cause(err)], { cause: err });
      }
    });
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new AlertStoreError('PIP_ERR_ALERTS_CLOSED', [operation]);
  }
}

function parseDoc(row: DuckDBValue[]): Alert {
  const id = typeof row[0] === 'string' ? row[0] : '(unknown id)';
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof row[1] === 'string' ? row[1] : '');
  } catch {
    throw new AlertStoreError('PIP_ERR_ALERTS_CORRUPT_DOCUMENT', [id, 'not JSON']);
  }
  if (!isAlert(parsed) || parsed.event.id !== id) throw new AlertStoreError('PIP_ERR_ALERTS_CORRUPT_DOCUMENT', [id, 'not an alert of this id']);
  return parsed;
}
