/**
 * `snapshot prune`: reclaim what no snapshot references, and the leftovers of crashed writers.
 * Order (FORMAT.md, "Read and write ordering"): repack the used blobs of partly used packs,
 * write one new index of everything kept, delete the old indexes, then delete old packs,
 * unindexed packs and temporary files. A crash at any step leaves every snapshot readable.
 */
import type { KeyObject } from 'node:crypto';
import { statSync, unlinkSync } from 'node:fs';
import { rstError } from '../errors.js';
import { blockCount, isHole } from '../format/v1/blockmap.js';
import { ID_BYTES, type Id, isId } from '../format/v1/ids.js';
import type { IndexedPack } from '../format/v1/index-file.js';
import { BlobReader } from '../repository/blob-reader.js';
import { MasterIndex } from '../repository/master-index.js';
import { PackWriter } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { readBlockMap, readManifest } from '../snapshot/content.js';
import { listSnapshots } from '../snapshot/load.js';
import { VerifyFailed } from '../restore/prepare.js';

export interface PruneReport {
  readonly dryRun: boolean;
  readonly snapshots: number;
  readonly packsDeleted: number;
  readonly packsRepacked: number;
  readonly blobsRemoved: number;
  readonly bytesFreed: number;
  readonly leftoverPacksRemoved: number;
  readonly tmpFilesRemoved: number;
  readonly indexesReplaced: number;
  /** Snapshot files the signed log does not make live (forgotten, or planted): removed. */
  readonly snapshotFilesRemoved: number;
  /** Logged snapshots left in tmp/ by an interrupted writer: moved into snapshots/. */
  readonly pendingPublished: number;
}

export function prune(repo: Repository, trusted: KeyObject, dryRun = false): PruneReport {
  const { records, errors: allErrors, leftovers: snapshotLeftovers } = listSnapshots(repo, trusted);
  // A snapshot file the log does not list is never used: prune removes it rather than stop.
  const errors = allErrors.filter((e) => e.code !== 'RST_ERR_SNAPSHOT_UNLISTED');
  if (errors.length > 0) throw new VerifyFailed('the snapshots (prune would delete data a damaged snapshot may still need)', errors);
  const loaded = repo.loadIndex();
  if (loaded.problems.length > 0) {
    throw new VerifyFailed('the index', loaded.problems.map((p) => rstError('RST_ERR_INDEX_CORRUPT', p.indexId, p.reason)));
  }
  const { index } = loaded;
  const reader = new BlobReader(repo, index);
  const used = new Set<Id>();
  try {
    for (const r of records) {
      const p = r.payload;
      if (p.kind === 'tree') {
        for (const m of p.tree) used.add(m);
        for (const n of readManifest(r, reader)) if (n.type === 'file') for (const c of n.chunks) used.add(c);
      } else {
        for (const m of p.image.map) used.add(m);
        const map = readBlockMap(r, reader);
        const blocks = blockCount(p.image.size, p.image.blockSize);
        for (let b = 0; b < blocks; b++) if (!isHole(map, b)) used.add(map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES));
      }
    }
    for (const id of used) if (!index.has(id)) throw rstError('RST_ERR_BLOB_MISSING', id.slice(0, 12), 'a snapshot (prune stops: run `snapshot verify`)');

    // Classify packs from the index files (a blob counts in the pack the master index chose).
    const kept: IndexedPack[] = [];
    const repack: IndexedPack[] = [];
    const drop: IndexedPack[] = [];
    const seenPacks = new Set<Id>();
    for (const packs of loaded.files.values()) {
      for (const p of packs) {
        if (seenPacks.has(p.packId)) continue;
        seenPacks.add(p.packId);
        const live = p.blobs.filter((b) => used.has(b.id) && index.get(b.id)?.packId === p.packId);
        if (live.length === p.blobs.length) kept.push(p);
        else if (live.length === 0) drop.push(p);
        else repack.push(p);
      }
    }
    let blobsRemoved = 0;
    let bytesFreed = 0;
    for (const p of [...drop, ...repack]) {
      for (const b of p.blobs) if (!(used.has(b.id) && index.get(b.id)?.packId === p.packId)) {
        blobsRemoved++;
        bytesFreed += b.storedLength;
      }
    }
    const leftovers = repo.listPackFiles().filter((f) => !isId(f.id) || !seenPacks.has(f.id));
    const pending = records.filter((r) => repo.hasPendingSnapshot(r.id)).map((r) => r.id);
    const pendingPaths = new Set(pending.map((id) => repo.pendingSnapshotPath(id)));
    const tmpFiles = repo.listTmpFiles().filter((f) => !pendingPaths.has(f));
    for (const f of leftovers) bytesFreed += statSync(f.path).size;
    const report: PruneReport = {
      dryRun, snapshots: records.length, packsDeleted: drop.length, packsRepacked: repack.length, blobsRemoved, bytesFreed,
      leftoverPacksRemoved: leftovers.length, tmpFilesRemoved: tmpFiles.length, indexesReplaced: loaded.files.size,
      snapshotFilesRemoved: snapshotLeftovers.length, pendingPublished: pending.length,
    };
    if (dryRun) return report;
    // 0. Finish interrupted snapshot writes and forgets (before tmp/ is emptied).
    for (const id of pending) repo.publishSnapshot(id);
    for (const l of snapshotLeftovers) repo.removeSnapshot(l.id);
    if (drop.length === 0 && repack.length === 0 && leftovers.length === 0 && tmpFiles.length === 0) return { ...report, indexesReplaced: 0 };

    // 1. Repack live blobs of partly used packs into new packs.
    const fresh = new MasterIndex();
    for (const p of kept) fresh.addPack(p);
    const writer = new PackWriter(repo, fresh);
    for (const p of repack) {
      for (const b of p.blobs) {
        if (used.has(b.id) && index.get(b.id)?.packId === p.packId && !writer.has(b.id)) writer.add(b.type, b.id, reader.read(b.id, 'prune'));
      }
    }
    const newPacks = writer.flushAll();
    // 2. One index of everything kept, then 3. delete old indexes, 4. old packs and leftovers.
    const newIndex = repo.saveIndex([...kept, ...newPacks]);
    for (const id of loaded.files.keys()) if (id !== newIndex) unlinkQuiet(repo.indexPath(id));
    for (const p of [...drop, ...repack]) unlinkQuiet(repo.packPath(p.packId));
    for (const f of leftovers) unlinkQuiet(f.path);
    for (const f of tmpFiles) unlinkQuiet(f);
    return report;
  } finally {
    reader.close();
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone: nothing to reclaim
  }
}
