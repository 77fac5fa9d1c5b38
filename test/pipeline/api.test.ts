/** The HTTP API through fastify's inject: filters, paging, traces (linked ones too), dead letters, bad requests, metrics. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../pipeline/api/server.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { startTelemetry, type Telemetry } from '../../pipeline/telemetry/telemetry.js';
import { exposedName, type MetricKey } from '../../pipeline/telemetry/metrics.js';
import { StoreSink } from '../../pipeline/store-sink.js';
import { SAMPLES, sampleBytes } from '../parsers/samples.js';
import { readWhole } from '../parsers/read.js';
import { testAccess, type TestAccess } from '../access/harness.js';
import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { sampleAlerts, SAMPLE_EVENTS } from '../alerts/samples.js';
import { toEvent } from '../rules/events.js';

let app: FastifyInstance;
let telemetry: Telemetry;
let access: TestAccess;
const items = SAMPLES.flatMap((s) => readWhole(sampleBytes(s.name), s.format, s.source).items);

beforeAll(async () => {
  telemetry = startTelemetry();
  const store = new MemoryEventStore();
  await new StoreSink(store, telemetry.instruments).write(items);
  telemetry.instruments.followerLag.addCallback((r) => r.observe(0, { source: 'test' }));
  // Reads without credentials (the documented development setting); writes need an admin token.
  access = testAccess(store, { anonymous: 'viewer' });
  app = await buildApi({ store, telemetry, lagBytes: () => 0, access: access.deps });
});
afterAll(async () => {
  await app.close();
  await telemetry.shutdown();
  access.cleanup();
});

interface EventsBody {
  events: { event: { id: string; action: string }; host: { name: string } }[];
  nextCursor: string | null;
}

describe('GET /api/events', () => {
  it('filters by host and action', async () => {
    const r = await app.inject({ url: '/api/events?host=db-07&action=check.file&limit=100' });
    expect(r.statusCode).toBe(200);
    const body = r.json<EventsBody>();
    const want = items.filter((i) => i.kind === 'event' && i.event.host.name === 'db-07' && i.event.event.action === 'check.file');
    expect(body.events.length).toBe(want.length);
    expect(want.length).toBeGreaterThan(3);
    expect(body.events.every((e) => e.host.name === 'db-07' && e.event.action === 'check.file')).toBe(true);
  });

  it('pages with a cursor without repeating or skipping', async () => {
    const all = (await app.inject({ url: '/api/events?limit=0' })).json<EventsBody>().events.map((e) => e.event.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/events?limit=7${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: EventsBody = (await app.inject({ url })).json<EventsBody>();
      seen.push(...page.events.map((e) => e.event.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(all);
    expect(all.length).toBe(items.filter((i) => i.kind === 'event').length - 2);
  });

  it.each([
    ['/api/events?limit=abc', /querystring\/limit must be integer/],
    ['/api/events?limit=-1', /querystring\/limit must be >= 0/],
    ['/api/events?outcome=maybe', /querystring\/outcome must match pattern/],
    ['/api/events?nosuchfilter=1', /querystring must NOT have additional properties/],
    ['/api/events?cursor=not-a-cursor', /cursor/],
  ])('answers 400 naming the field: %s', async (url, message) => {
    const r = await app.inject({ url });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ message: string }>().message).toMatch(message);
  });

  it('takes SQL and pattern metacharacters as plain text', async () => {
    for (const text of ["' OR 1=1 --", '%%', 'mega_aid', '.*', '"); DROP TABLE events; --']) {
      const r = await app.inject({ url: `/api/events?text=${encodeURIComponent(text)}` });
      expect(r.statusCode).toBe(200);
      expect(r.json<EventsBody>().events).toEqual([]);
    }
    const literal = await app.inject({ url: '/api/events?text=RAID_SAS' });
    expect(literal.json<EventsBody>().events.length).toBeGreaterThan(0);
  });
});

describe('GET /api/traces/:id', () => {
  it('gives every event of a correlation id in time order, with parent links', async () => {
    const r = await app.inject({ url: '/api/traces/c0a8012e-5f7d-4c1e-9a51-3b2f1e0d9c11' });
    expect(r.statusCode).toBe(200);
    const trace = r.json<{ nodes: { event: { event: { id: string; action: string } }; parent: { kind: string } }[]; roots: string[] }>();
    expect(trace.nodes.map((n) => n.event.event.action)).toEqual(['restore.start', 'restore.block', 'restore.end']);
    expect(trace.nodes.map((n) => n.parent.kind)).toEqual(['none', 'present', 'present']);
    expect(trace.roots).toEqual(['01JPB3ZK4Q8W5T2V9X7Y6N3M1R']);
  });

  it('answers 404 for an unknown correlation id', async () => {
    const r = await app.inject({ url: '/api/traces/nope' });
    expect(r.statusCode).toBe(404);
  });
});

describe('GET /api/dead-letters, /healthz, POST /api/items', () => {
  it('lists dead letters by reason', async () => {
    const r = await app.inject({ url: '/api/dead-letters?reason=not-json&limit=0' });
    expect(r.json<{ deadLetters: { error: { type: string } }[] }>().deadLetters.map((d) => d.error.type)).toEqual(['not-json', 'not-json']);
  });

  it('reports health with the store counts', async () => {
    const r = await app.inject({ url: '/healthz' });
    expect(r.json()).toMatchObject({ status: 'ok', followerLagBytes: 0 });
  });

  it('stores posted items once, however often they are posted', async () => {
    const extra = readWhole(Buffer.from('[2026-01-01 00:00:00] REBOOT\n'), 'rlog', { host: 'posted' }).items;
    const payload = { events: extra.flatMap((i) => (i.kind === 'event' ? [i.event] : [])), deadLetters: [] };
    const first = await app.inject({ method: 'POST', url: '/api/items', headers: access.headers('admin'), payload });
    const second = await app.inject({ method: 'POST', url: '/api/items', headers: access.headers('admin'), payload });
    expect(first.json()).toMatchObject({ events: { inserted: 1, duplicates: 0 } });
    expect(second.json()).toMatchObject({ events: { inserted: 0, duplicates: 1 } });
    const bad = await app.inject({ method: 'POST', url: '/api/items', headers: access.headers('admin'), payload: { events: [{ nope: 1 }], deadLetters: [] } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json<{ code: string }>().code).toBe('PIP_ERR_STORE_INVALID_EVENT');
  });
});

describe('metrics of what the API stored', () => {
  /** The value of one sample of the scrape, 0 when absent. */
  async function sample(series: string): Promise<number> {
    const body = (await app.inject({ url: '/metrics' })).body;
    const line = body.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }

  it('counts items posted by `kintsugi ingest` once, as the followers\' sink counts them', async () => {
    const posted = readWhole(Buffer.from('[2026-01-02 00:00:00] CHECK /lib/modules/3.2.7/a.ko OK\n\u0000bad\n'), 'rlog', { host: 'counted' }).items;
    const payload = { events: posted.flatMap((i) => (i.kind === 'event' ? [i.event] : [])), deadLetters: posted.flatMap((i) => (i.kind === 'dead-letter' ? [i.deadLetter] : [])) };
    expect([payload.events.length, payload.deadLetters.length]).toEqual([1, 1]);
    const reason = payload.deadLetters[0]?.error.type ?? '';
    const outcome = payload.events[0]?.event.outcome ?? '';
    // Not a failure: the scrape test below counts the v32 failures of the samples exactly.
    expect(outcome).toBe('success');
    const eventSeries = `kintsugi_events_stored_total{dataset="recovery.v32",outcome="${outcome}",otel_scope_name="kintsugi"}`;
    const deadSeries = `kintsugi_dead_letters_total{reason="${reason}",otel_scope_name="kintsugi"}`;
    const before = [await sample(eventSeries), await sample(deadSeries)];
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'POST', url: '/api/items', headers: access.headers('admin'), payload })).statusCode).toBe(200);
    expect([await sample(eventSeries), await sample(deadSeries)]).toEqual([(before[0] ?? 0) + 1, (before[1] ?? 0) + 1]);
  });
});

describe('GET /metrics', () => {
  // Every catalogued metric, on a running service: test/telemetry/service.test.ts.
  it('exposes the ingest metrics in the Prometheus text format', async () => {
    const r = await app.inject({ url: '/metrics' });
    expect(r.statusCode).toBe(200);
    for (const key of ['eventsStored', 'deadLetters', 'storeWrite', 'followerLag'] as const satisfies readonly MetricKey[]) expect(r.body).toMatch(new RegExp(`^# TYPE ${exposedName(key)} `, 'm'));
    const failures = new Set(items.flatMap((i) => (i.kind === 'event' && i.event.event.dataset === 'recovery.v32' && i.event.event.outcome === 'failure' ? [i.event.event.id] : []))).size;
    expect(r.body).toMatch(new RegExp(`^kintsugi_events_stored_total\\{dataset="recovery.v32",outcome="failure",otel_scope_name="kintsugi"\\} ${failures}$`, 'm'));
    expect(r.body).toMatch(/^kintsugi_dead_letters_total\{reason="orphan-continuation",otel_scope_name="kintsugi"\} 2$/m);
  });
});

describe('GET /api/traces/:id, linked', () => {
  // The restore under the recurring alert's correlation id names the first corrupt check (s1) as
  // parent; the alert counted the checks of s1, s2 and s3.
  let linkedApp: FastifyInstance;
  let linkedAccess: TestAccess;
  const alert = sampleAlerts().find((a) => a.rule.id === 'recurring-module-corruption');
  const cid = alert?.recovery.correlation_id ?? 'none';

  beforeAll(async () => {
    const store = new MemoryEventStore();
    const runner = { id: 'r-verify', at: '2026-03-06T03:00:00Z', action: 'integrity.verify', status: 'corrupt', host: 'db-07', cid };
    await store.writeBatch([...SAMPLE_EVENTS.map(toEvent), { ...toEvent(runner), recovery: { ...toEvent(runner).recovery, parent_id: 'a1' } }], []);
    const alerts = new MemoryAlertStore();
    await alerts.put(sampleAlerts());
    linkedAccess = testAccess(store, { anonymous: 'viewer' });
    linkedApp = await buildApi({ store, alerts, access: linkedAccess.deps });
  });
  afterAll(async () => {
    await linkedApp.close();
    linkedAccess.cleanup();
  });

  it("gives the alert's trace with the corrupt checks of the other sessions, marked linked, in time order", async () => {
    const r = await linkedApp.inject({ url: `/api/traces/${cid}` });
    expect(r.statusCode).toBe(200);
    const trace = r.json<{ nodes: { event: { event: { id: string } }; parent: { kind: string }; linked?: { via: string; correlationId: string | null; alertId?: string } }[]; roots: string[]; linksCut: boolean }>();
    expect(trace.nodes.map((n) => [n.event.event.id, n.parent.kind, n.linked])).toEqual([
      ['a1', 'none', { via: 'parent', correlationId: 's1' }],
      ['a2', 'none', { via: 'alert', correlationId: 's2', alertId: alert?.event.id }],
      ['a3', 'none', { via: 'alert', correlationId: 's3', alertId: alert?.event.id }],
      ['r-verify', 'present', undefined],
    ]);
    expect(trace.roots).toEqual(['a1', 'a2', 'a3']);
    expect(trace.linksCut).toBe(false);
  });

  it('keeps a session trace as it was (nothing links out of it) and answers 404 for an unknown id', async () => {
    const r = await linkedApp.inject({ url: '/api/traces/s2' });
    expect(r.json()).toEqual({ correlationId: 's2', nodes: [expect.objectContaining({ parent: { kind: 'none' }, children: [] })], roots: ['a2'], linksCut: false });
    expect((await linkedApp.inject({ url: '/api/traces/nope' })).statusCode).toBe(404);
  });

  it('documents the linked nodes in the OpenAPI document', async () => {
    const doc = (await linkedApp.inject({ url: '/api/openapi.json' })).json<{ paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown> } }> }> } }> }>();
    const schema = doc.paths['/api/traces/{id}']?.get.responses['200']?.content['application/json']?.schema;
    expect(Object.keys(schema?.properties ?? {})).toEqual(['correlationId', 'nodes', 'roots', 'linksCut']);
    expect(JSON.stringify(schema)).toContain('"linked"');
  });
});
