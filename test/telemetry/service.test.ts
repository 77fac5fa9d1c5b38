/**
 * OpenTelemetry of a real service (in process, DuckDB store in a temp folder): the spans of
 * parsing, ingest batches, store writes, rule evaluation (with the alerts' correlation ids) and
 * HTTP requests; /metrics scraped over HTTP, parsed, and every catalogued metric found with its
 * type and labels.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tracing } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SILENT_LOG } from '../../collectors/source.js';
import { TokenFile } from '../../pipeline/access/token-store.js';
import type { Config } from '../../pipeline/config/schema.js';
import { Service } from '../../pipeline/service.js';
import { METRICS, exposedName, type MetricKey } from '../../pipeline/telemetry/metrics.js';
import { SPANS } from '../../pipeline/telemetry/spans.js';
import { startTelemetry } from '../../pipeline/telemetry/telemetry.js';
import { SAMPLE_EVENTS } from '../alerts/samples.js';
import { SAMPLES_DIR } from '../parsers/samples.js';
import { toEvent } from '../rules/events.js';
import { parsePrometheus } from './prometheus.js';

const spans = new tracing.InMemorySpanExporter();
let dir: string;
let service: Service;
let token: string;
let admin: string;

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kintsugi-otel-'));
  mkdirSync(join(dir, 'logs'));
  copyFileSync(join(SAMPLES_DIR, 'example.rlog'), join(dir, 'logs', 'recovery.log'));
  writeFileSync(join(dir, 'logs', 'broken.log'), 'no timestamp on this line\n');
  const data = join(dir, 'data');
  const tokens = TokenFile.inDataDir(data);
  token = tokens.create('prometheus', 'viewer').token;
  admin = tokens.create('loader', 'admin').token;
  const config: Config = {
    api: { host: '127.0.0.1', port: 0 },
    followers: { pollIntervalMs: 50, idleFlushMs: 100 },
    store: { threads: 1 },
    sources: [
      { name: 'rlog', format: 'rlog', paths: [join(dir, 'logs', 'recovery.log*')], host: 'db-07' },
      { name: 'broken', format: 'rlog', paths: [join(dir, 'logs', 'broken.log')] },
    ],
  };
  const telemetry = startTelemetry({ spanProcessors: [new tracing.SimpleSpanProcessor(spans)] });
  service = new Service(config, data, SILENT_LOG, undefined, telemetry);
  await service.start();
}, 60_000);
afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('OpenTelemetry of kintsugi serve', () => {
  it('traces parsing, ingest batches, store writes, rule evaluation and requests', async () => {
    const post = await fetch(`${service.url}/api/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: SAMPLE_EVENTS.map(toEvent), deadLetters: [] }),
    });
    expect(post.status).toBe(200);
    const evaluated = await until('a rule evaluation with alerts', async () => spans.getFinishedSpans().find((s) => s.name === SPANS.rulesEvaluate.name && Number(s.attributes['kintsugi.changes']) > 0) ?? null);
    const alerts = (await (await fetch(`${service.url}/api/alerts?limit=0`, { headers: { authorization: `Bearer ${token}` } })).json()) as { alerts: { recovery: { correlation_id: string } }[] };
    expect(alerts.alerts.length).toBeGreaterThan(0);
    expect(evaluated.attributes['kintsugi.correlation_ids']).toEqual(expect.arrayContaining([alerts.alerts[0]?.recovery.correlation_id]));

    await until('the log stored', async () => (spans.getFinishedSpans().some((s) => s.name === SPANS.ingestBatch.name && Number(s.attributes['kintsugi.events']) > 0) ? true : null));
    const finished = spans.getFinishedSpans();
    const parse = finished.find((s) => s.name === SPANS.parse.name && s.attributes['kintsugi.source'] === 'rlog');
    expect(parse?.attributes).toMatchObject({ 'kintsugi.format': 'rlog', 'kintsugi.bytes': 982, 'kintsugi.items': 9 });
    const batch = finished.find((s) => s.name === SPANS.ingestBatch.name && Number(s.attributes['kintsugi.events']) > 0);
    const write = finished.find((s) => s.name === SPANS.storeWrite.name && s.parentSpanContext?.spanId === batch?.spanContext().spanId);
    expect(write?.attributes['kintsugi.inserted']).toBeGreaterThan(0);
    // @fastify/otel: one span per request, with the route.
    expect(finished.some((s) => s.attributes['http.route'] === '/api/items' || s.attributes['http.request.method'] === 'POST')).toBe(true);
  }, 60_000);

  it('serves every catalogued metric at /metrics, with its type and labels', async () => {
    // A refusal (kintsugi_auth_denied), and the restore runner's instruments as it records them.
    expect((await fetch(`${service.url}/api/events`)).status).toBe(401);
    const runner = (service as unknown as { telemetry: { instruments: import('../../pipeline/telemetry/telemetry.js').Instruments } }).telemetry.instruments;
    runner.restoreJobsActive.add(1);
    runner.restores.add(1, { outcome: 'success' });
    runner.restoreDuration.record(12.5, { outcome: 'success' });
    runner.restoreWrittenBytes.add(4096, { mode: 'files' });
    runner.prefetchChunkReads.add(3, { result: 'hit' });
    // This service reads files, not Kafka: the workers' gauge as they observe it (test/transport checks theirs).
    runner.kafkaConsumerLag.addCallback((r) => r.observe(0, { topic: 'kintsugi.events', partition: '0' }));
    await until('the dead letter', async () => {
      const h = (await (await fetch(`${service.url}/healthz`)).json()) as { deadLetters: number };
      return h.deadLetters > 0 ? true : null;
    });
    const r = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    const families = parsePrometheus(await r.text());
    const exposedLabels = new Set(['otel_scope_name', 'otel_scope_version', 'otel_scope_schema_url', 'le']);
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      const m = METRICS[key];
      const family = families.get(exposedName(key));
      expect(family, `${exposedName(key)} is exported`).toBeDefined();
      expect(family?.type, exposedName(key)).toBe(m.type === 'histogram' ? 'histogram' : m.type === 'counter' ? 'counter' : 'gauge');
      expect(family?.samples.length, exposedName(key)).toBeGreaterThan(0);
      for (const s of family?.samples ?? []) for (const l of Object.keys(s.labels)) expect([...m.labels, ...exposedLabels], `${s.name} label ${l}`).toContain(l);
    }
    expect(families.get('kintsugi_auth_denied_total')?.samples).toEqual(expect.arrayContaining([expect.objectContaining({ labels: expect.objectContaining({ reason: 'ACC_ERR_UNAUTHENTICATED' }), value: 1 })]));
    expect(families.get('kintsugi_alert_changes_total')?.samples.some((s) => s.labels['rule'] === 'recurring-module-corruption')).toBe(true);
    // The evaluator's latency of that alert: observed at least once.
    const latency = families.get('kintsugi_alert_latency_seconds')?.samples.filter((s) => s.labels['rule'] === 'recurring-module-corruption') ?? [];
    expect(Number(latency.find((s) => s.name === 'kintsugi_alert_latency_seconds_count')?.value)).toBeGreaterThan(0);
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
  }, 60_000);
});
