/**
 * The AlertStore on Elasticsearch: alerts in `<prefix>-alerts-YYYY.MM` (the month of their
 * `@timestamp`, the firing time, which never changes for an id), `_id` = `event.id`, read through
 * the alias `<prefix>-alerts`; the evaluator's checkpoint in `<prefix>-state`, document
 * `alerts-checkpoint`, written with `version_type=external` (version = the seq), so that the
 * cluster itself refuses to move it back.
 *
 * No transaction spans the two: alerts are written first, then the checkpoint. A crash between
 * the two makes the evaluator evaluate those events again, which writes the same alert documents
 * again (idempotent by id): nothing is skipped, nothing doubled.
 */
import { isDeepStrictEqual } from 'node:util';
import { StoreError } from '../store/errors.js';
import { BulkWriter, type BulkOptions } from '../store/elasticsearch/bulk-writer.js';
import { Cluster, isObject, type ClusterOptions, type Hit } from '../store/elasticsearch/cluster.js';
import { aliasName, indexName } from '../store/elasticsearch/index-template.js';
import { anyOf, STORE_ORDER, timeRange, type Query } from '../store/elasticsearch/query-dsl.js';
import { isAlert, type Alert } from './alert.js';
import {
  checkAlertFilter,
  checkBatch,
  checkLimit,
  decodeAlertCursor,
  encodeAlertCursor,
  type AlertFilter,
  type AlertPage,
  type AlertPageRequest,
  type AlertStore,
  type CheckedAlertFilter,
  type PutResult,
} from './alert-store.js';
import { AlertStoreError } from './errors.js';

export interface ElasticsearchAlertStoreOptions extends ClusterOptions {
  readonly bulk?: BulkOptions;
}

/** The index of the store's own state (not an alias, not matched by any template). */
export function stateIndex(prefix: string): string {
  return `${prefix}-state`;
}

export const CHECKPOINT_DOC = 'alerts-checkpoint';

export class ElasticsearchAlertStore implements AlertStore {
  private readonly cluster: Cluster;
  private readonly writer: BulkWriter;
  private readonly alias: string;
  private closed = false;

  private constructor(options: ElasticsearchAlertStoreOptions) {
    this.alias = aliasName('alerts', options.prefix);
    this.cluster = new Cluster(options, [this.alias]);
    this.writer = new BulkWriter(this.cluster.requester, options.bulk);
  }

  static async open(options: ElasticsearchAlertStoreOptions): Promise<ElasticsearchAlertStore> {
    const store = new ElasticsearchAlertStore(options);
    try {
      await store.guard('opening', async () => {
        if (options.setup !== false) await store.cluster.setup(options.retentionDays);
      });
    } catch (err: unknown) {
      await store.close();
      throw err;
    }
    store.cluster.wrote(); // another process's writes: refresh before the first read
    return store;
  }

  async put(alerts: readonly Alert[], checkpoint?: number): Promise<PutResult> {
    this.assertOpen('put');
    const batch = checkBatch(alerts);
    return this.guard(`writing ${batch.length} alerts`, async () => {
      const prefix = this.cluster.prefix;
      const targets = batch.map((a) => ({ alert: a, index: indexName('alerts', a['@timestamp'], prefix) }));
      const changed: typeof targets = [];
      if (targets.length > 0) {
        // Real-time GETs: what is stored now, refreshed or not.
        const stored = await this.cluster.requester.call(`reading ${targets.length} alerts`, () =>
          this.cluster.client.mget<unknown>({ docs: targets.map((t) => ({ _index: t.index, _id: t.alert.event.id })) }),
        );
        for (const [i, t] of targets.entries()) {
          const doc = stored.docs[i];
          const source = doc !== undefined && 'found' in doc && doc.found ? doc._source : undefined;
          if (!isDeepStrictEqual(source, JSON.parse(JSON.stringify(t.alert)))) changed.push(t);
        }
      }
      const outcomes = await this.writer.write(changed.map((t) => ({ op: 'index', index: t.index, id: t.alert.event.id, doc: t.alert })));
      this.cluster.wrote();
      const refused = outcomes.find((o) => o.kind === 'rejected');
      if (refused !== undefined && refused.kind === 'rejected') throw this.cluster.requester.refused('an alert', refused.status, `${refused.errorType}: ${refused.reason}`);
      if (checkpoint !== undefined) await this.saveCheckpoint(checkpoint);
      return { written: changed.length, unchanged: batch.length - changed.length };
    });
  }

  private async saveCheckpoint(seq: number): Promise<void> {
    const { requester } = this.cluster;
    await requester.call('saving the alert checkpoint', async () => {
      try {
        await requester.client.index({ index: stateIndex(this.cluster.prefix), id: CHECKPOINT_DOC, version: seq, version_type: 'external', document: { seq } });
      } catch (err: unknown) {
        // 409: the stored checkpoint is already at or past this one (it never moves back).
        if (!isConflict(err)) throw err;
      }
    });
  }

  async get(id: string): Promise<Alert | null> {
    this.assertOpen('get');
    return this.guard(`reading the alert ${id}`, async () => {
      const found = await this.cluster.search({ index: this.alias, query: { bool: { filter: [anyOf('event.id', [id])] } }, sort: STORE_ORDER, limit: 1, after: null });
      const hit = found.hits[0];
      return hit === undefined ? null : alertOf(hit);
    });
  }

  async query(filter: AlertFilter, page: AlertPageRequest): Promise<AlertPage> {
    this.assertOpen('query');
    const f = checkAlertFilter(filter);
    const limit = checkLimit(page.limit);
    const after = page.cursor === undefined ? null : decodeAlertCursor(page.cursor);
    return this.guard('an alert query', async () => {
      const found = await this.cluster.search({ index: this.alias, query: alertQuery(f), sort: STORE_ORDER, limit, after: after === null ? null : [after.tsMs, after.id] });
      const alerts = found.hits.map((h) => alertOf(h));
      const last = alerts.at(-1);
      return { alerts, nextCursor: found.more && last !== undefined ? encodeAlertCursor({ tsMs: Date.parse(last['@timestamp']), id: last.event.id }) : null };
    });
  }

  async current(): Promise<readonly Alert[]> {
    this.assertOpen('current');
    return this.guard('reading the current alerts', async () => {
      const query: Query = { bool: { filter: [], must_not: [anyOf('recovery.alert.status', ['withdrawn'])] } };
      const found = await this.cluster.search({ index: this.alias, query, sort: STORE_ORDER, limit: null, after: null });
      return found.hits.map((h) => alertOf(h));
    });
  }

  async checkpoint(): Promise<number> {
    this.assertOpen('checkpoint');
    return this.guard('reading the alert checkpoint', async () => {
      const { requester } = this.cluster;
      const doc = await requester.call('reading the alert checkpoint', () =>
        requester.client.get<unknown>({ index: stateIndex(this.cluster.prefix), id: CHECKPOINT_DOC }, { ignore: [404] }),
      );
      const seq = doc.found && isObject(doc._source) ? doc._source['seq'] : 0;
      return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : 0;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.cluster.close();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new AlertStoreError('PIP_ERR_ALERTS_CLOSED', [operation]);
  }

  /** The event store's errors, in the alert store's catalogue. */
  private async guard<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err: unknown) {
      if (err instanceof StoreError) throw new AlertStoreError('PIP_ERR_ALERTS_ES_FAILED', [what, `${err.code}: ${err.message}`], { cause: err });
      throw err;
    }
  }
}

function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'statusCode' in err && err.statusCode === 409;
}

function alertQuery(f: CheckedAlertFilter): Query {
  const filter: Query[] = [...timeRange(f.fromMs, f.toMs)];
  if (f.rules !== null) filter.push(anyOf('rule.id', [...f.rules]));
  if (f.statuses !== null) filter.push(anyOf('recovery.alert.status', [...f.statuses]));
  if (f.host !== null) filter.push({ bool: { should: [anyOf('host.name', [f.host]), anyOf('related.hosts', [f.host])], minimum_should_match: 1 } });
  if (f.module !== null) filter.push(anyOf('recovery.module', [f.module]));
  if (f.correlationId !== null) filter.push(anyOf('recovery.correlation_id', [f.correlationId]));
  return { bool: { filter } };
}

function alertOf(hit: Hit): Alert {
  if (!isAlert(hit._source)) throw new AlertStoreError('PIP_ERR_ALERTS_CORRUPT_DOCUMENT', [`${hit._index}/${hit._id ?? ''}`, 'not an alert document']);
  return hit._source;
}
