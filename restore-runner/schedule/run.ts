/**
 * One scheduled snapshot of one instance, and the scheduler that runs the due ones. A run:
 * snapshot the root or image (and the boot loader configuration when it lies outside the root),
 * verify the new snapshots at once (an unverifiable one is removed: it could never be restored
 * from), apply retention to the scheduled snapshots of that instance, and emit `snapshot.create`,
 * `snapshot.verify` and `snapshot.forget` events.
 */
import { randomUUID } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { sep } from 'node:path';
import { isRstError, messageOf } from '../errors.js';
import { shortId, type Id } from '../format/v1/ids.js';
import type { Instance, InstanceMap } from '../instances/map.js';
import { BOOT_CONFIG_TAG, SCHEDULED_TAG } from '../instances/snapshots.js';
import { OPS_CODES } from '../ops-events/codes.js';
import { ActionEvents, type EmitOps } from '../ops-events/record.js';
import { applyPolicy, isEmptyPolicy } from '../policy/forget.js';
import { withLock } from '../repository/lock.js';
import { Repository } from '../repository/repository.js';
import { createImageSnapshot } from '../snapshot/create-image.js';
import type { CreateOptions } from '../snapshot/create-options.js';
import { createTreeSnapshot } from '../snapshot/create-tree.js';
import { listSnapshots } from '../snapshot/load.js';
import { verifySnapshot } from '../verify/snapshot.js';
import { isDue, type DueDecision, type InstanceHistory } from './due.js';
import type { Schedule } from './schema.js';

export interface RunOptions {
  readonly schedule: Schedule;
  readonly emit: EmitOps;
  readonly now?: () => number;
}

export type SnapshotRunResult =
  | { readonly ok: true; readonly instance: Instance; readonly snapshot: Id; readonly bootSnapshot: Id | null; readonly removed: readonly Id[]; readonly correlationId: string }
  | { readonly ok: false; readonly instance: Instance; readonly stage: 'create' | 'verify'; readonly error: string; readonly correlationId: string };

/** The boot configuration is in the tree snapshot already when it lies under the root. */
export function bootConfigInside(instance: Instance): boolean {
  return instance.location.kind === 'tree' && instance.bootConfig.startsWith(`${instance.location.path}${sep}`);
}

export async function snapshotInstance(instance: Instance, o: RunOptions): Promise<SnapshotRunResult> {
  const now = o.now ?? Date.now;
  const ev = new ActionEvents({ emit: o.emit, host: instance.host, instance: instance.id, version: instance.version, correlationId: randomUUID(), now });
  const started = now();
  const root = await ev.emit({ op: 'snapshot.create', status: 'started', path: instance.location.path, message: `scheduled ${instance.location.kind} snapshot of ${instance.host}/${instance.id}` });
  const fail = async (stage: 'create' | 'verify', error: string, snapshot?: string): Promise<SnapshotRunResult> => {
    await ev.emit(
      stage === 'create'
        ? { op: 'snapshot.create', status: 'failed', code: OPS_CODES.snapshotFailed, path: instance.location.path, durationMs: now() - started, message: error }
        : { op: 'snapshot.verify', status: 'corrupt', code: OPS_CODES.verifyFailed, ...(snapshot !== undefined ? { snapshot } : {}), message: error },
      root,
    );
    return { ok: false, instance, stage, error, correlationId: ev.correlationId };
  };

  let repo: Repository;
  const made: { id: Id; what: string; path: string }[] = [];
  try {
    repo = Repository.open(instance.repository);
    const signingKey = repo.signingKey();
    const base: Omit<CreateOptions, 'source'> = {
      host: instance.host,
      instance: instance.id,
      os: { line: instance.osLine, version: instance.version },
      parent: 'auto',
      signingKey,
      time: new Date(now()),
      progress: false,
    };
    await withLock(repo.dir, 'exclusive', 'scheduled snapshot', async () => {
      const main = instance.location.kind === 'tree'
        ? createTreeSnapshot(repo, { ...base, source: instance.location.path, tags: [SCHEDULED_TAG] })
        : await createImageSnapshot(repo, { ...base, source: instance.location.path, tags: [SCHEDULED_TAG] });
      made.push({ id: main.id, what: instance.location.kind, path: instance.location.path });
      if (!bootConfigInside(instance)) {
        // A boot configuration outside the root (a shared /boot, an ESP) is kept as a one-file
        // image: restorable with `kintsugi restore --target <bootConfig>`.
        const boot = await createImageSnapshot(repo, { ...base, source: instance.bootConfig, tags: [SCHEDULED_TAG, BOOT_CONFIG_TAG] });
        made.push({ id: boot.id, what: 'boot configuration', path: instance.bootConfig });
      }
    });
  } catch (err: unknown) {
    return fail('create', isRstError(err) ? `${err.code}: ${err.message}` : messageOf(err));
  }
  for (const m of made) {
    await ev.emit({ op: 'snapshot.create', status: 'ok', snapshot: m.id, path: m.path, durationMs: now() - started, message: `${m.what} snapshot ${shortId(m.id)}` }, root);
  }

  // Verify at once; a snapshot that does not verify is removed so that nothing restores from it
  // and the next tick tries again.
  const trusted = createPublicKey(repo.signingKey());
  const depth = o.schedule.verifyAfter ?? 'data';
  for (const m of made) {
    const t = now();
    const v = verifySnapshot(repo, m.id, trusted, depth);
    if (!v.ok) {
      await withLock(repo.dir, 'exclusive', 'remove unverifiable snapshot', () => {
        for (const x of made) repo.removeSnapshot(x.id);
      });
      return fail('verify', `${m.what} snapshot ${shortId(m.id)} failed verification (${v.problem}); removed`, m.id);
    }
    await ev.emit({ op: 'snapshot.verify', status: 'ok', snapshot: m.id, durationMs: now() - t, bytes: v.bytesRead, message: `${depth} verification of ${shortId(m.id)}: ${v.blobs} blobs` }, root);
  }

  const removed = o.schedule.retention === undefined || isEmptyPolicy(o.schedule.retention) ? [] : await applyRetention(repo, instance, o.schedule, trusted);
  if (removed.length > 0) {
    await ev.emit({ op: 'snapshot.forget', status: 'ok', message: `retention removed ${removed.length} scheduled snapshot(s): ${removed.map(shortId).join(', ')}`, details: { removed: [...removed] } }, root);
  }
  const [main, boot] = made;
  return { ok: true, instance, snapshot: main?.id ?? '', bootSnapshot: boot?.id ?? null, removed, correlationId: ev.correlationId };
}

/** Forget the instance's scheduled snapshots that the retention does not keep (not prune). */
async function applyRetention(repo: Repository, instance: Instance, schedule: Schedule, trusted: ReturnType<typeof createPublicKey>): Promise<readonly Id[]> {
  return withLock(repo.dir, 'exclusive', 'scheduled retention', () => {
    const { records } = listSnapshots(repo, trusted);
    const mine = records.filter((r) => r.payload.host === instance.host && r.payload.instance === instance.id && r.payload.tags.includes(SCHEDULED_TAG));
    const result = applyPolicy(
      mine.map((r) => ({ id: r.id, time: r.payload.time, host: r.payload.host, instance: r.payload.instance, kind: r.payload.kind, source: r.payload.source, tags: r.payload.tags })),
      schedule.retention ?? {},
    );
    for (const d of result.remove) repo.removeSnapshot(d.id);
    return result.remove.map((d) => d.id);
  });
}

/** The history `isDue` needs, from the repository: the newest scheduled snapshot of the instance. */
export function historyOf(instance: Instance, lastFailureMs: number | null): InstanceHistory {
  const repo = Repository.open(instance.repository);
  const { records } = listSnapshots(repo, repo.trustedKey());
  let last: number | null = null;
  for (const r of records) {
    const p = r.payload;
    if (p.host === instance.host && p.instance === instance.id && p.source === instance.location.path && p.tags.includes(SCHEDULED_TAG)) last = Date.parse(p.time);
  }
  return { lastSuccessMs: last, lastFailureMs: last !== null && lastFailureMs !== null && lastFailureMs < last ? null : lastFailureMs };
}

export interface PlanEntry {
  readonly instance: Instance;
  readonly decision: DueDecision;
}

/**
 * The scheduler: each tick asks `isDue` for every instance of the map and snapshots the due ones,
 * one at a time (snapshots are disk-bound; running them in parallel would only compete). Failures
 * are remembered in memory for `retryAfter`; successes are read from the repositories.
 */
export class Scheduler {
  private readonly failures = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly map: InstanceMap,
    private readonly o: RunOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  plan(): readonly PlanEntry[] {
    const t = this.now();
    return this.map.instances.map((instance) => {
      try {
        return { instance, decision: isDue(this.o.schedule, historyOf(instance, this.failures.get(key(instance)) ?? null), t) };
      } catch (err: unknown) {
        // An unreachable repository counts as never snapshotted, so that a run reports the failure
        // (as an event), then waits `retryAfter` like any other failure.
        const d = isDue(this.o.schedule, { lastSuccessMs: null, lastFailureMs: this.failures.get(key(instance)) ?? null }, t);
        return { instance, decision: d.due ? { due: true, reason: `repository unreadable: ${messageOf(err)}` } : d };
      }
    });
  }

  async tick(): Promise<readonly SnapshotRunResult[]> {
    const results: SnapshotRunResult[] = [];
    for (const entry of this.plan()) {
      if (!entry.decision.due) continue;
      const r = await snapshotInstance(entry.instance, this.o);
      if (r.ok) this.failures.delete(key(entry.instance));
      else this.failures.set(key(entry.instance), this.now());
      results.push(r);
    }
    return results;
  }
}

function key(i: Instance): string {
  return `${i.host}\u0000${i.id}`;
}
