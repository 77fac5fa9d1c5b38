/**
 * A recovery drill: restore the newest snapshot of an instance into a scratch place, verify what
 * was written against the snapshot independently of the restore's own read-back, and record the
 * time from start to verified copy — the recovery time objective, measured — as `drill.start` /
 * `drill.end` events (dashboards/restore-operations.ts charts `drill.end`'s duration). The instance itself is
 * never written.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { isRstError, messageOf, rstError } from '../errors.js';
import { shortId, type Id } from '../format/v1/ids.js';
import { blockCount } from '../format/v1/blockmap.js';
import type { Instance } from '../instances/map.js';
import { instanceSnapshots } from '../instances/snapshots.js';
import { OPS_CODES } from '../ops-events/codes.js';
import { ActionEvents, type EmitOps } from '../ops-events/record.js';
import { verifyFileRange } from '../parallel/ops.js';
import { Repository } from '../repository/repository.js';
import { openSnapshotForRead } from '../restore/prepare.js';
import type { RestoreReport } from '../restore/report.js';
import { restore } from '../restore/restore.js';
import { readBlockMap, readManifest } from '../snapshot/content.js';
import { scanTree } from '../selfheal/scan.js';

export interface DrillOptions {
  readonly emit: EmitOps;
  /** Where scratch copies go: `<scratch>/<host>/<instance>/<time>` (removed afterwards unless `keep`). */
  readonly scratchDir: string;
  readonly keep?: boolean;
  readonly now?: () => number;
  /** High-resolution clock for the measured time (ms); `performance.now` by default. */
  readonly clock?: () => number;
  readonly correlationId?: string;
}

export type DrillResult =
  | {
      readonly ok: true;
      readonly instance: Instance;
      readonly snapshot: Id;
      /** Start to verified copy, in milliseconds: the measured RTO. */
      readonly rtoMs: number;
      readonly restoreMs: number;
      readonly verifyMs: number;
      readonly bytes: number;
      readonly scratch: string;
      readonly kept: boolean;
      readonly correlationId: string;
    }
  | { readonly ok: false; readonly instance: Instance; readonly snapshot: Id | null; readonly error: string; readonly elapsedMs: number; readonly correlationId: string };

/** Independent check of the copy: every file hashed against the manifest, or every block against the block map. */
function verifyCopy(repo: Repository, snapshot: Id, target: string): string | undefined {
  const ctx = openSnapshotForRead(repo, snapshot, repo.trustedKey());
  try {
    const p = ctx.record.payload;
    if (p.kind === 'tree') {
      const { findings, checked } = scanTree(target, readManifest(ctx.record, ctx.reader), () => 'system');
      const [first] = findings;
      return first === undefined ? undefined : `${findings.length} of ${checked} entries differ; first: ${first.path} ${first.problem} (${first.detail})`;
    }
    const map = readBlockMap(ctx.record, ctx.reader);
    const bad = verifyFileRange(target, 0, blockCount(p.image.size, p.image.blockSize), p.image.blockSize, p.image.size, map);
    return bad < 0 ? undefined : `block ${bad} differs from the snapshot`;
  } finally {
    ctx.reader.close();
  }
}

export async function drill(instance: Instance, o: DrillOptions): Promise<DrillResult> {
  const now = o.now ?? Date.now;
  const clock = o.clock ?? ((): number => performance.now());
  const ev = new ActionEvents({ emit: o.emit, host: instance.host, instance: instance.id, version: instance.version, correlationId: o.correlationId ?? randomUUID(), now });
  const t0 = clock();
  let snapshot: Id | null = null;
  let parent: string | undefined;
  const scratch = join(o.scratchDir, instance.host, instance.id, new Date(now()).toISOString().replace(/[:.]/g, '-'));
  const target = instance.location.kind === 'tree' ? join(scratch, 'root') : join(scratch, 'image');
  try {
    const repo = Repository.open(instance.repository);
    const newest = instanceSnapshots(repo, instance, repo.trustedKey())[0];
    if (newest === undefined) throw rstError('RST_ERR_SNAPSHOT_NOT_FOUND', `a snapshot of ${instance.host}/${instance.id}`, repo.dir, repo.dir);
    snapshot = newest.id;
    parent = await ev.emit({ op: 'drill.start', status: 'started', snapshot, restoreMode: 'full', restoreTarget: target, message: `drill: restore ${shortId(snapshot)} of ${instance.host}/${instance.id} into a scratch place` });
    mkdirSync(scratch, { recursive: true });
    const report: RestoreReport = await restore(repo, { snapshot, target, mode: 'full', trustedKey: repo.trustedKey(), progress: false });
    const t1 = clock();
    const problem = verifyCopy(repo, snapshot, target);
    if (problem !== undefined) throw rstError('RST_ERR_RESTORE_MISMATCH', target, shortId(snapshot), problem);
    const t2 = clock();
    const rtoMs = t2 - t0;
    await ev.emit(
      {
        op: 'drill.end',
        status: 'ok',
        snapshot,
        restoreMode: 'full',
        restoreTarget: target,
        bytes: report.bytesTotal,
        durationMs: Math.round(rtoMs * 1000) / 1000,
        message: `drill of ${instance.host}/${instance.id}: ${shortId(snapshot)} restored and verified in ${(rtoMs / 1000).toFixed(3)} s (RTO measured)`,
        details: { rto_ms: Math.round(rtoMs), restore_ms: Math.round(t1 - t0), verify_ms: Math.round(t2 - t1) },
      },
      parent,
    );
    if (o.keep !== true) rmSync(scratch, { recursive: true, force: true });
    return { ok: true, instance, snapshot, rtoMs, restoreMs: t1 - t0, verifyMs: t2 - t1, bytes: report.bytesTotal, scratch, kept: o.keep === true, correlationId: ev.correlationId };
  } catch (err: unknown) {
    const elapsedMs = clock() - t0;
    const error = isRstError(err) ? `${err.code}: ${err.message}` : messageOf(err);
    await ev.emit({ op: 'drill.end', status: 'failed', code: OPS_CODES.drillFailed, ...(snapshot !== null ? { snapshot } : {}), durationMs: Math.round(elapsedMs * 1000) / 1000, message: `drill of ${instance.host}/${instance.id} failed: ${error}` }, parent);
    rmSync(scratch, { recursive: true, force: true });
    return { ok: false, instance, snapshot, error, elapsedMs, correlationId: ev.correlationId };
  }
}
