/**
 * An instance's snapshots in its repository: those of its own root or image (never a
 * neighbour's), newest first, and the newest one that verifies.
 */
import type { KeyObject } from 'node:crypto';
import type { Repository } from '../repository/repository.js';
import { listSnapshots, type SnapshotRecord } from '../snapshot/load.js';
import { verifySnapshot, type VerifyDepth } from '../verify/snapshot.js';
import type { Instance } from './map.js';

/** Tag of the boot loader configuration's snapshot taken beside the instance's. */
export const BOOT_CONFIG_TAG = 'boot-config';
/** Tag of every snapshot the scheduler takes (retention applies to these only). */
export const SCHEDULED_TAG = 'scheduled';

/** Snapshots of the instance's root or image, newest first. */
export function instanceSnapshots(repo: Repository, instance: Instance, trusted: KeyObject): readonly SnapshotRecord[] {
  const { records } = listSnapshots(repo, trusted);
  return records
    .filter((r) => r.payload.host === instance.host && r.payload.instance === instance.id && r.payload.kind === instance.location.kind && r.payload.source === instance.location.path)
    .reverse();
}

export interface NewestVerified {
  readonly record: SnapshotRecord | null;
  /** Newer snapshots that failed verification, and why (newest first). */
  readonly rejected: readonly { readonly id: string; readonly problem: string }[];
}

/** The newest snapshot of the instance that verifies now (older ones are tried in turn). */
export function newestVerified(repo: Repository, instance: Instance, trusted: KeyObject, depth: VerifyDepth = 'data'): NewestVerified {
  const rejected: { id: string; problem: string }[] = [];
  for (const r of instanceSnapshots(repo, instance, trusted)) {
    const v = verifySnapshot(repo, r.id, trusted, depth);
    if (v.ok) return { record: r, rejected };
    rejected.push({ id: r.id, problem: v.problem });
  }
  return { record: null, rejected };
}
