/**
 * The runner's metrics, read through a meter provider of the test's own: a verified restore adds
 * kintsugi_restores{success}, its duration and the bytes it wrote by mode; the active gauge goes
 * back to 0; a job awaiting approval is counted by kintsugi_restore_approvals_pending until it is
 * cancelled (kintsugi_restores{cancelled}); a restore reads from the prefetch cache what
 * `kintsugi prefetch` loaded (kintsugi_prefetch_chunk_reads{hit}), the rest from the repository.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validatePolicy } from '../../../restore-runner/recovery-policy/load.js';
import { METRICS } from '../../../pipeline/telemetry/metrics.js';
import { prefetchInstance } from '../../../restore-runner/prefetch/prefetch.js';
import { requireInstance } from '../../../restore-runner/instances/map.js';
import { testMeter } from '../../telemetry/meter.js';
import { tempDir } from '../helpers.js';
import { alertFor, fleetRunner, makeFleet, MODULE_PATH, write } from './fleet.js';

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
    const runner = fleetRunner(fleet, data, { policy: AUTO, instruments: meter.instruments, damage: () => Promise.resolve({ paths: [MODULE_PATH], firstEventId: null }) });
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
    const runner = fleetRunner(fleet, data, { policy: APPROVAL, instruments: meter.instruments });
    await runner.start();
    const job = runner.request({ host: 'lab-1', instance: 'os-a', by: 'olga', approved: false });
    await runner.settle();
    expect(runner.get(job.id).state).toBe('awaiting-approval');
    expect(await meter.value(METRICS.restoreApprovalsPending.name)).toBe(1);
    await runner.cancel(job.id, 'olga');
    expect(await meter.value(METRICS.restoreApprovalsPending.name)).toBe(0);
    expect(await meter.value(METRICS.restores.name, { outcome: 'cancelled' })).toBe(1);
    await runner.stop();
  });

  it('prefetch hit and miss: a cold restore reads the repository, one after `kintsugi prefetch` the cache', async () => {
    const own = testMeter();
    const dir = tempDir('runner-metrics');
    const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    const data = join(dir, 'data');
    const runner = fleetRunner(fleet, data, { policy: AUTO, instruments: own.instruments, damage: () => Promise.resolve({ paths: [MODULE_PATH], firstEventId: null }) });
    await runner.start();
    const restoreModule = async (): Promise<void> => {
      write(join(fleet.root('os-a'), MODULE_PATH), Buffer.alloc(20_000, 'CORRUPT'));
      const job = runner.request({ host: 'lab-1', instance: 'os-a', paths: [MODULE_PATH.slice(1)], by: 'alice', approved: true });
      await runner.settle();
      await runner.settle();
      expect(runner.get(job.id).state, JSON.stringify(runner.get(job.id), null, 2)).toBe('succeeded');
    };
    const reads = (result: string): Promise<number | undefined> => own.value(METRICS.prefetchChunkReads.name, { result });
    await restoreModule();
    const cold = (await reads('miss')) ?? 0;
    expect(cold).toBeGreaterThan(0);
    expect(await reads('hit')).toBeUndefined();
    const loaded = await prefetchInstance(requireInstance(fleet.map, 'os-a', 'lab-1'), [MODULE_PATH], { dataDir: data, emit: () => undefined });
    expect(loaded.chunks).toBeGreaterThan(0);
    await restoreModule();
    expect(await reads('hit')).toBeGreaterThanOrEqual(loaded.chunks);
    // Warm: the repository served nothing the cache held (the module's chunks, the tree blobs).
    expect(await reads('miss')).toBe(cold);
    await runner.stop();
    await own.shutdown();
  });
});
