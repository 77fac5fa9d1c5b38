/**
 * The runner's metrics, read through a meter provider of the test's own: a verified restore adds
 * kintsugi_restores{success}, its duration and the bytes it wrote by mode; the active gauge goes
 * back to 0; a job awaiting approval is counted by kintsugi_restore_approvals_pending until it is
 * cancelled (kintsugi_restores{cancelled}).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunnerEventLog, runnerLogPath } from '../../../restore-runner/events/event-log.js';
import { validatePolicy } from '../../../restore-runner/recovery-policy/load.js';
import { RestoreRunner } from '../../../restore-runner/jobs/runner.js';
import { METRICS } from '../../../pipeline/telemetry/metrics.js';
import { testMeter } from '../../telemetry/meter.js';
import { tempDir } from '../helpers.js';
import { alertFor, makeFleet, MODULE_PATH, write } from './fleet.js';

const AUTO = validatePolicy({ version: 1, groups: [{ name: 'lab', hosts: ['lab-*'], restore: 'auto', cooldown: '1m' }] }, 'test-policy');
const APPROVAL = validatePolicy({ version: 1, defaults: { restore: 'approval' } }, 'test-policy');
const meter = testMeter();
afterAll(() => meter.shutdown());

describe('restore runner metrics', () => {
  it('a verified restore: restores{success}, its duration, bytes written by mode, no job left active', async () => {
    const dir = tempDir('runner-metrics');
    const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    write(join(fleet.root('os-a'), MODULE_PATH), Buffer.alloc(20_000, 'CORRUPT'));
    const data = join(dir, 'data');
    const runner = new RestoreRunner({
      dataDir: data,
      policy: AUTO,
      instances: fleet.map,
      events: new RunnerEventLog(runnerLogPath(data)),
      damage: () => Promise.resolve({ paths: [MODULE_PATH], firstEventId: null }),
      holds: () => Promise.resolve([]),
      pollIntervalMs: 20,
      instruments: meter.instruments,
    });
    await runner.start();
    await runner.onAlertChanges([{ kind: 'new', alert: alertFor('lab-1', 'os-a', 'ixgbe') }]);
    await runner.settle();
    await runner.settle();
    const [job] = runner.list();
    expect(job?.state, JSON.stringify(job, null, 2)).toBe('succeeded');
    const attempt = job?.attempts.at(-1);
    expect(attempt?.bytesWritten).toBeGreaterThan(0);
    expect(await meter.value(METRICS.restores.name, { outcome: 'success' })).toBe(1);
    expect(await meter.value(METRICS.restoreDuration.name, { outcome: 'success' })).toBe(1);
    expect(await meter.value(METRICS.restoreWrittenBytes.name, { mode: attempt?.mode ?? '' })).toBe(attempt?.bytesWritten);
    expect(await meter.value(METRICS.restoreJobsActive.name)).toBe(0);
    expect(await meter.value(METRICS.restoreApprovalsPending.name)).toBe(0);
    await runner.stop();
  });

  it('a job awaiting approval is pending until cancelled; the cancel counts as restores{cancelled}', async () => {
    const dir = tempDir('runner-metrics');
    const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    const data = join(dir, 'data');
    const runner = new RestoreRunner({
      dataDir: data,
      policy: APPROVAL,
      instances: fleet.map,
      events: new RunnerEventLog(runnerLogPath(data)),
      damage: () => Promise.resolve({ paths: [], firstEventId: null }),
      holds: () => Promise.resolve([]),
      pollIntervalMs: 20,
      instruments: meter.instruments,
    });
    await runner.start();
    const job = runner.request({ host: 'lab-1', instance: 'os-a', by: 'olga', approved: false });
    await runner.settle();
    expect(runner.get(job.id).state).toBe('awaiting-approval');
    expect(await meter.value(METRICS.restoreApprovalsPending.name)).toBe(1);
    runner.cancel(job.id, 'olga');
    expect(await meter.value(METRICS.restoreApprovalsPending.name)).toBe(0);
    expect(await meter.value(METRICS.restores.name, { outcome: 'cancelled' })).toBe(1);
    await runner.stop();
  });
});
