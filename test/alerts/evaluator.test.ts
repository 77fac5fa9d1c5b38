/**
 * The evaluator over the real stores (DuckDB files in a temp dir): follows eventsSince, survives a
 * restart with its state rebuilt from both files, and ends with the pure function's alerts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanContext } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecoveryEvent } from '../../parsers/event.js';
import type { Alert } from '../../pipeline/alerts/alert.js';
import type { AlertStore } from '../../pipeline/alerts/alert-store.js';
import { DuckDbAlertStore } from '../../pipeline/alerts/duckdb-store.js';
import { AlertStoreError } from '../../pipeline/alerts/errors.js';
import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { AlertEvaluator } from '../../pipeline/alerts/evaluator.js';
import { loadDefaultRules } from '../../pipeline/rules/defaults.js';
import type { AlertChange } from '../../pipeline/rules/engine.js';
import { evaluateRules } from '../../pipeline/rules/engine.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import { toEvent, type CaseEvent } from '../rules/events.js';

const root = mkdtempSync(join(tmpdir(), 'kintsugi-evaluator-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rules = loadDefaultRules();
const NOW = Date.parse('2026-03-10T00:00:00Z');

const check = (id: string, at: string, cid: string | undefined, host = 'db-07'): CaseEvent => ({ id, at, action: 'check.file', status: 'corrupt', host, module: 'ext4', kernel: '3.2.7', os: '3.2.7', ...(cid !== undefined ? { cid } : {}) });
const EVENTS: readonly RecoveryEvent[] = [
  check('c1', '2026-03-01T01:00:00Z', 's1'),
  { id: 'n1', at: '2026-03-01T01:00:01Z', action: 'session.start', host: 'web-01', cid: 'w1' },
  check('c2', '2026-03-02T01:00:00Z', undefined),
  { id: 'r1', at: '2026-03-02T02:00:00Z', action: 'restore.start', cid: 'job-1' },
  { id: 'p1', at: '2026-03-02T03:00:00Z', action: 'snapshot.create', status: 'ok', host: 'db-07' },
  check('c3', '2026-03-03T01:00:00Z', 's3'),
  check('c4', '2026-03-04T01:00:00Z', 's4'),
  { id: 'r2', at: '2026-03-02T02:30:00Z', action: 'restore.end', status: 'failed', cid: 'job-1' },
  ...['h1', 'h2', 'h3', 'h4', 'h5'].map((h, i) => check(`f${i}`, `2026-03-05T01:0${i}:00Z`, `x${i}`, h)),
].map((e) => toEvent(e as CaseEvent));

function byId(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => (a.event.id < b.event.id ? -1 : 1));
}

async function open(dir: string): Promise<{ events: DuckDbEventStore; alerts: DuckDbAlertStore }> {
  return { events: await DuckDbEventStore.open({ dataDir: dir, threads: 1, memoryLimit: '128MB' }), alerts: await DuckDbAlertStore.open({ dataDir: dir }) };
}

describe('AlertEvaluator on DuckDB stores', () => {
  it('gives the pure function\'s alerts across a restart in the middle', async () => {
    const dir = join(root, 'restart');
    let s = await open(dir);
    let evaluator = new AlertEvaluator(s.events, s.alerts, rules, { now: () => NOW, pageSize: 3, evaluateIntervalMs: 0 });
    await evaluator.rebuild();
    await s.events.writeBatch(EVENTS.slice(0, 6), []);
    await evaluator.runOnce();
    await evaluator.stop();
    const position = evaluator.position;
    expect(position).toBeGreaterThan(0);
    await s.events.close();
    await s.alerts.close();

    s = await open(dir);
    expect(await s.alerts.checkpoint()).toBe(position);
    evaluator = new AlertEvaluator(s.events, s.alerts, rules, { now: () => NOW, pageSize: 3, evaluateIntervalMs: 0 });
    await evaluator.rebuild();
    await s.events.writeBatch(EVENTS.slice(6), []);
    const changes = await evaluator.runOnce();
    // Only what the second half changed: the evaluator did not repeat the alerts it had stored.
    expect(changes.every((c) => c.kind !== 'new' || c.alert.rule.id !== 'snapshot-stale')).toBe(true);
    const stored = (await s.alerts.query({ status: ['open', 'resolved'] }, { limit: 0 })).alerts;
    expect(byId(stored)).toEqual(byId(evaluateRules(rules, EVENTS, NOW)));
    expect(stored.map((a) => `${a.rule.id} ${a.recovery.alert.key} ${a.recovery.alert.status}`).sort()).toEqual([
      'fleet-module-corruption module=ext4 resolved',
      'recurring-module-corruption host=db-07,instance=default,module=ext4 open',
      'restore-failed host=db-07,instance=default resolved',
      'restore-stuck correlation_id=job-1 resolved',
      'snapshot-stale host=db-07 open',
      'snapshot-stale host=web-01 open',
    ]);
    await evaluator.stop();
    await s.events.close();
    await s.alerts.close();
  });

  it('follows the store while it runs, and tells of each change once it is stored', async () => {
    const dir = join(root, 'follow');
    const s = await open(dir);
    const seen: AlertChange[] = [];
    const evaluations: (SpanContext | undefined)[] = [];
    let notify: (() => void) | null = null;
    const evaluator = new AlertEvaluator(s.events, s.alerts, rules.filter((r) => r.id === 'recurring-module-corruption'), {
      now: () => NOW,
      pollIntervalMs: 10,
      onChanges: (changes, evaluation) => {
        seen.push(...changes);
        evaluations.push(evaluation);
        notify?.();
      },
    });
    await evaluator.start();
    const arrived = new Promise<void>((resolve) => (notify = resolve));
    await s.events.writeBatch(EVENTS.filter((e) => ['c1', 'c2', 'c3'].includes(e.event.id)), []);
    await arrived;
    await evaluator.stop();
    expect(seen.map((c) => `${c.kind} ${c.alert.recovery.alert.count}`)).toEqual(['new 3']);
    // With the evaluation's span, which the restore job's span links to.
    expect(evaluations).toEqual([expect.objectContaining({ spanId: expect.any(String), traceId: expect.any(String) })]);
    expect(await s.alerts.get(seen[0]?.alert.event.id ?? '')).toEqual(seen[0]?.alert);
    await s.events.close();
    await s.alerts.close();
  });

  it('rebuilds from the stores after a failed write, so no alert is lost', async () => {
    const events = new MemoryEventStore();
    const inner = new MemoryAlertStore();
    let failures = 1;
    const flaky: AlertStore = {
      put: async (alerts, checkpoint) => {
        if (alerts.length > 0 && failures-- > 0) throw new AlertStoreError('PIP_ERR_ALERTS_WRITE_FAILED', [alerts.length, 'disk full (test)']);
        return inner.put(alerts, checkpoint);
      },
      get: (id) => inner.get(id),
      query: (f, p) => inner.query(f, p),
      current: () => inner.current(),
      checkpoint: () => inner.checkpoint(),
      close: () => inner.close(),
    };
    const errors: string[] = [];
    let notify: (() => void) | null = null;
    const stored = new Promise<void>((resolve) => (notify = resolve));
    const evaluator = new AlertEvaluator(events, flaky, rules.filter((r) => r.id === 'recurring-module-corruption'), {
      now: () => NOW,
      pollIntervalMs: 10,
      evaluateIntervalMs: 0,
      log: { info: () => undefined, warn: () => undefined, error: (_f, m) => errors.push(m) },
      onChanges: () => notify?.(),
    });
    await evaluator.start();
    await events.writeBatch(EVENTS.filter((e) => ['c1', 'c2', 'c3'].includes(e.event.id)), []);
    await stored;
    await evaluator.stop();
    expect(errors).toEqual(['alert evaluation failed; rebuilding from the stores and trying again']);
    expect((await inner.query({}, { limit: 0 })).alerts.map((a) => `${a.rule.id} ${a.recovery.alert.count}`)).toEqual(['recurring-module-corruption 3']);
  });
});

describe('AlertEvaluator latency (kintsugi_alert_latency_seconds)', () => {
  it('tells, per stored change, the time from the commit of the newest new event behind it; none for changes time alone made', async () => {
    // The store's clock 2 s behind: each event's `event.ingested` (its commit) is 2 s before it is read.
    let behindMs = 2000;
    const events = new MemoryEventStore({ now: () => new Date(Date.now() - behindMs) });
    const told: { rule: string; seconds: number }[] = [];
    const changes: AlertChange[] = [];
    const evaluator = new AlertEvaluator(events, new MemoryAlertStore(), rules, {
      now: () => NOW,
      evaluateIntervalMs: 0,
      onChanges: (c) => changes.push(...c),
      onLatency: (rule, seconds) => told.push({ rule, seconds }),
    });
    await evaluator.rebuild();
    await events.writeBatch(EVENTS, []);
    await evaluator.runOnce();
    const eventMade = changes.filter((c) => c.alert.recovery.alert.related_event_ids.length > 0);
    expect(eventMade.length).toBeGreaterThan(0);
    expect(told.map((t) => t.rule).sort()).toEqual(eventMade.map((c) => c.alert.rule.id).sort());
    for (const t of told) {
      expect(t.seconds).toBeGreaterThanOrEqual(2);
      expect(t.seconds).toBeLessThan(60);
    }
    // Nothing new: a second pass tells nothing, whatever time alone changes.
    told.length = 0;
    await evaluator.runOnce();
    expect(told).toEqual([]);
    // Events that carry an hour-old `event.ingested` (imported as they were) were still committed
    // after the last read that caught up: the latency is bounded by it, not an hour.
    behindMs = 3_600_000;
    await events.writeBatch(['s7', 's8', 's9'].map((cid, i) => toEvent(check(`d${i}`, `2026-03-0${7 + i}T01:00:00Z`, cid, 'db-09'))), []);
    await evaluator.runOnce();
    expect(told.map((t) => t.rule)).toContain('recurring-module-corruption');
    for (const t of told) expect(t.seconds).toBeLessThan(60);
  });
});
