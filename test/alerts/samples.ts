/** Alerts for the store suite, made by the rule engine from a few events (real documents). */
import type { Alert } from '../../pipeline/alerts/alert.js';
import { loadDefaultRules } from '../../pipeline/rules/defaults.js';
import { evaluateRules } from '../../pipeline/rules/engine.js';
import { toEvent, type CaseEvent } from '../rules/events.js';

const corrupt = (id: string, at: string, host: string, module: string, cid: string): CaseEvent => ({ id, at, action: 'check.file', status: 'corrupt', host, module, cid, kernel: '4.2.0', path: `/lib/modules/4.2.0/kernel/${module}.ko` });

export const SAMPLE_EVENTS: readonly CaseEvent[] = [
  corrupt('a1', '2026-03-01T01:00:00Z', 'db-07', 'ext4', 's1'),
  corrupt('a2', '2026-03-02T01:00:00Z', 'db-07', 'ext4', 's2'),
  corrupt('a3', '2026-03-03T01:00:00Z', 'db-07', 'ext4', 's3'),
  ...['h1', 'h2', 'h3', 'h4', 'h5'].map((h, i) => corrupt(`f${i}`, `2026-03-05T01:0${i}:00Z`, h, 'nvme', `t${i}`)),
  { id: 'r1', at: '2026-03-06T01:00:00Z', action: 'restore.start', host: 'db-07', cid: 'job-1' },
  { id: 'r2', at: '2026-03-06T02:00:00Z', action: 'restore.end', status: 'failed', host: 'db-07', cid: 'job-1' },
];

/** Four alerts: recurring (open), fleet (resolved), restore-failed (open), restore-stuck (resolved); snapshot-stale for the 6 hosts. */
export function sampleAlerts(): Alert[] {
  return evaluateRules(loadDefaultRules(), SAMPLE_EVENTS.map(toEvent), Date.parse('2026-03-06T12:00:00Z'));
}
