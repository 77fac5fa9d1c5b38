/**
 * The Elasticsearch event store: the conformance suite against the mock cluster
 * (elasticsearch-mock-cluster.ts) and, when ELASTICSEARCH_URL is set, against that live cluster;
 * then what only this store has: request shapes, retries, per-item failures, backpressure.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import type { ConnectionRequestOptions, ConnectionRequestOptionsAsStream, ConnectionRequestParams, ConnectionRequestResponse, ConnectionRequestResponseAsStream } from '@elastic/transport';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecoveryEvent } from '../../parsers/event.js';
import { createClient } from '../../pipeline/store/elasticsearch/cluster.js';
import { ElasticsearchEventStore, type ElasticsearchStoreOptions } from '../../pipeline/store/elasticsearch/elasticsearch-store.js';
import type { EventStore } from '../../pipeline/store/event-store.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { ids, sampleDeadLetters, sampleEvents } from './samples.js';
import { MockCluster } from './elasticsearch-mock-cluster.js';
import { INGESTED, storeSuite } from './store.suite.js';

const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 };
const now = (): Date => new Date(INGESTED);
const EVENTS = sampleEvents();
const DEAD = sampleDeadLetters();

const mockClusters = new Map<EventStore, MockCluster>();

async function openOn(cluster: MockCluster, options: Partial<ElasticsearchStoreOptions> = {}): Promise<ElasticsearchEventStore> {
  const store = await ElasticsearchEventStore.open({ client: cluster.client(), now, retry: FAST, ownsClient: true, minRefreshIntervalMs: 0, ...options });
  mockClusters.set(store, cluster);
  return store;
}

storeSuite('elasticsearch (mock cluster)', {
  create: async (clock) => openOn(new MockCluster(), { now: clock }),
  async reopen(store, clock) {
    const cluster = mockClusters.get(store);
    if (cluster === undefined) throw new Error('reopen of a store this harness did not create');
    await store.close();
    return openOn(cluster, { now: clock });
  },
});

const LIVE = process.env['ELASTICSEARCH_URL'];
describe.skipIf(LIVE === undefined)(
  `live Elasticsearch ${LIVE === undefined ? '(skipped: ELASTICSEARCH_URL is not set)' : `at ${LIVE}`}`,
  () => {
    const prefixes: string[] = [];
    const clients: Client[] = [];
    const livePrefix = new Map<EventStore, string>();
    const client = (): Client => {
      const c = createClient({ node: LIVE ?? '' });
      clients.push(c);
      return c;
    };
    afterAll(async () => {
      const admin = client();
      for (const prefix of prefixes) {
        await admin.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
        for (const kind of ['events', 'alerts', 'dead-letters']) {
          await admin.indices.deleteIndexTemplate({ name: `${prefix}-${kind}` }).catch(() => undefined);
          await admin.ilm.deleteLifecycle({ name: `${prefix}-${kind}` }).catch(() => undefined);
        }
      }
      for (const c of clients) await c.close();
    });
    storeSuite('elasticsearch (live)', {
          async create(clock) {
        const prefix = `kintsugi-test-${randomUUID().slice(0, 8)}`;
        prefixes.push(prefix);
        const store = await ElasticsearchEventStore.open({ client: client(), prefix, now: clock });
        livePrefix.set(store, prefix);
        return store;
      },
      async reopen(store, clock) {
        const prefix = livePrefix.get(store) ?? '';
        await store.close();
        const again = await ElasticsearchEventStore.open({ client: client(), prefix, now: clock });
        livePrefix.set(again, prefix);
        return again;
      },
    });
  },
);

function searches(cluster: MockCluster): Record<string, unknown>[] {
  return cluster.requests.filter((r) => r.path.endsWith('/_search')).map((r) => r.body as Record<string, unknown>);
}

describe('Elasticsearch store: what it sends', () => {
  it('puts the ILM policies, then the templates, then writes create actions with _id = event.id into dated indices', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    await store.writeBatch(EVENTS.slice(0, 3), DEAD.slice(0, 1));
    const paths = cluster.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths.slice(0, 6)).toEqual([
      'PUT /_ilm/policy/kintsugi-events',
      'PUT /_ilm/policy/kintsugi-alerts',
      'PUT /_ilm/policy/kintsugi-dead-letters',
      'PUT /_index_template/kintsugi-events',
      'PUT /_index_template/kintsugi-alerts',
      'PUT /_index_template/kintsugi-dead-letters',
    ]);
    const bulk = cluster.requests.find((r) => r.path === '/_bulk');
    const lines = bulk?.body as Record<string, unknown>[];
    expect(lines[0]).toEqual({ create: { _index: 'kintsugi-events-2026.03.14', _id: EVENTS[0]?.event.id } });
    expect(lines[1]).toMatchObject({ event: { id: EVENTS[0]?.event.id, ingested: INGESTED }, kintsugi: { seq: expect.any(Number) } });
    expect(lines[6]).toEqual({ create: { _index: 'kintsugi-dead-letters-2026.03', _id: DEAD[0]?.event.id } });
    // The query aliases come from the templates, so readers never name a dated index.
    expect([...(cluster.indices.get('kintsugi-events-2026.03.14')?.aliases ?? [])]).toEqual(['kintsugi-events']);
    await store.close();
  });

  it('reads through the aliases, sorted by @timestamp then event.id, pages by search_after', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    await store.writeBatch(EVENTS, DEAD);
    const first = await store.queryEvents({ host: 'db-07' }, { limit: 2 });
    if (!first.ok || first.nextCursor === null) throw new Error('expected a second page');
    await store.queryEvents({ host: 'db-07' }, { limit: 2, cursor: first.nextCursor });
    const [a, b] = searches(cluster).slice(-2);
    expect(cluster.requests.filter((r) => r.path.endsWith('/_search')).at(-1)?.path).toBe('/kintsugi-events/_search');
    expect(a).toMatchObject({ sort: [{ '@timestamp': { order: 'asc' } }, { 'event.id': { order: 'asc' } }], size: 3, query: { bool: { filter: [{ term: { 'host.name': { value: 'db-07' } } }] } } });
    const last = first.events.at(-1);
    expect(b?.['search_after']).toEqual([Date.parse(last?.['@timestamp'] ?? ''), last?.event.id]);
    await store.close();
  });

  it('passes hostile filter values only as values: wildcard metacharacters are literal', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    await store.writeBatch(EVENTS, DEAD);
    const found = async (text: string): Promise<string[]> => {
      const r = await store.queryEvents({ text }, { limit: 0 });
      return r.ok ? ids(r.events) : ['error'];
    };
    const reference = new MemoryEventStore({ now });
    await reference.writeBatch(EVENTS, DEAD);
    for (const text of ['*', 'raid?s', 'RAID_S', '\\', '\\*', 'e?', '"}}]},{"match_all":{}', '.*', '[a-z]']) {
      const expected = await reference.queryEvents({ text }, { limit: 0 });
      expect(await found(text), text).toEqual(expected.ok ? ids(expected.events) : []);
    }
    expect(await found('*')).toEqual([]);
    expect(await found('raid?s')).toEqual([]);
    const hostile = 'web-03" } }, { "match_all": {} } ] } }';
    const r = await store.queryEvents({ host: [hostile, '*'] }, { limit: 0 });
    expect(r.ok && r.events).toEqual([]);
    expect(searches(cluster).at(-1)?.['query']).toEqual({ bool: { filter: [{ terms: { 'host.name': [hostile, '*'] } }] } });
    const text = searches(cluster).find((s) => JSON.stringify(s).includes('raid'));
    expect(JSON.stringify(text?.['query'])).toContain('"value":"*raid\\\\?s*","case_insensitive":true');
    await store.close();
  });

  it('answers any text or host value as the reference store does (property)', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    const reference = new MemoryEventStore({ now });
    await store.writeBatch(EVENTS, DEAD);
    await reference.writeBatch(EVENTS, DEAD);
    // Needles built from the sample texts' own characters and the wildcard metacharacters.
    const alphabet = fc.constantFrom(...'abcdeilmnorstu /._-*?\\"\'%ÉéK0123'.split(''));
    const needle = fc.oneof(fc.string({ unit: alphabet, maxLength: 6 }), fc.constantFrom('raid_s', 'AGENT.CONF', 'snapshot older', 'fstab'));
    await fc.assert(
      fc.asyncProperty(needle, fc.constantFrom('db-07', 'web-03', '*', 'db-0?'), async (text, host) => {
        for (const filter of [{ text }, { text, host }]) {
          const want = await reference.queryEvents(filter, { limit: 0 });
          const got = await store.queryEvents(filter, { limit: 0 });
          expect(got.ok && ids(got.events)).toEqual(want.ok && ids(want.events));
        }
      }),
      { numRuns: 60 },
    );
    await store.close();
  });

  it('counts with composite aggregations (terms with missing_bucket, date_histogram on the epoch)', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    await store.writeBatch(EVENTS, DEAD);
    await store.countByTimeBucket(60_000, {}, 'module');
    expect(searches(cluster).at(-1)?.['aggs']).toEqual({
      groups: {
        composite: {
          size: 1000,
          sources: [
            { start: { date_histogram: { field: '@timestamp', fixed_interval: '60000ms' } } },
            { key: { terms: { field: 'recovery.module', missing_bucket: true } } },
          ],
        },
      },
    });
    await store.close();
  });

  it('reads its own writes, refreshing only after a write', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster, { minRefreshIntervalMs: 300 });
    const refreshes = (): number => cluster.requests.filter((r) => r.path.endsWith('/_refresh')).length;
    for (const e of EVENTS.slice(0, 4)) {
      await store.writeBatch([e], []);
      expect(await store.stats()).toMatchObject({ events: EVENTS.indexOf(e) + 1 });
    }
    // One refresh at open, then one per write-then-read (each waits for the interval to pass).
    expect(refreshes()).toBe(5);
    // Reads without a write in between refresh nothing.
    await store.queryEvents({}, { limit: 1 });
    await store.countBy('host', {});
    expect(refreshes()).toBe(5);
    await store.close();
  });

  it('uses its index prefix for every index, alias, template and policy', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster, { prefix: 'acme' });
    await store.writeBatch(EVENTS.slice(0, 1), DEAD.slice(0, 1));
    expect([...cluster.indices.keys()].sort()).toEqual(['acme-dead-letters-2026.03', 'acme-events-2026.03.14']);
    expect([...cluster.templates.keys()].sort()).toEqual(['acme-alerts', 'acme-dead-letters', 'acme-events']);
    expect(await store.stats()).toEqual({ events: 1, deadLetters: 1 });
    await store.close();
  });
});

describe('Elasticsearch store: failures', () => {
  it('retries a bulk request refused with 429 and then 503, with growing backoff', async () => {
    const cluster = new MockCluster();
    const delays: number[] = [];
    const store = await openOn(cluster, { retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 }, sleep: async (ms) => void delays.push(ms) });
    cluster.failRequests(/^\/_bulk$/, 429, 2);
    cluster.failRequests(/^\/_bulk$/, 503, 1);
    expect(await store.writeBatch(EVENTS, DEAD)).toMatchObject({ ok: true, events: { inserted: 37, duplicates: 0 }, deadLetters: { inserted: 20 } });
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[2]).toBeGreaterThanOrEqual(200);
    expect(delays[2]).toBeLessThanOrEqual(400);
    expect(cluster.requests.filter((r) => r.path === '/_bulk')).toHaveLength(4);
    await store.close();
  });

  it('gives up after the attempts with a retriable PIP_ERR_STORE_ES_UNAVAILABLE, and a refusal at once', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    cluster.failRequests(/_search$/, 503, 100);
    await expect(store.queryEvents({}, { limit: 1 })).rejects.toMatchObject({ code: 'PIP_ERR_STORE_ES_UNAVAILABLE', retriable: true });
    expect(cluster.requests.filter((r) => r.path.endsWith('/_search'))).toHaveLength(1 + FAST.attempts);
    cluster.failRequests(/^\/_bulk$/, 403, 1);
    await expect(store.writeBatch(EVENTS, [])).rejects.toMatchObject({ code: 'PIP_ERR_STORE_ES_REFUSED', retriable: false });
    expect(cluster.requests.filter((r) => r.path === '/_bulk')).toHaveLength(1);
    await store.close();
  });

  it('stops at open when the cluster refuses the setup (privileges), saying what to check', async () => {
    const cluster = new MockCluster();
    cluster.failRequests(/^\/_index_template\//, 403, 1);
    const error = await openOn(cluster).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'PIP_ERR_STORE_ES_REFUSED', retriable: false });
    expect(String(error)).toMatch(/refused PUT \/_index_template\/kintsugi-events \(HTTP 403: .*store\.auth.*kintsugi-\*/);
  });

  it('sorts per-item failures: 429/503 retried alone, 409 duplicate, mapping conflict kept as a dead letter', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    await store.writeBatch(EVENTS.slice(0, 5), []);
    const [e5, e6] = [EVENTS[5], EVENTS[6]] as [RecoveryEvent, RecoveryEvent];
    cluster.failItems(e5.event.id, 429, 1);
    cluster.failItems(e6.event.id, 503, 2);
    const broken = { ...EVENTS[7], file: { path: '/x', size: 'twelve' } } as unknown as RecoveryEvent;
    const r = await store.writeBatch([...EVENTS.slice(0, 7), broken], []);
    expect(r).toEqual({ ok: true, events: { inserted: 2, duplicates: 5, rejected: 1 }, deadLetters: { inserted: 0, duplicates: 0 } });
    const bulks = cluster.requests.filter((r) => r.path === '/_bulk').slice(1).map((b) => (b.body as Record<string, Record<string, string>>[]).filter((_, i) => i % 2 === 0).map((l) => l['create']?.['_id']));
    // The retries carry only the items that failed, and the refused event goes to the dead letters.
    expect(bulks).toEqual([ids([...EVENTS.slice(0, 7), broken]), [e5.event.id, e6.event.id], [e6.event.id], [broken.event.id]]);
    const dead = await store.queryDeadLetters({}, { limit: 0 });
    expect(dead.ok && dead.deadLetters.map((d) => [d.event.id, d.error.type])).toEqual([[broken.event.id, 'bad-type:file.size']]);
    expect(dead.ok && JSON.parse(dead.deadLetters[0]?.event.original ?? '{}')).toMatchObject({ file: { size: 'twelve' } });
    expect(await store.stats()).toEqual({ events: 7, deadLetters: 1 });
    await store.close();
  });

  it('fails with a retriable PIP_ERR_STORE_ES_WRITE_INCOMPLETE when items stay refused, and a rewrite completes it', async () => {
    const cluster = new MockCluster();
    const store = await openOn(cluster);
    const stuck = EVENTS[3]?.event.id ?? '';
    cluster.failItems(stuck, 503, FAST.attempts);
    await expect(store.writeBatch(EVENTS, [])).rejects.toMatchObject({ code: 'PIP_ERR_STORE_ES_WRITE_INCOMPLETE', retriable: true });
    expect(await store.stats()).toEqual({ events: 36, deadLetters: 0 });
    expect(await store.writeBatch(EVENTS, [])).toMatchObject({ ok: true, events: { inserted: 1, duplicates: 36 } });
    await store.close();
  });

  it('counts a redelivery from another writer as duplicates (409 on create)', async () => {
    const cluster = new MockCluster();
    const one = await openOn(cluster);
    const two = await openOn(cluster);
    await one.writeBatch(EVENTS, DEAD);
    expect(await two.writeBatch(EVENTS, DEAD)).toEqual({ ok: true, events: { inserted: 0, duplicates: 37 }, deadLetters: { inserted: 0, duplicates: 20 } });
    await one.close();
    await two.close();
  });

  it('bounds the bulk requests in flight, and the writers wait for a free slot', async () => {
    const cluster = new MockCluster();
    const Base = cluster.mock.getConnection();
    let inFlight = 0;
    let peak = 0;
    class SlowConnection extends Base {
      override request(params: ConnectionRequestParams, options: ConnectionRequestOptions): Promise<ConnectionRequestResponse>;
      override request(params: ConnectionRequestParams, options: ConnectionRequestOptionsAsStream): Promise<ConnectionRequestResponseAsStream>;
      override async request(params: ConnectionRequestParams, options: ConnectionRequestOptions | ConnectionRequestOptionsAsStream): Promise<ConnectionRequestResponse | ConnectionRequestResponseAsStream> {
        const bulk = params.path === '/_bulk';
        if (bulk) peak = Math.max(peak, ++inFlight);
        try {
          if (bulk) await new Promise((r) => setTimeout(r, 20));
          return await ('asStream' in options ? super.request(params, options) : super.request(params, options));
        } finally {
          if (bulk) inFlight--;
        }
      }
    }
    const store = await ElasticsearchEventStore.open({ client: cluster.client(SlowConnection), now, retry: FAST, ownsClient: true, minRefreshIntervalMs: 0, bulk: { maxInFlight: 2, maxDocs: 4 } });
    const writes = [store.writeBatch(EVENTS.slice(0, 20), []), store.writeBatch(EVENTS.slice(20), DEAD)];
    const results = await Promise.all(writes);
    expect(results.map((r) => r.ok && r.events.inserted)).toEqual([20, 17]);
    expect(cluster.requests.filter((r) => r.path === '/_bulk').length).toBe(15);
    expect(peak).toBe(2);
    expect(store.peakInFlight).toBe(2);
    await store.close();
  });
});
