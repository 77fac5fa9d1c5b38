/**
 * Verification of one snapshot (not the whole repository): name, signature and repository, its
 * manifest or block map, every blob it references indexed, and with `data` every blob read back
 * and re-hashed. What the scheduler runs right after a snapshot, and what "newest verified" means.
 */
import type { KeyObject } from 'node:crypto';
import { isRstError, messageOf } from '../errors.js';
import { type Id, shortId } from '../format/v1/ids.js';
import { BlobReader } from '../repository/blob-reader.js';
import type { Repository } from '../repository/repository.js';
import { dataBlobsOf } from '../snapshot/content.js';
import { tryLoadSnapshot } from '../snapshot/load.js';

export type VerifyDepth = 'structure' | 'data';

export type SnapshotVerdict =
  | { readonly ok: true; readonly snapshot: Id; readonly blobs: number; readonly bytesRead: number }
  | { readonly ok: false; readonly snapshot: Id; readonly problem: string };

export function verifySnapshot(repo: Repository, id: Id, trusted: KeyObject, depth: VerifyDepth): SnapshotVerdict {
  const loaded = tryLoadSnapshot(repo, id, trusted);
  if (!loaded.ok) return { ok: false, snapshot: id, problem: `${loaded.error.code}: ${loaded.error.message}` };
  const { index } = repo.loadIndex();
  const reader = new BlobReader(repo, index);
  try {
    const data = dataBlobsOf(loaded.record, reader);
    let bytesRead = 0;
    for (const c of data) {
      if (!index.has(c)) return { ok: false, snapshot: id, problem: `chunk ${shortId(c)} is in no index` };
      if (depth === 'data') bytesRead += reader.read(c, `snapshot ${shortId(id)}`).length;
    }
    return { ok: true, snapshot: id, blobs: data.size, bytesRead };
  } catch (err: unknown) {
    return { ok: false, snapshot: id, problem: isRstError(err) ? `${err.code}: ${err.message}` : messageOf(err) };
  } finally {
    reader.close();
  }
}
