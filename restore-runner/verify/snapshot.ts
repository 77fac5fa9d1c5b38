/**
 * Verification of one snapshot (not the whole repository): name, signature and repository, its
 * manifest or block map, every blob it references indexed, and with `data` every blob read back
 * and re-hashed. What the scheduler runs right after a snapshot, and what "newest verified" means.
 */
import type { KeyObject } from 'node:crypto';
import { isRstError, messageOf } from '../errors.js';
import { blockCount, isHole } from '../format/v1/blockmap.js';
import { ID_BYTES, type Id, shortId } from '../format/v1/ids.js';
import { BlobReader } from '../repository/blob-reader.js';
import type { Repository } from '../repository/repository.js';
import { readBlockMap, readManifest } from '../snapshot/content.js';
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
    const p = loaded.record.payload;
    const data = new Set<Id>();
    if (p.kind === 'tree') {
      for (const n of readManifest(loaded.record, reader)) if (n.type === 'file') for (const c of n.chunks) data.add(c);
    } else {
      const map = readBlockMap(loaded.record, reader);
      const blocks = blockCount(p.image.size, p.image.blockSize);
      for (let b = 0; b < blocks; b++) if (!isHole(map, b)) data.add(map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES));
    }
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
