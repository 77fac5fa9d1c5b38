/**
 * Where `kintsugi alerts` reads from: the Elasticsearch cluster when the configuration names one;
 * else the running service of the data folder when there is one
 * (its API: DuckDB lets one process hold a file), else `<data>/alerts.duckdb` itself. The same
 * query strings in both cases (routes.ts), so both give the same answers.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { serviceAuthHeaders } from '../access/service-token.js';
import { PipelineError } from '../errors.js';
import { SERVICE_FILE, runningService } from '../service-file.js';
import { isAlert, type Alert } from './alert.js';
import { ALERTS_FILE_NAME, type AlertStore } from './alert-store.js';
import { AlertStoreError } from './errors.js';
import { toAlertFilter, type AlertQuery } from './routes.js';
import { isElasticsearch, type StoreSection } from '../store/elasticsearch/config-checks.js';

export interface AlertsBackend {
  readonly via: string;
  list(query: AlertQuery, limit: number): AsyncGenerator<Alert>;
  close(): Promise<void>;
}

const PAGE = 5000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function serviceBackend(url: string, serviceFile: string): AlertsBackend {
  return {
    via: url,
    async *list(query, limit) {
      let remaining = limit === 0 ? Infinity : limit;
      let cursor: string | null = null;
      do {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
        params.set('limit', String(Math.min(PAGE, remaining)));
        if (cursor !== null) params.set('cursor', cursor);
        let response: Response;
        try {
          response = await fetch(`${url}/api/alerts?${params.toString()}`, { headers: serviceAuthHeaders(dirname(serviceFile)) });
        } catch (err: unknown) {
          const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
          throw new PipelineError('PIP_ERR_SERVICE_UNREACHABLE', url, cause, serviceFile);
        }
        const body: unknown = await response.json().catch(() => null);
        if (!response.ok) {
          const code = isObject(body) && typeof body['code'] === 'string' ? body['code'] : `HTTP_${response.status}`;
          const message = isObject(body) && typeof body['message'] === 'string' ? body['message'] : `HTTP ${response.status}`;
          throw Object.assign(new Error(`${code}: ${message}${response.status === 404 && code !== 'PIP_ERR_ALERTS_NOT_FOUND' ? ' (does this service evaluate rules?)' : ''}`), { code, status: response.status });
        }
        if (!isObject(body) || !Array.isArray(body['alerts'])) throw new Error(`unexpected answer from ${url}/api/alerts`);
        for (const a of body['alerts']) {
          if (!isAlert(a)) throw new Error(`unexpected alert document from ${url}/api/alerts`);
          yield a;
          remaining--;
        }
        cursor = typeof body['nextCursor'] === 'string' ? body['nextCursor'] : null;
      } while (cursor !== null && remaining > 0);
    },
    close: async () => undefined,
  };
}

function storeBackend(store: AlertStore, path: string): AlertsBackend {
  return {
    via: path,
    async *list(query, limit) {
      let remaining = limit === 0 ? Infinity : limit;
      let cursor: string | null = null;
      const filter = toAlertFilter(query);
      do {
        const page = await store.query(filter, { limit: Math.min(PAGE, remaining), ...(cursor !== null ? { cursor } : {}) });
        for (const a of page.alerts) yield a;
        remaining -= page.alerts.length;
        cursor = page.nextCursor;
      } while (cursor !== null && remaining > 0);
    },
    close: () => store.close(),
  };
}

/** With `store.kind: elasticsearch` the alerts are read from the cluster. */
export async function openAlertsBackend(dataDir: string, store?: StoreSection): Promise<AlertsBackend> {
  // The stores are loaded when chosen: a command that asks a running service needs neither client.
  if (isElasticsearch(store)) {
    const [{ openElasticsearchAlertStore }, { displayNode }] = await Promise.all([import('../store/elasticsearch/from-config.js'), import('../store/elasticsearch/requests.js')]);
    return storeBackend(await openElasticsearchAlertStore(store), `Elasticsearch ${displayNode(store.node)}`);
  }
  const data = resolve(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    const service = runningService(data);
    if (service !== null) return serviceBackend(service.url, join(data, SERVICE_FILE));
    const file = join(data, ALERTS_FILE_NAME);
    if (!existsSync(file)) throw new AlertStoreError('PIP_ERR_ALERTS_NO_STORE', [data, ALERTS_FILE_NAME]);
    try {
      const { DuckDbAlertStore } = await import('./duckdb-store.js');
      return storeBackend(await DuckDbAlertStore.open({ dataDir: data }), file);
    } catch (err: unknown) {
      // A service took the file between the look and the open: ask it instead.
      if (attempt === 0 && err instanceof AlertStoreError && err.code === 'PIP_ERR_ALERTS_LOCKED') {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      throw err;
    }
  }
  throw new AlertStoreError('PIP_ERR_ALERTS_LOCKED', [join(data, ALERTS_FILE_NAME), 'held by a process that is not a kintsugi service']);
}
