/**
 * What a person picks a restore from: the snapshots of one instance (of that instance only) and
 * the entries of one directory of a tree snapshot, as `path`s that `POST /api/restores` takes.
 * Reading only; every snapshot is proved (signature, log, hashes) before it is shown.
 */
import { RstError } from '../errors.js';
import { shortId } from '../format/v1/ids.js';
import { rawToDisplay, type TreeNode, utf8ToRaw } from '../format/v1/manifest.js';
import type { Instance } from '../instances/map.js';
import { withLock } from '../repository/lock.js';
import { openSnapshotForRead, withContext } from '../restore/prepare.js';
import { readManifest } from '../snapshot/content.js';
import { matches } from '../snapshot/load.js';
import { JobError } from './errors.js';
import { instanceFilter, instanceSnapshotRecords } from './instance-facts.js';

export interface SnapshotInfo {
  readonly id: string;
  readonly time: string;
  readonly kind: 'tree' | 'image';
  readonly osVersion: string | null;
  readonly tags: readonly string[];
  readonly parent: string | null;
  readonly sizes: { readonly bytes: number; readonly files: number; readonly dirs: number; readonly blocks: number; readonly holes: number; readonly bytesAdded: number };
}

export interface SnapshotList {
  readonly snapshots: readonly SnapshotInfo[];
  /** Snapshots of the repository that did not verify (left out), with why. */
  readonly problems: readonly string[];
}

/** The instance's verified snapshots, oldest first. */
export function listInstanceSnapshots(instance: Instance): SnapshotList {
  const { records, errors } = instanceSnapshotRecords(instance);
  return {
    snapshots: records.map(({ id, payload: p }) => ({
      id,
      time: p.time,
      kind: p.kind,
      osVersion: p.os?.version ?? null,
      tags: p.tags,
      parent: p.parent,
      sizes: { bytes: p.summary.bytes, files: p.summary.files, dirs: p.summary.dirs, blocks: p.summary.blocks, holes: p.summary.holes, bytesAdded: p.summary.bytesAdded },
    })),
    problems: errors.map((e) => `${e.code}: ${e.message}`),
  };
}

export interface TreeEntry {
  readonly name: string;
  /** Absolute in the instance: what `POST /api/restores` takes in `paths`. */
  readonly path: string;
  readonly type: TreeNode['type'];
  readonly size: number;
  readonly mode: number;
  readonly mtime: string;
}

export interface TreeListing {
  readonly snapshot: string;
  readonly path: string;
  readonly entries: readonly TreeEntry[];
}

/** `/a/./b/` → `a/b` (the manifest's raw form); `..` is refused rather than resolved. */
export function manifestDir(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new JobError('JOB_ERR_TREE_PATH', path, 'has a ".." component: name the directory from the instance root');
  if (path.includes('\0')) throw new JobError('JOB_ERR_TREE_PATH', JSON.stringify(path), 'has a NUL byte');
  return utf8ToRaw(parts.join('/'));
}

function mtimeOf(n: TreeNode): string {
  const ms = Number(n.mtimeNs / 1_000_000n);
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : '';
}

/** The entries of directory `path` (absolute in the instance) of the instance's tree snapshot `ref`. */
export async function listSnapshotDir(instance: Instance, ref: string, path: string): Promise<TreeListing> {
  const dir = manifestDir(path);
  const { repo, trustedKey } = instanceSnapshotRecords(instance);
  const where = `${instance.host}/${instance.id}`;
  return withLock(repo.dir, 'shared', 'snapshot tree', () => {
    let ctx;
    try {
      ctx = openSnapshotForRead(repo, ref, trustedKey);
    } catch (err: unknown) {
      if (err instanceof RstError && (err.code === 'RST_ERR_SNAPSHOT_NOT_FOUND' || err.code === 'RST_ERR_SNAPSHOT_AMBIGUOUS')) throw new JobError('JOB_ERR_SNAPSHOT_NOT_FOUND', `${ref} (${err.message})`, where, where);
      throw new JobError('JOB_ERR_SNAPSHOT_UNREADABLE', ref, err instanceof Error ? err.message : String(err));
    }
    return withContext(ctx, ({ record }) => {
      // A prefix resolves across the whole repository: another instance's snapshot is not this one's.
      if (!matches(record.payload, instanceFilter(instance))) throw new JobError('JOB_ERR_SNAPSHOT_NOT_FOUND', ref, where, where);
      if (record.payload.kind !== 'tree') throw new JobError('JOB_ERR_NO_TREE', shortId(record.id));
      const nodes = readManifest(record, ctx.reader);
      const self = dir === '' ? undefined : nodes.find((n) => n.path === dir);
      if (self !== undefined && self.type !== 'dir') throw new JobError('JOB_ERR_TREE_PATH', `/${rawToDisplay(dir)}`, `is a ${self.type}, not a directory: list its parent`);
      const prefix = dir === '' ? '' : `${dir}/`;
      const children = nodes.filter((n) => n.path !== '' && n.path.startsWith(prefix) && !n.path.slice(prefix.length).includes('/'));
      if (dir !== '' && self === undefined) throw new JobError('JOB_ERR_TREE_PATH_NOT_FOUND', `/${rawToDisplay(dir)}`, shortId(record.id));
      const entries = children.map((n) => ({ name: rawToDisplay(n.path.slice(prefix.length)), path: `/${rawToDisplay(n.path)}`, type: n.type, size: n.type === 'file' ? n.size : 0, mode: n.mode, mtime: mtimeOf(n) }));
      return { snapshot: record.id, path: `/${rawToDisplay(dir)}`, entries };
    });
  });
}
