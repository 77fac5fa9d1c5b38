/**
 * Where `kintsugi query` reads from: the Elasticsearch cluster when the configuration names one;
 * else the running service of the data folder when there is one (through its API: DuckDB lets one
 * process hold the file), else the store file itself. All give the same answers: the filters are
 * the API's query strings in every case. A trace is the linked trace (store/trace.ts): with the
 * related events of its alert, from the alert store beside the event store, when there is one.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DeadLetter, RecoveryEvent } from '../parsers/event.js';
import { toDeadLetterFilter, toEventFilter, type DeadLetterQuery, type EventQuery } from './api/filters.js';
import { ServiceClient } from './client.js';
import { PipelineError } from './errors.js';
import { SERVICE_FILE, runningService } from './service-file.js';
import { isElasticsearch, type StoreSection } from './store/elasticsearch/config-checks.js';
import type { EventStore, Trace } from './store/event-store.js';
import { readLinkedTrace, type AlertLinks } from './store/trace.js';
import { alertLinksOf, ALERTS_FILE_NAME, type AlertStore } from './alerts/alert-store.js';

export type StringQuery = Record<string, string>;

export interface QueryBackend {
  readonly via: string;
  events(query: StringQuery, limit: number): AsyncGenerator<RecoveryEvent>;
  deadLetters(query: StringQuery, limit: number): AsyncGenerator<DeadLetter>;
  trace(id: string): Promise<Trace | null>;
  close(): Promise<void>;
}

/** Page size when following cursors; the API caps a page at 10,000. */
const PAGE = 5000;

async function* paged<T>(limit: number, fetchPage: (size: number, cursor: string | null) => Promise<{ items: readonly T[]; nextCursor: string | null }>): AsyncGenerator<T> {
  let remaining = limit === 0 ? Infinity : limit;
  let cursor: string | null = null;
  do {
    const size = Math.min(PAGE, remaining);
    const page = await fetchPage(size, cursor);
    for (const item of page.items) yield item;
    remaining -= page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== null && remaining > 0);
}

function serviceBackend(client: ServiceClient): QueryBackend {
  return {
    via: client.url,
    events: (query, limit) => paged(limit, (size, cursor) => client.events({ ...query, limit: String(size) }, cursor)),
    deadLetters: (query, limit) => paged(limit, (size, cursor) => client.deadLetters({ ...query, limit: String(size) }, cursor)),
    trace: (id) => client.trace(id),
    close: async () => undefined,
  };
}

/** The alert store of a trace's links, opened when a trace first asks (no other query needs it). */
interface AlertSource {
  links(correlationId: string): Promise<readonly AlertLinks[]>;
  close(): Promise<void>;
}

function lazyAlerts(open: () => Promise<AlertStore | null>): AlertSource {
  let opened: Promise<AlertStore | null> | null = null;
  return {
    links: async (correlationId) => {
      opened ??= open();
      const alerts = await opened;
      return alerts === null ? [] : alertLinksOf(alerts, correlationId);
    },
    close: async () => {
      const alerts = await opened?.catch(() => null);
      await alerts?.close();
    },
  };
}

function storeBackend(store: EventStore, path: string, alerts: AlertSource): QueryBackend {
  return {
    via: path,
    events: (query, limit) =>
      paged(limit, async (size, cursor) => {
        const page = await store.queryEvents(toEventFilter(query as EventQuery), { limit: size, ...(cursor !== null ? { cursor } : {}) });
        if (!page.ok) throw page.error;
        return { items: page.events, nextCursor: page.nextCursor };
      }),
    deadLetters: (query, limit) =>
      paged(limit, async (size, cursor) => {
        const q: DeadLetterQuery = { ...query, ...(query['replayed'] !== undefined ? { replayed: query['replayed'] === 'true' } : {}) } as DeadLetterQuery;
        const page = await store.queryDeadLetters(toDeadLetterFilter(q), { limit: size, ...(cursor !== null ? { cursor } : {}) });
        if (!page.ok) throw page.error;
        return { items: page.deadLetters, nextCursor: page.nextCursor };
      }),
    trace: async (id) => {
      const result = await readLinkedTrace(store, id, (cid) => alerts.links(cid));
      if (!result.ok) throw result.error;
      return result.trace.nodes.length === 0 ? null : result.trace;
    },
    close: async () => {
      await alerts.close();
      await store.close();
    },
  };
}

/** With `store.kind: elasticsearch` the queries go to the cluster (any number of processes may read it). */
export async function openQueryBackend(dataDir: string, store?: StoreSection): Promise<QueryBackend> {
  // The stores are loaded when chosen: a command that asks a running service needs neither client.
  if (isElasticsearch(store)) {
    const [{ openElasticsearchEventStore, openElasticsearchAlertStore }, { displayNode }] = await Promise.all([import('./store/elasticsearch/from-config.js'), import('./store/elasticsearch/requests.js')]);
    const alerts = lazyAlerts(() => openElasticsearchAlertStore(store));
    return storeBackend(await openElasticsearchEventStore(store, { setup: false }), `Elasticsearch ${displayNode(store.node)}`, alerts);
  }
  const data = resolve(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    const service = runningService(data);
    if (service !== null) return serviceBackend(new ServiceClient(service.url, join(data, SERVICE_FILE)));
    const { DuckDbEventStore, STORE_FILE_NAME } = await import('./store/duckdb-store.js');
    if (!existsSync(join(data, STORE_FILE_NAME))) {
      throw new PipelineError('PIP_ERR_DATA_DIR', data, `no store here (${STORE_FILE_NAME}): run kintsugi serve or kintsugi ingest first, or pass the right --data`);
    }
    try {
      const { DEFAULT_STORE_MEMORY_LIMIT } = await import('./config/schema.js');
      const store = await DuckDbEventStore.open({ dataDir: data, memoryLimit: DEFAULT_STORE_MEMORY_LIMIT });
      // Without alerts.duckdb (no rules evaluated here) a trace links parents only.
      const alerts = lazyAlerts(async () => {
        if (!existsSync(join(data, ALERTS_FILE_NAME))) return null;
        const { DuckDbAlertStore } = await import('./alerts/duckdb-store.js');
        return DuckDbAlertStore.open({ dataDir: data });
      });
      return storeBackend(store, join(data, STORE_FILE_NAME), alerts);
    } catch (err: unknown) {
      // A service took the file between the look and the open: ask it instead.
      if (attempt === 0 && typeof err === 'object' && err !== null && 'code' in err && err.code === 'PIP_ERR_STORE_LOCKED') {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      throw err;
    }
  }
  throw new PipelineError('PIP_ERR_DATA_DIR', data, 'the store is locked by another process that is not a kintsugi service');
}
