/**
 * The Elasticsearch alert store: the alert-store suite against the mock cluster
 * (test/store/elasticsearch-mock-cluster.ts) and, when ELASTICSEARCH_URL is set, a live cluster.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../pipeline/alerts/alert.js';
import type { AlertStore } from '../../pipeline/alerts/alert-store.js';
import { CHECKPOINT_DOC, ElasticsearchAlertStore } from '../../pipeline/alerts/elasticsearch-store.js';
import { createClient } from '../../pipeline/store/elasticsearch/cluster.js';
import { MockCluster } from '../store/elasticsearch-mock-cluster.js';
import { alertStoreSuite } from './alert-store.suite.js';
import { sampleAlerts } from './samples.js';

const FAST = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
const clusters = new Map<AlertStore, MockCluster>();

async function openOn(cluster: MockCluster): Promise<ElasticsearchAlertStore> {
  const store = await ElasticsearchAlertStore.open({ client: cluster.client(), retry: FAST, ownsClient: true });
  clusters.set(store, cluster);
  return store;
}

alertStoreSuite('elasticsearch (mock cluster)', {
  create: () => openOn(new MockCluster()),
  async reopen(store) {
    const cluster = clusters.get(store);
    if (cluster === undefined) throw new Error('reopen of a store this harness did not create');
    await store.close();
    return openOn(cluster);
  },
});

const LIVE = process.env['ELASTICSEARCH_URL'];
describe.skipIf(LIVE === undefined)(`live Elasticsearch ${LIVE === undefined ? '(skipped: ELASTICSEARCH_URL is not set)' : `at ${LIVE}`}`, () => {
  const prefixes = new Map<AlertStore, string>();
  const clients: Client[] = [];
  const client = (): Client => {
    const c = createClient({ node: LIVE ?? '' });
    clients.push(c);
    return c;
  };
  afterAll(async () => {
    const admin = client();
    for (const prefix of new Set(prefixes.values())) {
      await admin.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
      for (const kind of ['events', 'alerts', 'dead-letters']) {
        await admin.indices.deleteIndexTemplate({ name: `${prefix}-${kind}` }).catch(() => undefined);
        await admin.ilm.deleteLifecycle({ name: `${prefix}-${kind}` }).catch(() => undefined);
      }
    }
    for (const c of clients) await c.close();
  });
  alertStoreSuite('elasticsearch (live)', {
    async create() {
      const prefix = `kintsugi-test-${randomUUID().slice(0, 8)}`;
      const store = await ElasticsearchAlertStore.open({ client: client(), prefix });
      prefixes.set(store, prefix);
      return store;
    },
    async reopen(store) {
      const prefix = prefixes.get(store) ?? '';
      await store.close();
      const again = await ElasticsearchAlertStore.open({ client: client(), prefix });
      prefixes.set(again, prefix);
      return again;
    },
  });
});

describe('Elasticsearch alert store: what it sends', () => {
  it('indexes changed alerts only, by id into the month of their firing time, and the checkpoint with an external version', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    const alerts = sampleAlerts();
    await store.put(alerts, 5);
    const bulk = cluster.requests.filter((r) => r.path === '/_bulk');
    expect(bulk).toHaveLength(1);
    const first = alerts[0] as Alert;
    expect((bulk[0]?.body as unknown[])[0]).toEqual({ index: { _index: `kintsugi-alerts-${first['@timestamp'].slice(0, 7).replace('-', '.')}`, _id: first.event.id } });
    const checkpoint = cluster.requests.find((r) => r.path === `/kintsugi-state/_doc/${CHECKPOINT_DOC}`);
    expect(checkpoint?.querystring).toEqual({ version: '5', version_type: 'external' });
    await store.put(alerts, 6);
    // Unchanged documents are not written again.
    expect(cluster.requests.filter((r) => r.path === '/_bulk')).toHaveLength(1);
    await store.close();
  });

  it('wraps cluster failures in PIP_ERR_ALERTS_ES_FAILED with the cause', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    cluster.failRequests(/_search$/, 503, 100);
    await expect(store.query({}, { limit: 1 })).rejects.toMatchObject({ code: 'PIP_ERR_ALERTS_ES_FAILED', retriable: true, message: expect.stringContaining('PIP_ERR_STORE_ES_UNAVAILABLE') });
    await store.close();
  });
});
