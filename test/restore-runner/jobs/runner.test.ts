/**
 * The restore runner in process, on real instances and a real repository: an alert becomes a
 * verified restore of the chosen instance only; a snapshot that fails verification gives way to
 * the next older one; holds, approvals and cancels; every event accepted by the OPS reader.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnerEventLog, runnerLogPath } from '../../../restore-runner/events/event-log.js';
import type { Hold } from '../../../restore-runner/recovery-policy/decide.js';
import { validatePolicy } from '../../../restore-runner/recovery-policy/load.js';
import { RestoreRunner } from '../../../restore-runner/jobs/runner.js';
import { isJobError } from '../../../restore-runner/jobs/errors.js';
import { tempDir } from '../helpers.js';
import { alertFor, makeFleet, MODULE_PATH, readRunnerLog, write, type TestFleet } from './fleet.js';

const AUTO = validatePolicy({ version: 1, groups: [{ name: 'lab', hosts: ['lab-*'], restore: 'auto', cooldown: '1m' }] }, 'test-policy');
const APPROVAL = validatePolicy({ version: 1, defaults: { restore: 'approval' } }, 'test-policy');

function runnerOn(fleet: TestFleet, data: string, policy = AUTO, holds: readonly Hold[] = []): RestoreRunner {
  return new RestoreRunner({
    dataDir: data,
    policy,
    instances: fleet.map,
    events: new RunnerEventLog(runnerLogPath(data)),
    damage: () => Promise.resolve({ paths: [MODULE_PATH], firstEventId: '01JPB3ZK4Q8W5T2V9X7Y6N3M1R' }),
    holds: () => Promise.resolve(holds),
    pollIntervalMs: 20,
  });
}

const snapshotBytes = (fleet: TestFleet, i: string): Buffer => Buffer.alloc(20_000, `good module of ${i} `);

describe('restore runner', () => {
  it('restores the damaged module of the alerted instance from its newest good snapshot, and only that instance', async () => {
    const dir = tempDir('runner');
    const fleet = makeFleet(join(dir, 'fleet'));
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    fleet.snapshot('os-b', '2026-03-12T02:00:00Z');
    // The 3.2 wizard's damage: the same module corrupted on both instances of the host.
    for (const i of ['os-a', 'os-b']) write(join(fleet.root(i), MODULE_PATH), Buffer.alloc(20_000, 'CORRUPT'));
    const otherBefore = statSync(join(fleet.root('os-b'), MODULE_PATH)).mtimeMs;
    const data = join(dir, 'data');
    const runner = runnerOn(fleet, data);
    await runner.start();
    await runner.onAlertChanges([{ kind: 'new', alert: alertFor('lab-1', 'os-a', 'ixgbe') }]);
    await runner.settle();
    await runner.settle();
    const [job] = runner.list();
    expect(job?.state, JSON.stringify(job, null, 2)).toBe('succeeded');
    expect(readFileSync(join(fleet.root('os-a'), MODULE_PATH))).toEqual(snapshotBytes(fleet, 'os-a'));
    // The neighbour on the same host is untouched: still damaged, not even rewritten.
    expect(readFileSync(join(fleet.root('os-b'), MODULE_PATH))).toEqual(Buffer.alloc(20_000, 'CORRUPT'));
    expect(statSync(join(fleet.root('os-b'), MODULE_PATH)).mtimeMs).toBe(otherBefore);
    await runner.stop();

    const events = readRunnerLog(runnerLogPath(data));
    expect(events.map((e) => `${String(e['op'])}:${String(e['status'])}`)).toEqual(['integrity.verify:corrupt', 'restore.start:started', 'restore.file:ok', 'integrity.verify:ok', 'restore.end:ok']);
    const [detect, start] = events;
    for (const e of events) {
      expect(e['correlation_id']).toBe('c0a8012e-5f7d-4c1e-8a51-3b2f1e0d9c11');
      expect(e['os']).toEqual({ version: '4.2.3', instance: 'os-a' });
    }
    expect(detect?.['parent_id']).toBe('01JPB3ZK4Q8W5T2V9X7Y6N3M1R'); // the first corrupt check
    expect(start?.['parent_id']).toBe(detect?.['event_id']);
    for (const e of events.slice(2)) expect(e['parent_id']).toBe(start?.['event_id']);
    expect(job?.decision.explanation.join('\n')).toContain('policy group "lab"');
    expect(job?.choice.join('\n')).toContain('chose snapshot');
  });

  it('one job per alert: the same alert again, or after a restart, makes no second job', async () => {
    const dir = tempDir('runner');
    const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    const data = join(dir, 'data');
    const runner = runnerOn(fleet, data, APPROVAL);
    await runner.start();
    const alert = alertFor('lab-1', 'os-a', 'ixgbe');
    await runner.onAlertChanges([{ kind: 'new', alert }]);
    await runner.onAlertChanges([{ kind: 'reopened', alert }]);
    await runner.settle();
    await runner.stop();
    const again = runnerOn(fleet, data, APPROVAL);
    await again.start();
    await again.onAlertChanges([{ kind: 'new', alert }]);
    await again.settle();
    expect(again.list().map((j) => j.state)).toEqual(['awaiting-approval']);
    await again.stop();
  });

  it('a snapshot that fails verification gives way to the next older verified one', async () => {
    const dir = tempDir('runner');
    const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
    fleet.snapshot('os-a', '2026-03-11T02:00:00Z');
    const packsBefore = new Set(readdirSync(join(fleet.repo.dir, 'data'), { recursive: true }).map(String));
    // A module update between the snapshots (incompressible, larger than a pack): the newer
    // snapshot's module lives in new full packs; its manifest, written last, in a smaller one.
    write(join(fleet.root('os-a'), MODULE_PATH), randomBytes(300_000));
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    const newPacks = readdirSync(join(fleet.repo.dir, 'data'), { recursive: true }).map(String).filter((p) => !packsBefore.has(p) && statSync(join(fleet.repo.dir, 'data', p)).isFile() && statSync(join(fleet.repo.dir, 'data', p)).size >= 60_000);
    expect(newPacks.length).toBeGreaterThan(0);
    for (const p of newPacks) {
      const file = join(fleet.repo.dir, 'data', p);
      const bytes = readFileSync(file);
      const middle = Math.floor(bytes.length / 2);
      bytes.writeUInt8((bytes.readUInt8(middle) ^ 0xff), middle);
      writeFileSync(file, bytes);
    }
    write(join(fleet.root('os-a'), MODULE_PATH), Buffer.alloc(20_000, 'CORRUPT'));
    const data = join(dir, 'data');
    const runner = runnerOn(fleet, data);
    await runner.start();
    await runner.onAlertChanges([{ kind: 'new', alert: alertFor('lab-1', 'os-a', 'ixgbe') }]);
    await runner.settle();
    await runner.settle();
    await runner.stop();
    const [job] = runner.list();
    expect(job?.state, JSON.stringify(job, null, 2)).toBe('succeeded');
    expect(job?.attempts.map((a) => a.outcome)).toEqual(['refused', 'ok']);
    expect(readFileSync(join(fleet.root('os-a'), MODULE_PATH))).toEqual(snapshotBytes(fleet, 'os-a'));
    const ops = readRunnerLog(runnerLogPath(data)).map((e) => `${String(e['op'])}:${String(e['status'])}`);
    expect(ops).toEqual(['integrity.verify:corrupt', 'restore.start:started', 'integrity.verify:failed', 'restore.file:ok', 'integrity.verify:ok', 'restore.end:ok']);
  });

  it('a blast-radius hold keeps the automated restore waiting; an approval releases it', async () => {
    const dir = tempDir('runner');
    const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    write(join(fleet.root('os-a'), MODULE_PATH), 'CORRUPT');
    const data = join(dir, 'data');
    const runner = runnerOn(fleet, data, AUTO, [{ alertId: 'fleet1', rule: 'fleet-module-corruption', module: 'ixgbe' }]);
    await runner.start();
    await runner.onAlertChanges([{ kind: 'new', alert: alertFor('lab-1', 'os-a', 'ixgbe') }]);
    await runner.settle();
    const [held] = runner.list();
    expect(held?.state).toBe('held');
    expect(held?.decision.explanation.join(' ')).toContain('fleet1');
    expect(readRunnerLog(runnerLogPath(data))).toEqual([]);
    expect(readFileSync(join(fleet.root('os-a'), MODULE_PATH), 'utf8')).toBe('CORRUPT');
    runner.approve(held?.id ?? '', 'alice');
    await runner.settle();
    await runner.settle();
    expect(runner.get(held?.id ?? '').state).toBe('succeeded');
    expect(runner.get(held?.id ?? '').approvedBy).toBe('alice');
    await runner.stop();
  });

  it('approval, cancel, and refusals of impossible changes', async () => {
    const dir = tempDir('runner');
    const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
    const data = join(dir, 'data');
    const runner = runnerOn(fleet, data, APPROVAL);
    await runner.start();
    const job = runner.request({ host: 'lab-1', instance: 'os-a', by: 'olga', approved: false });
    await runner.settle();
    expect(runner.get(job.id).state).toBe('awaiting-approval');
    await runner.cancel(job.id, 'olga');
    expect(runner.get(job.id).state).toBe('cancelled');
    expect(() => runner.approve(job.id, 'alice')).toThrow(expect.objectContaining({ code: 'JOB_ERR_STATE' }));
    expect(() => runner.get('nope')).toThrow(expect.objectContaining({ code: 'JOB_ERR_NOT_FOUND' }));
    try {
      runner.request({ host: 'lab-1', instance: 'os-z', by: 'olga', approved: true });
      expect.unreachable();
    } catch (err: unknown) {
      expect(isJobError(err, 'JOB_ERR_BAD_REQUEST')).toBe(true);
    }
    // A whole-instance restore by an approver runs at once.
    write(join(fleet.root('os-a'), 'etc/os-release'), 'tampered\n');
    const whole = runner.request({ host: 'lab-1', instance: 'os-a', by: 'alice', approved: true });
    await runner.settle();
    await runner.settle();
    expect(runner.get(whole.id).state, JSON.stringify(runner.get(whole.id), null, 2)).toBe('succeeded');
    expect(readFileSync(join(fleet.root('os-a'), 'etc/os-release'), 'utf8')).toBe('VERSION=4.2.3 os-a\n');
    await runner.stop();
  });
});

describe('restore runner after a bad upgrade', () => {
  it('no snapshot of the running version holds a good copy: the instance is rolled back to the last snapshot of the previous version', async () => {
    const dir = tempDir('runner');
    const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
    fleet.snapshot('os-a', '2026-03-10T02:00:00Z', '4.2.2');
    // The upgrade shipped a broken module, and the nightly snapshot of 4.2.3 holds it.
    write(join(fleet.root('os-a'), MODULE_PATH), Buffer.alloc(20_000, 'BROKEN BUILD'));
    fleet.snapshot('os-a', '2026-03-12T02:00:00Z', '4.2.3');
    const data = join(dir, 'data');
    const policy = validatePolicy({ version: 1, groups: [{ name: 'lab', hosts: ['lab-*'], restore: 'auto', rollback_after_bad_upgrade: true }] }, 'test-policy');
    const runner = runnerOn(fleet, data, policy);
    await runner.start();
    await runner.onAlertChanges([{ kind: 'new', alert: alertFor('lab-1', 'os-a', 'ixgbe') }]);
    await runner.settle();
    await runner.settle();
    await runner.stop();
    const [job] = runner.list();
    expect(job?.state, JSON.stringify(job, null, 2)).toBe('succeeded');
    expect(job?.attempts.map((a) => [a.purpose, a.mode])).toEqual([['rollback', 'delta']]);
    expect(job?.choice.join('\n')).toContain('a bad upgrade; rolling back to the last snapshot of the previous version 4.2.2');
    expect(readFileSync(join(fleet.root('os-a'), MODULE_PATH))).toEqual(snapshotBytes(fleet, 'os-a'));
  });
});
