/**
 * Late events that change an answer already given: the alert given before is withdrawn, naming
 * its successor when one covers the same time; open and resolved alerts stay the pure function.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../pipeline/alerts/alert.js';
import { loadDefaultRules } from '../../pipeline/rules/defaults.js';
import { AlertEvaluator } from '../../pipeline/alerts/evaluator.js';
import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { evaluateRules, RuleEngine } from '../../pipeline/rules/engine.js';
import { compileRules } from '../../pipeline/rules/load.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { toEvent, type CaseEvent } from './events.js';

const rules = loadDefaultRules();
const t = (s: string): number => Date.parse(s);

function summary(changes: readonly { kind: string; alert: Alert }[]): string[] {
  return changes.map((c) => `${c.kind} ${c.alert.rule.id} ${c.alert.recovery.alert.key} ${c.alert.recovery.alert.status} fired ${c.alert.recovery.alert.fired_at}${c.alert.recovery.alert.superseded_by !== undefined ? ` by ${c.alert.recovery.alert.superseded_by}` : ''}`);
}

describe('late events', () => {
  it('a restore.end inside the window, arriving after restore-stuck fired, withdraws the alert', () => {
    const engine = new RuleEngine(rules.filter((r) => r.id === 'restore-stuck'));
    const start: CaseEvent = { id: 's', at: '2026-03-01T01:00:00Z', action: 'restore.start', cid: 'job-1' };
    const end: CaseEvent = { id: 'e', at: '2026-03-01T01:10:00Z', action: 'restore.end', status: 'ok', cid: 'job-1' };
    engine.ingest([toEvent(start)]);
    expect(summary(engine.evaluate(t('2026-03-01T01:14:59Z')))).toEqual([]);
    const fired = engine.evaluate(t('2026-03-01T01:20:00Z'));
    expect(summary(fired)).toEqual(['new restore-stuck correlation_id=job-1 open fired 2026-03-01T01:15:00.000Z']);
    engine.ingest([toEvent(end)]);
    const after = engine.evaluate(t('2026-03-01T01:21:00Z'));
    expect(summary(after)).toEqual(['withdrawn restore-stuck correlation_id=job-1 withdrawn fired 2026-03-01T01:15:00.000Z']);
    expect(after[0]?.alert.recovery.alert.withdrawn_at).toBe('2026-03-01T01:21:00.000Z');
    expect(after[0]?.alert.event.id).toBe(fired[0]?.alert.event.id);
    expect(engine.alerts()).toEqual([]);
    expect(evaluateRules(engine.rules, [toEvent(start), toEvent(end)], t('2026-03-01T01:21:00Z'))).toEqual([]);
  });

  it('a restore.end after the window resolves the stuck alert instead', () => {
    const engine = new RuleEngine(rules.filter((r) => r.id === 'restore-stuck'));
    engine.ingest([toEvent({ id: 's', at: '2026-03-01T01:00:00Z', action: 'restore.start', cid: 'job-1' })]);
    engine.evaluate(t('2026-03-01T01:20:00Z'));
    engine.ingest([toEvent({ id: 'e', at: '2026-03-01T01:30:00Z', action: 'restore.end', status: 'ok', cid: 'job-1' })]);
    expect(summary(engine.evaluate(t('2026-03-01T01:31:00Z')))).toEqual(['resolved restore-stuck correlation_id=job-1 resolved fired 2026-03-01T01:15:00.000Z']);
  });

  it('a late match that makes a threshold fire earlier supersedes the alert given before', () => {
    const engine = new RuleEngine(rules.filter((r) => r.id === 'recurring-module-corruption'));
    const check = (id: string, at: string, cid: string): CaseEvent => ({ id, at, action: 'check.file', status: 'corrupt', module: 'ext4', cid });
    engine.ingest([check('c1', '2026-03-01T00:00:00Z', 's1'), check('c3', '2026-03-03T00:00:00Z', 's3'), check('c4', '2026-03-04T00:00:00Z', 's4')].map(toEvent));
    const first = engine.evaluate(t('2026-03-05T00:00:00Z'));
    expect(summary(first)).toEqual(['new recurring-module-corruption host=db-07,instance=default,module=ext4 open fired 2026-03-04T00:00:00.000Z']);
    engine.ingest([toEvent(check('c2', '2026-03-02T00:00:00Z', 's2'))]);
    const second = engine.evaluate(t('2026-03-05T00:00:00Z'));
    const successor = second.find((c) => c.kind === 'new')?.alert.event.id ?? '';
    expect(summary(second)).toEqual([
      'new recurring-module-corruption host=db-07,instance=default,module=ext4 open fired 2026-03-03T00:00:00.000Z',
      `withdrawn recurring-module-corruption host=db-07,instance=default,module=ext4 withdrawn fired 2026-03-04T00:00:00.000Z by ${successor}`,
    ]);
    expect(second[0]?.alert.recovery.alert.related_event_ids).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('a late match that bridges two episodes merges them into the earlier one', () => {
    const rule = rules.filter((r) => r.id === 'restore-failed');
    const fail = (id: string, at: string): CaseEvent => ({ id, at, action: 'restore.end', status: 'failed', cid: id });
    const engine = new RuleEngine(rule);
    engine.ingest([fail('f1', '2026-03-01T00:00:00Z'), fail('f3', '2026-03-02T12:00:00Z')].map(toEvent));
    expect(summary(engine.evaluate(t('2026-03-02T13:00:00Z')))).toEqual([
      'new restore-failed host=db-07,instance=default resolved fired 2026-03-01T00:00:00.000Z',
      'new restore-failed host=db-07,instance=default open fired 2026-03-02T12:00:00.000Z',
    ]);
    engine.ingest([toEvent(fail('f2', '2026-03-01T20:00:00Z'))]);
    const merged = engine.evaluate(t('2026-03-02T13:00:00Z'));
    expect(summary(merged).map((s) => s.replace(/ by \w+$/, ' by <first>'))).toEqual([
      'reopened restore-failed host=db-07,instance=default open fired 2026-03-01T00:00:00.000Z',
      'withdrawn restore-failed host=db-07,instance=default withdrawn fired 2026-03-02T12:00:00.000Z by <first>',
    ]);
    expect(merged[1]?.alert.recovery.alert.superseded_by).toBe(merged[0]?.alert.event.id);
    expect(merged[0]?.alert.recovery.alert.count).toBe(3);
  });

  it('gives the next deadline, and nothing before it', () => {
    const engine = new RuleEngine(rules.filter((r) => r.id === 'restore-stuck'));
    engine.ingest([toEvent({ id: 's', at: '2026-03-01T01:00:00Z', action: 'restore.start', cid: 'job-1' })]);
    engine.evaluate(t('2026-03-01T01:00:00Z'));
    expect(engine.nextDueMs()).toBe(t('2026-03-01T01:15:00Z'));
    expect(engine.evaluate(t('2026-03-01T01:14:59.999Z'))).toEqual([]);
    expect(engine.evaluate(t('2026-03-01T01:15:00Z'))).toHaveLength(1);
    expect(engine.nextDueMs()).toBeNull();
  });

  it('allowed_lateness delays firing and resolution by that much', () => {
    const [rule] = compileRules({ version: 1, rules: [{ id: 'stuck', name: 's', category: 'c', severity: 'low', type: 'sequence', first: { action: 'restore.start' }, then: { action: 'restore.end' }, group_by: ['correlation_id'], window: '15m', allowed_lateness: '2m' }] }, 'inline');
    const engine = new RuleEngine(rule === undefined ? [] : [rule]);
    engine.ingest([toEvent({ id: 's', at: '2026-03-01T01:00:00Z', action: 'restore.start', cid: 'job-1' })]);
    expect(engine.evaluate(t('2026-03-01T01:16:59Z'))).toEqual([]);
    expect(engine.nextDueMs()).toBe(t('2026-03-01T01:17:00Z'));
    const fired = engine.evaluate(t('2026-03-01T01:17:00Z'));
    expect(summary(fired)).toEqual(['new stuck correlation_id=job-1 open fired 2026-03-01T01:15:00.000Z']);
  });

  it('the evaluator stores the withdrawn alert beside its successor', async () => {
    const events = new MemoryEventStore();
    const alerts = new MemoryAlertStore();
    let clock = t('2026-03-01T01:20:00Z');
    const evaluator = new AlertEvaluator(events, alerts, rules.filter((r) => r.id === 'restore-stuck'), { now: () => clock, evaluateIntervalMs: 0 });
    await evaluator.rebuild();
    await events.writeBatch([toEvent({ id: 's', at: '2026-03-01T01:00:00Z', action: 'restore.start', cid: 'job-1' })], []);
    await evaluator.runOnce();
    expect((await alerts.query({ status: ['open'] }, { limit: 0 })).alerts).toHaveLength(1);
    clock = t('2026-03-01T01:25:00Z');
    await events.writeBatch([toEvent({ id: 'e', at: '2026-03-01T01:05:00Z', action: 'restore.end', status: 'ok', cid: 'job-1' })], []);
    await evaluator.runOnce();
    const all = (await alerts.query({}, { limit: 0 })).alerts;
    expect(all.map((a) => `${a.recovery.alert.status} ${a.recovery.alert.withdrawn_at ?? ''}`)).toEqual(['withdrawn 2026-03-01T01:25:00.000Z']);
    expect(await alerts.current()).toEqual([]);
  });
});
