/**
 * The rule cases (cases/*.yaml): events in, alerts out. Each case runs through the evaluator over
 * a memory event store and a memory alert store in every arrival mode, and every mode must give
 * the exact expected alerts, and the same documents:
 *
 * - batch:     all events in one write (an import of old files), evaluated once at `now`;
 * - in-order:  one event at a time in time order, the clock at each event's time (a live feed);
 * - reversed:  one at a time, newest first, the clock at `now` (every event is late);
 * - shuffled:  one at a time in a fixed shuffled order, the clock at `now`;
 * - restart:   in order, the evaluator stopped after half and a new one started on the same stores;
 * - crash:     as restart, but the first evaluator is dropped without stopping (no final checkpoint).
 *
 * The pure function (evaluateRules) must agree with all of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RecoveryEvent } from '../../parsers/event.js';
import type { Alert } from '../../pipeline/alerts/alert.js';
import { AlertEvaluator } from '../../pipeline/alerts/evaluator.js';
import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { loadDefaultRules } from '../../pipeline/rules/defaults.js';
import { evaluateRules } from '../../pipeline/rules/engine.js';
import { compileRules } from '../../pipeline/rules/load.js';
import type { Rule } from '../../pipeline/rules/rule.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { toEvent, type CaseEvent } from './events.js';

interface Expected {
  readonly rule: string;
  readonly key: string;
  readonly status: 'open' | 'resolved';
  readonly count: number;
  readonly distinct?: number;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly fired_at: string;
  readonly resolved_at?: string;
  readonly related: readonly string[];
  /** Further fields by dotted path, compared exactly. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

interface Case {
  readonly description: string;
  readonly rules: 'defaults' | readonly unknown[];
  readonly only?: readonly string[];
  readonly now: string;
  readonly events: readonly CaseEvent[];
  readonly expect: readonly Expected[];
}

const MODES = ['batch', 'in-order', 'reversed', 'shuffled', 'restart', 'crash'] as const;
type Mode = (typeof MODES)[number];

const dir = new URL('./cases/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

function iso(t: string): string {
  return new Date(t).toISOString();
}

function rulesOf(c: Case, file: string): readonly Rule[] {
  const all = c.rules === 'defaults' ? loadDefaultRules() : compileRules({ version: 1, rules: c.rules }, file);
  return c.only === undefined ? all : all.filter((r) => c.only?.includes(r.id));
}

/** A fixed permutation (a linear congruential generator seeded by the number of events). */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let state = out.length * 7919 + 17;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function run(mode: Mode, rules: readonly Rule[], events: readonly RecoveryEvent[], nowMs: number): Promise<Alert[]> {
  const store = new MemoryEventStore({ now: () => new Date(nowMs) });
  const alerts = new MemoryAlertStore();
  let clock = nowMs;
  const evaluator = (): AlertEvaluator => new AlertEvaluator(store, alerts, rules, { now: () => clock, pageSize: 2, evaluateIntervalMs: 0 });
  const write = async (batch: readonly RecoveryEvent[]): Promise<void> => {
    const r = await store.writeBatch(batch, []);
    if (!r.ok) throw r.error;
  };
  const byTime = [...events].sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']) || (a.event.id < b.event.id ? -1 : 1));
  let ev = evaluator();
  await ev.rebuild();
  switch (mode) {
    case 'batch':
      await write(events);
      break;
    case 'in-order':
    case 'restart':
    case 'crash': {
      const half = Math.floor(byTime.length / 2);
      for (const [i, e] of byTime.entries()) {
        if (i === half && mode !== 'in-order') {
          if (mode === 'restart') await ev.stop();
          ev = evaluator();
          await ev.rebuild();
        }
        clock = Date.parse(e['@timestamp']);
        await write([e]);
        await ev.runOnce();
      }
      break;
    }
    case 'reversed':
    case 'shuffled':
      for (const e of mode === 'reversed' ? [...byTime].reverse() : shuffled(byTime)) {
        await write([e]);
        await ev.runOnce();
      }
      break;
  }
  clock = nowMs;
  await ev.runOnce();
  const page = await alerts.query({ status: ['open', 'resolved'] }, { limit: 0 });
  return [...page.alerts];
}

function at(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function project(a: Alert, fields: readonly string[]): Record<string, unknown> {
  const i = a.recovery.alert;
  const out: Record<string, unknown> = {
    rule: a.rule.id,
    key: i.key,
    status: i.status,
    count: i.count,
    ...(i.distinct_count !== undefined ? { distinct: i.distinct_count } : {}),
    first_seen: i.first_seen,
    last_seen: i.last_seen,
    fired_at: i.fired_at,
    ...(i.resolved_at !== undefined ? { resolved_at: i.resolved_at } : {}),
    related: i.related_event_ids,
  };
  if (fields.length > 0) out['fields'] = Object.fromEntries(fields.map((f) => [f, at(a, f)]));
  return out;
}

function normalizeExpected(e: Expected): Record<string, unknown> {
  return {
    rule: e.rule,
    key: e.key,
    status: e.status,
    count: e.count,
    ...(e.distinct !== undefined ? { distinct: e.distinct } : {}),
    first_seen: iso(e.first_seen),
    last_seen: iso(e.last_seen),
    fired_at: iso(e.fired_at),
    ...(e.resolved_at !== undefined ? { resolved_at: iso(e.resolved_at) } : {}),
    related: e.related,
    ...(e.fields !== undefined ? { fields: e.fields } : {}),
  };
}

function order(a: Alert, b: Alert): number {
  return a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : a.recovery.alert.key < b.recovery.alert.key ? -1 : a.recovery.alert.key > b.recovery.alert.key ? 1 : a['@timestamp'] < b['@timestamp'] ? -1 : 1;
}

describe('rule cases', () => {
  it('has cases', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    const c = parse(readFileSync(new URL(file, dir), 'utf8')) as Case;
    const rules = rulesOf(c, file);
    const events = c.events.map(toEvent);
    const nowMs = Date.parse(c.now);
    const expected = [...c.expect].map(normalizeExpected);
    describe(`${file}: ${c.description}`, () => {
      const results = new Map<Mode, Alert[]>();
      for (const mode of MODES) {
        it(mode, async () => {
          const alerts = (await run(mode, rules, events, nowMs)).sort(order);
          results.set(mode, alerts);
          const wanted = expected.map((e, i) => ({ e, fields: Object.keys(c.expect[i]?.fields ?? {}) }));
          expect(alerts.map((a, i) => project(a, wanted[i]?.fields ?? []))).toEqual(wanted.map((w) => w.e));
          if (mode !== 'batch') {
            const batch = results.get('batch');
            if (batch !== undefined) expect(alerts).toEqual(batch);
          }
        });
      }
      it('pure function', () => {
        const alerts = evaluateRules(rules, events, nowMs).sort(order);
        expect(alerts.map((a) => a.recovery.alert.key + a['@timestamp'])).toEqual(expected.map((e) => `${String(e['key'])}${String(e['fired_at'])}`));
        const batch = results.get('batch');
        if (batch !== undefined) expect(alerts).toEqual(batch);
      });
    });
  }
});
