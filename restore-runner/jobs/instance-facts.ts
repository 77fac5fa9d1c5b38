/**
 * The facts the policy decides on, read from one instance and its repository: the verified
 * snapshots of that instance (and of no other), what each holds of the damaged files, and the
 * damaged files' hashes as they are now. Reading only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { errnoOf, type RstError } from '../errors.js';
import { utf8ToRaw } from '../format/v1/manifest.js';
import type { Instance } from '../instances/map.js';
import { loadPublicKey } from '../repository/keys.js';
import { BlobReader } from '../repository/blob-reader.js';
import { Repository } from '../repository/repository.js';
import { readManifest } from '../snapshot/content.js';
import { listSnapshots, matches, type SnapshotFilter, type SnapshotRecord } from '../snapshot/load.js';
import type { DamageFacts, SnapshotFacts } from '../recovery-policy/decide.js';

export interface InstanceFacts {
  readonly repo: Repository;
  readonly trustedKey: KeyObject;
  readonly snapshots: readonly SnapshotFacts[];
  readonly damage: DamageFacts;
  /** Snapshots that could not be read (left out), with why. */
  readonly unreadable: readonly string[];
}

/** `/lib/modules/x.ko` (as events name it) → `lib/modules/x.ko` (as the manifest does). */
export function instancePath(path: string): string {
  return path.replace(/^\/+/, '');
}

export function sha256OfFile(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (err: unknown) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR' || errnoOf(err) === 'EISDIR') return null;
    throw err;
  }
}

/** The filter that makes a snapshot the instance's own (its root or image, not its boot configuration). */
export function instanceFilter(instance: Instance): SnapshotFilter {
  return { host: instance.host, instance: instance.id, source: instance.location.path };
}

export interface InstanceSnapshots {
  readonly repo: Repository;
  readonly trustedKey: KeyObject;
  /** The instance's verified, live snapshots, oldest first. */
  readonly records: readonly SnapshotRecord[];
  /** What is wrong with the repository's other snapshots (of any instance), as listSnapshots says. */
  readonly errors: readonly RstError[];
}

/** The instance's repository opened with its own public key, and the instance's snapshots in it. */
export function instanceSnapshotRecords(instance: Instance): InstanceSnapshots {
  const repo = Repository.open(instance.repository);
  const trustedKey = loadPublicKey(join(repo.dir, 'keys', 'public.pem'));
  const { records, errors } = listSnapshots(repo, trustedKey);
  // Its own root or image only: the boot configuration's snapshot (restore-runner/schedule/) is not an instance snapshot.
  const filter = instanceFilter(instance);
  return { repo, trustedKey, records: records.filter((r) => matches(r.payload, filter)), errors };
}

export function gatherFacts(instance: Instance, damagedPaths: readonly string[]): InstanceFacts {
  const { repo, trustedKey, records: mine } = instanceSnapshotRecords(instance);
  const rel = [...new Set(damagedPaths.map(instancePath))];
  const snapshots: SnapshotFacts[] = [];
  const unreadable: string[] = [];
  const reader = mine.some((r) => r.payload.kind === 'tree') && rel.length > 0 ? new BlobReader(repo, repo.loadIndex().index) : null;
  try {
    for (const r of mine) {
      let files: Map<string, string> | null = null;
      if (r.payload.kind === 'tree') {
        files = new Map();
        if (reader !== null) {
          try {
            const want = new Set(rel.map(utf8ToRaw));
            for (const node of readManifest(r, reader)) if (node.type === 'file' && want.has(node.path)) files.set(node.path, node.sha256);
          } catch (err: unknown) {
            unreadable.push(`${r.id.slice(0, 12)}: ${err instanceof Error ? err.message : String(err)}`);
            continue;
          }
        }
      }
      snapshots.push({ id: r.id, time: r.payload.time, osVersion: r.payload.os?.version ?? null, files });
    }
  } finally {
    reader?.close();
  }
  const current = new Map<string, string | null>();
  if (instance.location.kind === 'tree') for (const p of rel) current.set(p, sha256OfFile(join(instance.location.path, p)));
  return { repo, trustedKey, snapshots, damage: { paths: instance.location.kind === 'tree' ? rel : [], current, instanceVersion: instance.version }, unreadable };
}
