/**
 * The runner attached to `kintsugi serve`: the configuration's `restores` section read, the
 * stores it asks (the damaged files behind an alert, the open alerts that hold restores), and the
 * runner's own log followed by the service as one more OPS source.
 */
import { join } from 'node:path';
import type { Log } from '../../collectors/source.js';
import type { AlertStore } from '../../pipeline/alerts/alert-store.js';
import type { Alert } from '../../pipeline/alerts/alert.js';
import type { SourceEntry } from '../../pipeline/config/schema.js';
import type { EventStore } from '../../pipeline/store/event-store.js';
import { RunnerEventLog, RUNNER_LOG_DIR, runnerLogPath } from '../events/event-log.js';
import { loadInstanceMap } from '../instances/load.js';
import type { Hold } from '../recovery-policy/decide.js';
import { loadPolicy } from '../recovery-policy/load.js';
import { BUILT_IN_POLICY } from '../recovery-policy/policy.js';
import { RestoreRunner, type DamageReport, type RunnerInstruments } from './runner.js';

export interface RestoresConfig {
  readonly policy?: string;
  readonly instances?: string;
  readonly rules?: readonly string[];
}

export const RUNNER_SOURCE_NAME = 'kintsugi-runner';

/** The runner's log as a source of the service (it may not exist yet: the follower waits for it). */
export function runnerSource(dataDir: string): SourceEntry {
  return { name: RUNNER_SOURCE_NAME, format: 'ops', paths: [join(dataDir, RUNNER_LOG_DIR, '*.jsonl')] };
}

const DAMAGE_STATUSES = ['missing', 'corrupt'];

/** The damaged files of the alert's host, instance and module, from the stored checks. */
export async function damageFromStore(store: EventStore, alert: Alert): Promise<DamageReport> {
  const group = alert.recovery.alert.group;
  const host = group['host'] ?? alert.host?.name;
  if (host === undefined) return { paths: [], firstEventId: null };
  const page = await store.queryEvents(
    {
      host,
      action: 'check.file',
      status: DAMAGE_STATUSES,
      ...(group['instance'] !== undefined ? { instance: group['instance'] } : {}),
      ...(group['module'] !== undefined ? { module: group['module'] } : {}),
      to: new Date(Date.parse(alert.recovery.alert.last_seen) + 1).toISOString(),
    },
    { limit: 1000 },
  );
  if (!page.ok) throw page.error;
  const paths = [...new Set(page.events.map((e) => e.file?.path).filter((p): p is string => p !== undefined && p !== ''))].sort();
  return { paths, firstEventId: page.events[0]?.event.id ?? null };
}

/** Open alerts that hold automated restores, from the alert store. */
export async function holdsFromStore(alerts: AlertStore): Promise<Hold[]> {
  const page = await alerts.query({ status: ['open'] }, { limit: 0 });
  return page.alerts.filter((a) => a.recovery.alert.hold_automated_restores).map((a) => ({ alertId: a.event.id, rule: a.rule.id, module: a.recovery.module ?? null }));
}

export function attachRunner(config: RestoresConfig | undefined, dataDir: string, store: EventStore, alerts: AlertStore, log: Log, instruments?: RunnerInstruments): RestoreRunner {
  const rules = config?.rules ?? ['recurring-module-corruption'];
  return new RestoreRunner({
    dataDir,
    policy: config?.policy !== undefined ? loadPolicy(config.policy) : BUILT_IN_POLICY,
    instances: config?.instances !== undefined ? loadInstanceMap(config.instances) : null,
    events: new RunnerEventLog(runnerLogPath(dataDir)),
    damage: (alert) => damageFromStore(store, alert),
    holds: () => holdsFromStore(alerts),
    openAlerts: async () => (await alerts.query({ status: ['open'], rule: [...rules] }, { limit: 0 })).alerts,
    restoreRules: rules,
    log,
    ...(instruments !== undefined ? { instruments } : {}),
  });
}
