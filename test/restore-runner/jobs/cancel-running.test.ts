/**
 * Cancelling a running restore job through the API, on a real instance and repository: the cancel
 * is kept in the job, the engine stops between files (every file whole), the job ends `cancelled`
 * with a `restore.end` `skipped` by the canceller, and a new request finishes the instance. The
 * job's progress is visible while it runs. A runner restarted after a cancel was asked for (and
 * before the job ended) does not resume the job.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../../pipeline/api/server.js';
import { MemoryEventStore } from '../../../pipeline/store/memory-store.js';
import { runnerLogPath } from '../../../restore-runner/events/event-log.js';
import type { Job } from '../../../restore-runner/jobs/job.js';
import { JOBS_DIR } from '../../../restore-runner/jobs/job-store.js';
import type { RestoreRunner } from '../../../restore-runner/jobs/runner.js';
import { validatePolicy } from '../../../restore-runner/recovery-policy/load.js';
import { testAccess, type TestAccess } from '../../access/harness.js';
import { describeTree, tempDir } from '../helpers.js';
import { fleetRunner, makeFleet, readRunnerLog, write, type TestFleet } from './fleet.js';

const AUTO = validatePolicy({ version: 1, groups: [{ name: 'lab', hosts: ['lab-*'], restore: 'auto' }] }, 'test-policy');
const FILES = 200;
const good = (i: number): Buffer => Buffer.alloc(32 * 1024, `good ${i} `);
const bad = (i: number): Buffer => Buffer.alloc(32 * 1024 + 1, `DAMAGED ${i} `);
const fileOf = (fleet: TestFleet, i: number): string => join(fleet.root('os-a'), 'usr/share/data', `f${i}`);

/** os-a with many files, snapshotted good, then every one of them damaged: a whole-instance restore rewrites them all. */
function damagedFleet(dir: string): TestFleet {
  const fleet = makeFleet(join(dir, 'fleet'), ['os-a']);
  for (let i = 0; i < FILES; i++) write(fileOf(fleet, i), good(i));
  fleet.snapshot('os-a', '2026-03-12T02:00:00Z');
  for (let i = 0; i < FILES; i++) write(fileOf(fleet, i), bad(i));
  return fleet;
}

function runnerOn(fleet: TestFleet, data: string, onJobProgress?: (job: Job) => void): RestoreRunner {
  return fleetRunner(fleet, data, { policy: AUTO, ...(onJobProgress !== undefined ? { onJobProgress } : {}) });
}

/** How many of the files are restored; throws on one that is neither whole old nor whole new. */
function restoredCount(fleet: TestFleet): number {
  let n = 0;
  for (let i = 0; i < FILES; i++) {
    const b = readFileSync(fileOf(fleet, i));
    if (b.equals(good(i))) n++;
    else if (!b.equals(bad(i))) throw new Error(`f${i} is half-written (${b.length} bytes)`);
  }
  return n;
}

type InjectReply = Awaited<ReturnType<FastifyInstance['inject']>>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A damaged fleet, its runner and the API, and one whole-instance restore requested: as soon as the
 * engine writes, the job is looked at and cancelled, both through the API.
 */
async function cancelWhileWriting(name: string, cancelWaitMs?: number) {
  const dir = tempDir(name);
  const fleet = damagedFleet(dir);
  const data = join(dir, 'data');
  const store = new MemoryEventStore();
  const access: TestAccess = testAccess(store);
  let app: FastifyInstance | undefined;
  const replies: { during?: Promise<InjectReply>; cancel?: Promise<InjectReply> } = {};
  const runner = fleetRunner(fleet, data, {
    policy: AUTO,
    ...(cancelWaitMs !== undefined ? { cancelWaitMs } : {}),
    onJobProgress: (job) => {
      if (job.progress?.phase !== 'write' || replies.cancel !== undefined || app === undefined) return;
      replies.during = app.inject({ url: `/api/restores/${job.id}`, headers: access.headers('viewer') });
      replies.cancel = app.inject({ method: 'POST', url: `/api/restores/${job.id}/cancel`, headers: access.headers('operator') });
    },
  });
  await runner.start();
  const api = await buildApi({ store, access: access.deps, restores: runner });
  app = api;
  cleanups.push(access.cleanup, () => runner.stop(), () => api.close());
  const job = runner.request({ host: 'lab-1', instance: 'os-a', by: 'alice', approved: true });
  await runner.settle();
  await runner.settle();
  return { fleet, data, app: api, access, runner, job, replies };
}

describe('cancelling a running restore job', () => {
  it('POST /api/restores/:id/cancel stops the engine between files, ends the job cancelled (200) with restore.end skipped by the canceller; progress shows while it runs', async () => {
    const { fleet, data, app, access, runner, job, replies } = await cancelWhileWriting('cancel-job');
    expect(replies.cancel, 'the restore never reported writing').toBeDefined();
    const seen = await replies.during;
    expect(seen?.statusCode).toBe(200);
    const view = seen?.json<Job>();
    expect(view?.state).toBe('running');
    expect(view?.progress).toMatchObject({ phase: 'write', filesTotal: FILES });
    expect(typeof view?.progress?.updatedAt).toBe('string');

    const r = await replies.cancel;
    expect(r?.statusCode, r?.body).toBe(200);
    const ended = r?.json<Job>();
    expect(ended?.state).toBe('cancelled');
    expect(ended?.cancelRequested?.by).toBe('token:test-operator');
    expect(ended?.attempts.at(-1)?.outcome).toBe('cancelled');
    expect(ended?.error).toContain('was cancelled');
    // The engine stopped part way: every file whole, some still damaged.
    const restored = restoredCount(fleet);
    expect(restored).toBeLessThan(FILES);

    // The job file keeps the cancel and the last progress.
    const onDisk = JSON.parse(readFileSync(join(data, JOBS_DIR, `${job.id}.json`), 'utf8')) as Job;
    expect(onDisk.state).toBe('cancelled');
    expect(onDisk.cancelRequested?.by).toBe('token:test-operator');
    expect(onDisk.progress?.phase).toBe('write');
    expect(onDisk.progress?.filesDone).toBe(restored);

    const events = readRunnerLog(runnerLogPath(data));
    expect(events.map((e) => `${String(e['op'])}:${String(e['status'])}`)).toEqual(['restore.start:started', 'restore.end:skipped']);
    expect(events[1]).toMatchObject({ code: 'W7005', user: 'token:test-operator', parent_id: events[0]?.['event_id'] });

    // Already final: 409.
    const again = await app.inject({ method: 'POST', url: `/api/restores/${job.id}/cancel`, headers: access.headers('operator') });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'JOB_ERR_STATE' });

    // A new request finishes the instance.
    const next = runner.request({ host: 'lab-1', instance: 'os-a', by: 'alice', approved: true });
    await runner.settle();
    await runner.settle();
    expect(runner.get(next.id).state).toBe('succeeded');
    expect(restoredCount(fleet)).toBe(FILES);
  });

  it('answers 202 with the cancel recorded when the engine has not stopped within the wait, and the job still ends cancelled', async () => {
    // No wait at all: the engine cannot have reached its next safe point when the route answers.
    const { fleet, runner, job, replies } = await cancelWhileWriting('cancel-202', 0);
    const r = await replies.cancel;
    expect(r?.statusCode, r?.body).toBe(202);
    expect(r?.json<Job>()).toMatchObject({ state: 'running', cancelRequested: { by: 'token:test-operator' } });
    expect(runner.get(job.id).state).toBe('cancelled');
    expect(restoredCount(fleet)).toBeLessThan(FILES);
  });

  it('a runner restarted after a cancel was asked for, before the job ended, ends the job cancelled and does not resume it', async () => {
    const dir = tempDir('cancel-restart');
    const fleet = damagedFleet(dir);
    const data = join(dir, 'data');
    let asked: Buffer | undefined;
    let jobFile = '';
    const first: RestoreRunner = runnerOn(fleet, data, (job) => {
      if (job.progress?.phase !== 'write' || asked !== undefined) return;
      void first.cancel(job.id, 'olga');
      // The job file as a runner killed right after the cancel was stored would leave it.
      jobFile = join(data, JOBS_DIR, `${job.id}.json`);
      asked = readFileSync(jobFile);
    });
    await first.start();
    first.request({ host: 'lab-1', instance: 'os-a', by: 'alice', approved: true });
    await first.settle();
    await first.settle();
    await first.stop();
    expect(asked).toBeDefined();
    const left = JSON.parse(String(asked)) as Job;
    expect(left.state).toBe('running');
    expect(left.cancelRequested?.by).toBe('olga');
    writeFileSync(jobFile, asked ?? '');
    const before = describeTree(fleet.root('os-a'));

    const second = runnerOn(fleet, data);
    await second.start();
    await second.settle();
    await second.settle();
    await second.stop();
    const [job] = second.list();
    expect(job?.state).toBe('cancelled');
    expect(job?.attempts).toHaveLength(1);
    expect(job?.attempts[0]?.outcome).toBe('cancelled');
    expect(job?.history.at(-1)?.note).toContain('not resumed');
    expect(job?.interruptions).toBe(0);
    // Nothing was written by the second runner.
    expect(describeTree(fleet.root('os-a'))).toEqual(before);
    expect(existsSync(join(fleet.root('os-a'), '.kintsugi-restore.json'))).toBe(true);
    const ends = readRunnerLog(runnerLogPath(data)).filter((e) => e['op'] === 'restore.end');
    expect(ends.every((e) => e['status'] === 'skipped' && e['user'] === 'olga' && e['code'] === 'W7005')).toBe(true);
  });
});
