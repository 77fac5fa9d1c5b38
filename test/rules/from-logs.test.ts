/**
 * From log lines to alerts as a user runs them: RLOG 3.2 and OPS 4.2 records read by the real
 * parsers, stored, evaluated with the default rules.
 */
import { describe, expect, it } from 'vitest';
import type { ParsedItem, RecoveryEvent } from '../../parsers/event.js';
import { RecordReader } from '../../parsers/reader.js';
import { AlertEvaluator } from '../../pipeline/alerts/evaluator.js';
import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { loadDefaultRules } from '../../pipeline/rules/defaults.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';

const RLOG = [1, 2, 3]
  .map((n) =>
    [
      `[2026-03-0${n} 02:00:00] SESSION START version=3.2.7 host=db-07 session=s${n} trigger=auto`,
      `[2026-03-0${n} 02:00:01] CHECK /lib/modules/3.2.7/kernel/fs/ext4/ext4.ko CORRUPT (code=E1207 "checksum mismatch")`,
      `[2026-03-0${n} 02:00:02] CHECK /lib/modules/3.2.7/kernel/drivers/net/e1000e.ko OK`,
      `[2026-03-0${n} 02:00:03] SESSION END status=partial duration=3s`,
    ].join('\n'),
  )
  .join('\n')
  .concat('\n');

const OPS = `${JSON.stringify({ ts: '2026-03-04T01:00:00.000Z', host: 'web-04', ver: '4.2.1', op: 'restore.start', status: 'started', cid: 'job-7' })}\n`;

function events(text: string, format: 'rlog' | 'ops'): RecoveryEvent[] {
  const reader = new RecordReader(format, { path: `/var/log/${format}`, timeZone: 'UTC' }, undefined, () => '2026-03-10T00:00:00.000Z');
  const items: ParsedItem[] = [...reader.push(Buffer.from(text)), ...reader.end()];
  return items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
}

describe('from log lines to alerts', () => {
  it('raises recurring-module-corruption from three 3.2 sessions and restore-stuck from a 4.2 restore', async () => {
    const store = new MemoryEventStore();
    const alerts = new MemoryAlertStore();
    const parsed = [...events(RLOG, 'rlog'), ...events(OPS, 'ops')];
    expect(parsed).toHaveLength(13);
    await store.writeBatch(parsed, []);
    const evaluator = new AlertEvaluator(store, alerts, loadDefaultRules(), { now: () => Date.parse('2026-03-05T00:00:00Z'), evaluateIntervalMs: 0 });
    await evaluator.rebuild();
    await evaluator.runOnce();
    const open = (await alerts.query({ status: ['open'] }, { limit: 0 })).alerts;
    expect(open.map((a) => [a.rule.id, a.recovery.alert.key, a.recovery.alert.count, a.recovery.alert.distinct_count ?? null])).toEqual([
      ['recurring-module-corruption', 'host=db-07,instance=default,module=ext4', 3, 3],
      ['restore-stuck', 'correlation_id=job-7', 1, null],
    ]);
    const [recurring] = open;
    expect(recurring?.host).toEqual({ name: 'db-07', os: { version: '3.2.7' } });
    expect(recurring?.recovery.kernel).toBe('3.2.7');
    expect(recurring?.recovery.alert.affected_components).toEqual(['kernel module ext4 (kernel 3.2.7)', '/lib/modules/3.2.7/kernel/fs/ext4/ext4.ko', 'host db-07, instance default']);
    expect(recurring?.recovery.alert.first_seen).toBe('2026-03-01T02:00:01.000Z');
    expect(recurring?.recovery.alert.fired_at).toBe('2026-03-03T02:00:01.000Z');
  });
});
