/** A small fleet on disk for the runner's tests: instances (trees), their repository, snapshots. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Alert } from '../../../pipeline/alerts/alert.js';
import { validateInstanceMap } from '../../../restore-runner/instances/load.js';
import type { InstanceMap } from '../../../restore-runner/instances/map.js';
import { Repository } from '../../../restore-runner/repository/repository.js';
import { createTreeSnapshot } from '../../../restore-runner/snapshot/create-tree.js';
import { readOps } from '../../../parsers/ops/schema.js';
import { RunnerEventLog, runnerLogPath } from '../../../restore-runner/events/event-log.js';
import { RestoreRunner, type RunnerOptions } from '../../../restore-runner/jobs/runner.js';

export const MODULE_PATH = '/lib/modules/4.2.3/kernel/drivers/net/ixgbe.ko';

export function write(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

export interface TestFleet {
  readonly dir: string;
  readonly map: InstanceMap;
  readonly repo: Repository;
  root(instance: string): string;
  snapshot(instance: string, time: string, version?: string): string;
}

/** Host `lab-1` with instances os-a and os-b side by side, one repository. */
export function makeFleet(dir: string, instances: readonly string[] = ['os-a', 'os-b'], host = 'lab-1'): TestFleet {
  const repoDir = join(dir, 'repo');
  const repo = Repository.init(repoDir, { chunker: { minSize: 1024, avgSize: 4096, maxSize: 16384 }, packSize: 64 * 1024 });
  const root = (i: string): string => join(dir, 'hosts', host, i);
  for (const i of instances) {
    write(join(root(i), MODULE_PATH), Buffer.alloc(20_000, `good module of ${i} `));
    write(join(root(i), 'etc/os-release'), `VERSION=4.2.3 ${i}\n`);
    write(join(root(i), 'lib/modules/4.2.3/kernel/fs/ext4.ko'), Buffer.alloc(9000, `ext4 of ${i} `));
  }
  const doc = { hosts: [{ host, instances: instances.map((i) => ({ id: i, osLine: '4.2', version: '4.2.3', root: root(i), repository: repoDir, bootConfig: join(dir, 'hosts', host, 'grub.cfg') })) }] };
  const map = validateInstanceMap(doc, join(dir, 'instances.yaml'));
  return {
    dir,
    map,
    repo,
    root,
    snapshot: (i, time, version = '4.2.3') => createTreeSnapshot(repo, { source: root(i), host, instance: i, os: { line: '4.2', version }, signingKey: repo.signingKey(), time: new Date(time), progress: false }).id,
  };
}

/** An open recurring-module-corruption alert, as the rules make it (the fields the runner reads). */
export function alertFor(host: string, instance: string, module: string, id = 'a1b2c3d4e5f60718293a4b5c6d7e8f90', firstEventId = '01JPB3ZK4Q8W5T2V9X7Y6N3M1R'): Alert {
  const key = `host=${host},instance=${instance},module=${module}`;
  return {
    '@timestamp': '2026-03-14T02:00:00.000Z',
    event: { kind: 'alert', id, dataset: 'kintsugi.alert', category: ['file'], type: ['info'], action: 'recurring-module-corruption', severity: 73, start: '2026-03-13T02:00:00.000Z' },
    rule: { id: 'recurring-module-corruption', name: 'Recurring kernel module corruption', description: '', category: 'integrity', ruleset: 'kintsugi' },
    host: { name: host, os: { version: '4.2.3' } },
    related: { hosts: [host] },
    recovery: {
      correlation_id: 'c0a8012e-5f7d-4c1e-8a51-3b2f1e0d9c11',
      instance,
      module,
      alert: {
        status: 'open', type: 'threshold', severity: 'high', key, group: { host, instance, module }, count: 3, window: '30d',
        first_seen: '2026-03-13T02:00:00.000Z', last_seen: '2026-03-14T02:00:00.000Z', fired_at: '2026-03-14T02:00:00.000Z',
        related_event_ids: [firstEventId], os_versions: ['4.2.3'], affected_components: [], recommended_actions: [], hold_automated_restores: false,
      },
    },
  };
}

/** The runner log's records, each checked by the pipeline's own OPS reader. */
export function readRunnerLog(file: string): Record<string, unknown>[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => {
    const value = JSON.parse(l) as Record<string, unknown>;
    const checked = readOps(value);
    if (!checked.ok) throw new Error(`runner log line rejected: ${checked.message}`);
    return value;
  });
}

/** A runner on the fleet, its data (and event log) in `data`, polling every 20 ms; no damage, no holds unless `options` say. */
export function fleetRunner(fleet: TestFleet, data: string, options: Pick<RunnerOptions, 'policy'> & Partial<RunnerOptions>): RestoreRunner {
  return new RestoreRunner({
    dataDir: data,
    instances: fleet.map,
    events: new RunnerEventLog(runnerLogPath(data)),
    damage: () => Promise.resolve({ paths: [], firstEventId: null }),
    holds: () => Promise.resolve([]),
    pollIntervalMs: 20,
    ...options,
  });
}
