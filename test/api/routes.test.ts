/**
 * The forensic API over a real DuckDB store: aggregations, alert detail and triage, dead-letter
 * replay, the OpenAPI document, injection strings taken as text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter, RecoveryEvent } from '../../parsers/event.js';
import type { Alert } from '../../pipeline/alerts/alert.js';
import { sourceResolver } from '../../pipeline/api/replay.js';
import { buildApi } from '../../pipeline/api/server.js';
import { readWhole } from '../parsers/read.js';
import { testMeter } from '../telemetry/meter.js';
import { openFixture, type Fixture } from './fixture.js';

let f: Fixture;
beforeAll(async () => {
  f = await openFixture();
}, 60_000);
afterAll(async () => {
  await f?.close();
});

const viewer = () => f.access.headers('viewer');
const operator = () => f.access.headers('operator');

describe('GET /api/aggregations', () => {
  it('counts by field, by bucket, and by both, as the store does', async () => {
    const byHost = await f.app.inject({ url: '/api/aggregations?field=host', headers: viewer() });
    expect(byHost.statusCode).toBe(200);
    const counts = byHost.json<{ counts: { key: string; count: number }[] }>().counts;
    const total = counts.reduce((n, c) => n + c.count, 0);
    expect(total).toBe((await f.store.stats()).events);
    const db07 = await f.store.queryEvents({ host: 'db-07' }, { limit: 0 });
    expect(counts.find((c) => c.key === 'db-07')?.count).toBe(db07.ok ? db07.events.length : -1);

    const daily = await f.app.inject({ url: '/api/aggregations?bucket=1d&action=check.file&outcome=failure', headers: viewer() });
    const buckets = daily.json<{ bucketMs: number; buckets: { start: string; count: number }[] }>();
    expect(buckets.bucketMs).toBe(86_400_000);
    const failures = await f.store.queryEvents({ action: 'check.file', outcome: 'failure' }, { limit: 0 });
    expect(failures.ok && failures.events.length).toBeGreaterThan(3);
    expect(buckets.buckets.reduce((n, b) => n + b.count, 0)).toBe(failures.ok ? failures.events.length : -1);

    const both = await f.app.inject({ url: '/api/aggregations?bucket=1h&field=module&from=2026-03-01T00:00:00Z&to=2026-03-04T00:00:00Z', headers: viewer() });
    expect(both.json<{ field: string; buckets: { key: string | null }[] }>().buckets.map((b) => b.key)).toEqual(['ext4', 'ext4', 'ext4']);
  });

  it.each([
    ['/api/aggregations', /querystring\/field or querystring\/bucket/],
    ['/api/aggregations?field=password', /querystring\/field must be equal to one of the allowed values/],
    ['/api/aggregations?bucket=0s', /querystring\/bucket must match pattern/],
    ['/api/aggregations?field=host&from=yesterday', /from/],
  ])('answers 400 naming the field: %s', async (url, message) => {
    const r = await f.app.inject({ url, headers: viewer() });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ message: string }>().message).toMatch(message);
  });
});

describe('alerts: detail, acknowledge, resolve', () => {
  let recurring: Alert;
  beforeAll(async () => {
    const page = await f.alerts.query({ rule: ['recurring-module-corruption'] }, { limit: 0 });
    const a = page.alerts[0];
    if (a === undefined) throw new Error('the sample alerts have no recurring-module-corruption alert');
    recurring = a;
  });

  it('gives the alert with the events behind it', async () => {
    const r = await f.app.inject({ url: `/api/alerts/${recurring.event.id}/detail`, headers: viewer() });
    expect(r.statusCode).toBe(200);
    const body = r.json<{ alert: Alert; triage: unknown; related: RecoveryEvent[] }>();
    expect(body.alert.event.id).toBe(recurring.event.id);
    expect(body.triage).toBeNull();
    expect(body.related.map((e) => e.event.id).sort()).toEqual([...recurring.recovery.alert.related_event_ids].sort());
    expect(body.related.length).toBeGreaterThan(0);
  });

  it('finds the related events by id, however busy the group was in the alert\'s window', async () => {
    // 10,050 corrupt checks of one module in one minute; the alert names the last two.
    const lines = Array.from({ length: 10_050 }, (_, i) => `[2026-04-01 00:00:${String(Math.floor(i / 200)).padStart(2, '0')}] CHECK /lib/modules/3.2.7/kernel/fs/ext4/ext4.ko CORRUPT (code=E1207 "checksum mismatch ${i}")`);
    const busy = readWhole(Buffer.from(`${lines.join('\n')}\n`), 'rlog', { host: 'busy-07', path: '/var/log/busy.log' }).items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
    expect(busy).toHaveLength(10_050);
    expect((await f.store.writeBatch(busy, [])).ok).toBe(true);
    const last = busy.slice(-2).map((e) => e.event.id);
    const info = recurring.recovery.alert;
    const alert: Alert = {
      ...recurring,
      event: { ...recurring.event, id: 'busy-alert' },
      recovery: { ...recurring.recovery, alert: { ...info, group: { host: 'busy-07', instance: 'default', module: 'ext4' }, first_seen: busy[0]?.['@timestamp'] ?? '', last_seen: busy.at(-1)?.['@timestamp'] ?? '', related_event_ids: last } },
    };
    await f.alerts.put([alert]);
    const r = await f.app.inject({ url: '/api/alerts/busy-alert/detail', headers: viewer() });
    expect(r.statusCode).toBe(200);
    expect(r.json<{ related: RecoveryEvent[] }>().related.map((e) => e.event.id).sort()).toEqual([...last].sort());
  });

  it('records who acknowledged and resolved, in the event store, and shows the latest', async () => {
    const ack = await f.app.inject({ method: 'POST', url: `/api/alerts/${recurring.event.id}/acknowledge`, headers: operator(), payload: { note: 'looking at db-07' } });
    expect(ack.statusCode).toBe(200);
    expect(ack.json<{ triage: { state: string; by: string } }>().triage).toMatchObject({ state: 'acknowledged', by: 'token:test-operator', note: 'looking at db-07' });
    const resolve = await f.app.inject({ method: 'POST', url: `/api/alerts/${recurring.event.id}/resolve`, headers: f.access.headers('admin') });
    expect(resolve.statusCode).toBe(200);
    const detail = (await f.app.inject({ url: `/api/alerts/${recurring.event.id}/detail`, headers: viewer() })).json<{ triage: { state: string; by: string }; activity: RecoveryEvent[] }>();
    expect(detail.triage).toMatchObject({ state: 'resolved', by: 'token:test-admin', note: null });
    expect(detail.activity.map((e) => [e.event.action, e.user?.name])).toEqual([
      ['alert.acknowledge', 'token:test-operator'],
      ['alert.resolve', 'token:test-admin'],
    ]);
    const stored = await f.store.queryEvents({ action: ['alert.acknowledge', 'alert.resolve'], correlationId: recurring.recovery.correlation_id }, { limit: 0 });
    expect(stored.ok && stored.events.length).toBe(2);
  });

  it('refuses a viewer, and says which alert does not exist', async () => {
    expect((await f.app.inject({ method: 'POST', url: `/api/alerts/${recurring.event.id}/acknowledge`, headers: viewer() })).statusCode).toBe(403);
    const missing = await f.app.inject({ method: 'POST', url: '/api/alerts/no-such-alert/acknowledge', headers: operator(), payload: {} });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ code: string }>().code).toBe('PIP_ERR_ALERTS_NOT_FOUND');
    const bad = await f.app.inject({ method: 'POST', url: `/api/alerts/${recurring.event.id}/acknowledge`, headers: operator(), payload: { note: 7, extra: true } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toMatch(/body/);
  });
});

describe('POST /api/dead-letters/replay', () => {
  const fixed: DeadLetter = {
    '@timestamp': '2026-03-14T02:20:00.000Z',
    event: { id: 'dl-fixed-rlog', kind: 'pipeline_error', dataset: 'recovery.v32', original: '[2026-03-14 02:20:00] ERROR E5001 boot loader damaged \\xff' },
    log: { file: { path: '/var/log/recovery/recovery.log.1' }, offset: 4096 },
    error: { type: 'bad-record', message: 'line 1: rejected by an older parser' },
  };
  const fixedOps: DeadLetter = {
    '@timestamp': '2026-03-14T02:21:00.000Z',
    event: { id: 'dl-fixed-ops', kind: 'pipeline_error', dataset: 'recovery.v42', original: '{"schema":2,"time":1773454869412,"event_id":"01JPB3ZK4Q8W5T2V9X7Y6N9999","host":{"name":"web-09"},"os":{"version":"4.2.3","instance":"os-a"},"op":"check.file","status":"ok","code":"S0000","correlation_id":"replay-1","path":"/etc/fstab"}' },
    log: { file: { path: '/var/log/ops/ops.jsonl' }, offset: 100 },
    error: { type: 'missing-field:op', message: 'line 3: rejected by an older parser' },
  };
  const broken: DeadLetter = {
    '@timestamp': '2026-03-14T02:22:00.000Z',
    event: { id: 'dl-broken', kind: 'pipeline_error', dataset: 'recovery.v32', original: 'no timestamp on this line' },
    log: { file: { path: '/var/log/recovery/recovery.log' }, offset: 0 },
    error: { type: 'no-timestamp', message: 'line 1: no timestamp' },
  };

  it('turns the records that now read into events, marks them, and keeps the others', async () => {
    const { app, store, access } = f;
    const meter = testMeter();
    const telemetry = { instruments: meter.instruments, serveMetrics: () => undefined, flush: async () => undefined, shutdown: () => meter.shutdown() };
    const api = await buildApi({ store, access: access.deps, telemetry, sourceOf: sourceResolver([{ name: 'r', format: 'rlog', paths: ['/var/log/recovery/recovery.log*'], host: 'db-replay' }]) });
    expect((await store.writeBatch([], [fixed, fixedOps, broken])).ok).toBe(true);
    const ids = ['dl-fixed-rlog', 'dl-fixed-ops', 'dl-broken', 'dl-unknown'];

    const dry = await api.inject({ method: 'POST', url: '/api/dead-letters/replay', headers: operator(), payload: { ids, dryRun: true } });
    expect(dry.json<{ replayed: unknown[] }>().replayed.length).toBe(2);
    expect((await store.queryDeadLetters({ replayed: true }, { limit: 0 })).ok && (await store.queryDeadLetters({ replayed: true }, { limit: 0 }))).toMatchObject({ deadLetters: [] });

    const r = await api.inject({ method: 'POST', url: '/api/dead-letters/replay', headers: operator(), payload: { ids } });
    expect(r.statusCode).toBe(200);
    const body = r.json<{ replayed: { deadLetterId: string; eventIds: string[] }[]; stillFailing: { deadLetterId: string; reason: string }[]; notPending: string[] }>();
    expect(body.replayed.map((x) => x.deadLetterId).sort()).toEqual(['dl-fixed-ops', 'dl-fixed-rlog']);
    expect(body.stillFailing).toEqual([expect.objectContaining({ deadLetterId: 'dl-broken', reason: 'no-timestamp' })]);
    expect(body.notPending).toEqual(['dl-unknown']);

    const rlogEventId = body.replayed.find((x) => x.deadLetterId === 'dl-fixed-rlog')?.eventIds[0] ?? '';
    const made = await store.queryEvents({ code: 'E5001', host: 'db-replay' }, { limit: 0 });
    expect(made.ok && made.events.map((e) => [e.event.id, e.log?.file?.path, e.log?.offset, e.message])).toEqual([[rlogEventId, '/var/log/recovery/recovery.log.1', 4096, 'boot loader damaged \\xff']]);
    const ops = await store.queryEvents({ correlationId: 'replay-1' }, { limit: 0 });
    expect(ops.ok && ops.events.map((e) => e.host.name)).toEqual(['web-09']);

    const marked = await store.queryDeadLetters({ replayed: true }, { limit: 0 });
    expect(marked.ok && marked.deadLetters.map((d) => [d.event.id, d.replayed?.event_id]).sort()).toEqual(
      body.replayed.map((x) => [x.deadLetterId, x.eventIds[0]]).sort(),
    );
    const again = await api.inject({ method: 'POST', url: '/api/dead-letters/replay', headers: operator(), payload: { ids } });
    expect(again.json<{ replayed: unknown[]; notPending: string[] }>()).toMatchObject({ replayed: [], notPending: ['dl-fixed-rlog', 'dl-fixed-ops', 'dl-unknown'] });
    // The replayed events are counted as stored, once (kintsugi_events_stored_total).
    const stored = async (dataset: string, outcome: string) => meter.value('kintsugi_events_stored', { dataset, outcome });
    expect([await stored('recovery.v32', 'failure'), await stored('recovery.v42', 'success')]).toEqual([1, 1]);

    const audit = await store.queryEvents({ action: 'deadletter.replay' }, { limit: 0 });
    expect(audit.ok && audit.events.map((e) => [e.user?.name, e.recovery.details?.['replayed'], e.recovery.details?.['still_failing']])).toEqual([
      ['token:test-operator', 2, 1],
      ['token:test-operator', 0, 1],
    ]);
    expect((await api.inject({ method: 'POST', url: '/api/dead-letters/replay', headers: viewer(), payload: {} })).statusCode).toBe(403);
    await api.close();
    await meter.shutdown();
  });
});

describe('the OpenAPI document', () => {
  it('describes every route with its schemas and the role it needs', async () => {
    const r = await f.app.inject({ url: '/api/openapi.json', headers: viewer() });
    expect(r.statusCode).toBe(200);
    const doc = r.json<{ openapi: string; paths: Record<string, Record<string, { 'x-kintsugi-role'?: string; parameters?: { name: string }[] }>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const route of f.app.accessRoutes) {
      if (route.method === 'HEAD' || route.url === '/api/openapi.json') continue;
      const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const op = doc.paths[path]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.url}`).toBeDefined();
      expect(op?.['x-kintsugi-role']).toBe(route.role);
    }
    expect(doc.paths['/api/events']?.['get']?.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['host', 'text', 'cursor', 'limit']));
  });
});

describe('injection strings are plain values', () => {
  const nasty = ["' OR 1=1 --", '"); DROP TABLE events; --', '%', '_', '\\', '*)(uid=*', '$1', '${x}'];
  it.each(nasty)('%s', async (s) => {
    const q = encodeURIComponent(s);
    const agg = await f.app.inject({ url: `/api/aggregations?field=host&host=${q}`, headers: viewer() });
    expect(agg.statusCode).toBe(200);
    expect(agg.json<{ counts: unknown[] }>().counts).toEqual([]);
    const text = await f.app.inject({ url: `/api/aggregations?field=host&text=${q}`, headers: viewer() });
    expect(text.statusCode).toBe(200);
    const replay = await f.app.inject({ method: 'POST', url: '/api/dead-letters/replay', headers: operator(), payload: { reason: s, dryRun: true } });
    expect(replay.json<{ replayed: unknown[] }>().replayed).toEqual([]);
    expect((await f.app.inject({ url: `/api/alerts/${q}/detail`, headers: viewer() })).statusCode).toBe(404);
    expect((await f.app.inject({ url: `/api/export?since=${q}`, headers: viewer() })).statusCode).toBe(400);
    expect((await f.store.stats()).events).toBeGreaterThan(0);
  });
});
