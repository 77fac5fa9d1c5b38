/**
 * `snapshot verify`: checks every invariant of FORMAT.md and reports every problem, typed, not
 * only the first. Structure: snapshots (name, signature, repository), indexes, pack headers
 * against the index, every referenced blob indexed. With `readData`, every pack is hashed and
 * every blob decompressed and re-hashed. Leftovers of a crashed writer are hints, not problems.
 */
import type { KeyObject } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type RstErrorCode, isRstError, messageOf, rstError } from '../errors.js';
import { decodeBlob } from '../format/v1/blob-codec.js';
import { blockCount, isHole } from '../format/v1/blockmap.js';
import { ID_BYTES, type Id, isId, sha256Hex, shortId } from '../format/v1/ids.js';
import { decodePackTrailer, trailerLength } from '../format/v1/pack.js';
import { BlobReader } from '../repository/blob-reader.js';
import { readFully, type Repository } from '../repository/repository.js';
import { readBlockMap, readManifest } from '../snapshot/content.js';
import { tryLoadSnapshot } from '../snapshot/load.js';
import { readSnapshotLog } from '../snapshot/log.js';
import { createProgress, SILENT_PROGRESS } from '../progress.js';

export type VerifyProblem =
  | { readonly type: 'snapshot-invalid'; readonly code: RstErrorCode; readonly snapshot: Id; readonly message: string }
  | { readonly type: 'log-invalid'; readonly code: 'RST_ERR_LOG_INVALID'; readonly message: string }
  | { readonly type: 'snapshot-deleted'; readonly code: 'RST_ERR_SNAPSHOT_DELETED'; readonly snapshot: Id; readonly message: string }
  | { readonly type: 'snapshot-unlisted'; readonly code: 'RST_ERR_SNAPSHOT_UNLISTED'; readonly snapshot: Id; readonly message: string }
  | { readonly type: 'index-corrupt'; readonly code: 'RST_ERR_INDEX_CORRUPT'; readonly index: Id; readonly message: string }
  | { readonly type: 'pack-missing'; readonly code: 'RST_ERR_PACK_CORRUPT'; readonly pack: Id; readonly message: string }
  | { readonly type: 'pack-corrupt'; readonly code: 'RST_ERR_PACK_CORRUPT'; readonly pack: Id; readonly message: string }
  | { readonly type: 'blob-missing'; readonly code: 'RST_ERR_BLOB_MISSING'; readonly blob: Id; readonly snapshot: Id; readonly message: string }
  | { readonly type: 'blob-corrupt'; readonly code: 'RST_ERR_BLOB_CORRUPT'; readonly blob: Id; readonly pack: Id; readonly message: string }
  | { readonly type: 'content-unreadable'; readonly code: RstErrorCode; readonly snapshot: Id; readonly message: string };

export type VerifyHint =
  | { readonly type: 'pack-unindexed'; readonly file: string }
  | { readonly type: 'tmp-leftover'; readonly file: string }
  /** A snapshot file whose `forget` was logged but whose removal was interrupted. */
  | { readonly type: 'snapshot-forgotten'; readonly file: string }
  /** A logged snapshot still at its pending name in tmp/ (its writer stopped before the rename). */
  | { readonly type: 'snapshot-pending'; readonly file: string }
  /** A version 1 repository: no signed log, so a deleted snapshot cannot be noticed. */
  | { readonly type: 'format-v1'; readonly file: string };

export interface VerifyReport {
  readonly ok: boolean;
  readonly snapshots: number;
  readonly packs: number;
  readonly blobs: number;
  readonly bytesRead: number;
  readonly problems: readonly VerifyProblem[];
  readonly hints: readonly VerifyHint[];
}

export interface VerifyOptions {
  readonly trustedKey: KeyObject;
  readonly readData?: boolean;
  /** Only these snapshots (IDs); all when absent. */
  readonly snapshots?: readonly Id[];
  /** Show progress of --read-data on a terminal. */
  readonly progress?: boolean;
}

export function verifyRepository(repo: Repository, opts: VerifyOptions): VerifyReport {
  const problems: VerifyProblem[] = [];
  const hints: VerifyHint[] = [];
  const { index, problems: indexProblems } = repo.loadIndex();
  for (const p of indexProblems) problems.push({ type: 'index-corrupt', code: 'RST_ERR_INDEX_CORRUPT', index: p.indexId, message: p.reason });
  const reader = new BlobReader(repo, index);
  let bytesRead = 0;

  // 1. The signed log, then snapshots and everything they reference.
  const logged = readSnapshotLog(repo, opts.trustedKey);
  if (!logged.ok) problems.push({ type: 'log-invalid', code: 'RST_ERR_LOG_INVALID', message: logged.error.message });
  const log = logged.ok ? logged.state : null;
  if (logged.ok && log === null) hints.push({ type: 'format-v1', file: join(repo.dir, 'config') });
  const ids = opts.snapshots ?? [...new Set([...repo.listSnapshotIds(), ...(log?.live ?? [])])].sort();
  for (const id of ids) {
    if (log?.forgotten.has(id) === true) {
      hints.push({ type: 'snapshot-forgotten', file: repo.snapshotPath(id) });
      continue;
    }
    const r = tryLoadSnapshot(repo, id, opts.trustedKey);
    if (!r.ok) {
      if (log?.live.has(id) === true && r.error.code === 'RST_ERR_SNAPSHOT_NOT_FOUND') {
        problems.push({ type: 'snapshot-deleted', code: 'RST_ERR_SNAPSHOT_DELETED', snapshot: id, message: rstError('RST_ERR_SNAPSHOT_DELETED', shortId(id)).message });
      } else problems.push({ type: 'snapshot-invalid', code: r.error.code, snapshot: id, message: r.error.message });
      continue;
    }
    if (log !== null && !log.live.has(id)) {
      problems.push({ type: 'snapshot-unlisted', code: 'RST_ERR_SNAPSHOT_UNLISTED', snapshot: id, message: rstError('RST_ERR_SNAPSHOT_UNLISTED', shortId(id), 'a file planted in snapshots/').message });
      continue;
    }
    if (log !== null && repo.hasPendingSnapshot(id)) hints.push({ type: 'snapshot-pending', file: repo.pendingSnapshotPath(id) });
    const p = r.record.payload;
    const meta = p.kind === 'tree' ? p.tree : p.image.map;
    const missingMeta = meta.filter((m) => !index.has(m));
    for (const m of missingMeta) problems.push({ type: 'blob-missing', code: 'RST_ERR_BLOB_MISSING', blob: m, snapshot: id, message: `meta blob ${shortId(m)} of snapshot ${shortId(id)} is in no index` });
    if (missingMeta.length > 0) continue;
    const data = new Set<Id>();
    try {
      if (p.kind === 'tree') {
        for (const n of readManifest(r.record, reader)) if (n.type === 'file') for (const c of n.chunks) data.add(c);
      } else {
        const map = readBlockMap(r.record, reader);
        const blocks = blockCount(p.image.size, p.image.blockSize);
        for (let b = 0; b < blocks; b++) if (!isHole(map, b)) data.add(map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES));
      }
    } catch (err: unknown) {
      problems.push({ type: 'content-unreadable', code: isRstError(err) ? err.code : 'RST_ERR_IO', snapshot: id, message: messageOf(err) });
      continue;
    }
    for (const c of data) {
      if (!index.has(c)) problems.push({ type: 'blob-missing', code: 'RST_ERR_BLOB_MISSING', blob: c, snapshot: id, message: `chunk ${shortId(c)} of snapshot ${shortId(id)} is in no index` });
    }
  }
  reader.close();

  // 2. Packs: present, whole, header equal to the index; with readData every byte re-hashed.
  const byPack = new Map<Id, { offset: number; storedLength: number; rawLength: number; id: Id; type: number; compression: number }[]>();
  for (const [, loc] of index.entries()) {
    const list = byPack.get(loc.packId) ?? [];
    list.push({ ...loc.entry });
    byPack.set(loc.packId, list);
  }
  let packs = 0;
  let totalPackBytes = 0;
  for (const packId of index.packIds()) totalPackBytes += index.packSize(packId) ?? 0;
  const progress = opts.readData === true && opts.progress === true ? createProgress('verify --read-data', totalPackBytes) : SILENT_PROGRESS;
  for (const packId of index.packIds()) {
    packs++;
    const path = repo.packPath(packId);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      problems.push({ type: 'pack-missing', code: 'RST_ERR_PACK_CORRUPT', pack: packId, message: `pack ${shortId(packId)} is indexed but its file is gone` });
      continue;
    }
    const expected = index.packSize(packId);
    if (expected !== size) {
      problems.push({ type: 'pack-corrupt', code: 'RST_ERR_PACK_CORRUPT', pack: packId, message: `pack ${shortId(packId)} has ${size} bytes, the index says ${expected ?? '?'}` });
      continue;
    }
    const fd = openSync(path, 'r');
    try {
      const last4 = readFully(fd, size - 4, 4);
      const tl = trailerLength(last4);
      const header = tl <= size ? decodePackTrailer(readFully(fd, size - tl, tl), size) : { ok: false as const, reason: 'header length beyond the file' };
      if (!header.ok) {
        problems.push({ type: 'pack-corrupt', code: 'RST_ERR_PACK_CORRUPT', pack: packId, message: `pack ${shortId(packId)}: ${header.reason}` });
        continue;
      }
      const inHeader = new Map(header.entries.map((e) => [e.id, e]));
      for (const e of byPack.get(packId) ?? []) {
        const h = inHeader.get(e.id);
        if (h === undefined || h.offset !== e.offset || h.storedLength !== e.storedLength || h.rawLength !== e.rawLength || h.compression !== e.compression || h.type !== e.type) {
          problems.push({ type: 'pack-corrupt', code: 'RST_ERR_PACK_CORRUPT', pack: packId, message: `pack ${shortId(packId)}: header disagrees with the index about blob ${shortId(e.id)}` });
        }
      }
      if (opts.readData === true) {
        const all = readFully(fd, 0, size);
        bytesRead += all.length;
        progress.update(bytesRead);
        if (sha256Hex(all) !== packId) problems.push({ type: 'pack-corrupt', code: 'RST_ERR_PACK_CORRUPT', pack: packId, message: `pack ${shortId(packId)} does not hash to its name` });
        for (const e of header.entries) {
          let ok: boolean;
          try {
            ok = sha256Hex(decodeBlob(all.subarray(e.offset, e.offset + e.storedLength), e.compression, e.rawLength)) === e.id;
          } catch {
            ok = false;
          }
          if (!ok) problems.push({ type: 'blob-corrupt', code: 'RST_ERR_BLOB_CORRUPT', blob: e.id, pack: packId, message: `blob ${shortId(e.id)} in pack ${shortId(packId)} does not match its hash` });
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  if (opts.readData === true) progress.done();

  // 3. Leftovers.
  for (const f of repo.listPackFiles()) {
    if (!isId(f.id) || index.packSize(f.id) === undefined) hints.push({ type: 'pack-unindexed', file: f.path });
  }
  const pending = new Set(hints.flatMap((h) => (h.type === 'snapshot-pending' ? [h.file] : [])));
  for (const f of repo.listTmpFiles()) if (!pending.has(f)) hints.push({ type: 'tmp-leftover', file: f });

  return { ok: problems.length === 0, snapshots: ids.length, packs, blobs: index.blobCount(), bytesRead, problems, hints };
}

