/**
 * Restore of an image snapshot into a file or block device.
 *
 * full  — into a file: write `T.kintsugi-partial` (holes left unwritten: sparse), read it back
 *         and compare every block with the map, then rename over `T`. Into a device: every block
 *         written in place (holes as zeros).
 * delta — read the target block by block, hash it, and write only the blocks that differ
 *         (a hole differs when the target block is not all zero); then read back what was written.
 * Both keep `T.kintsugi-journal` so that an interrupted restore resumes where it was fsynced;
 * while the journal exists the target is incomplete.
 */
import { closeSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errnoOf, messageOf, rstError } from '../errors.js';
import { isZero } from '../chunking/blocks.js';
import { blockCount, isHole } from '../format/v1/blockmap.js';
import { ID_BYTES, type Id, sha256, shortId } from '../format/v1/ids.js';
import { fsyncDir } from '../repository/files.js';
import { createProgress, SILENT_PROGRESS } from '../progress.js';
import { readBlockMap } from '../snapshot/content.js';
import { type Journal, readJournal, removeJournal, writeJournal } from './journal.js';
import { preverifyBlobs, type RestoreContext } from './prepare.js';
import type { RestoreReport } from './report.js';

export interface ImageRestoreOptions {
  readonly target: string;
  readonly mode: 'auto' | 'full' | 'delta';
  readonly dryRun?: boolean;
  readonly progress?: boolean;
  /** Bytes between journal checkpoints (fsync + journal write). */
  readonly checkpointBytes?: number;
}

const READ_BATCH = 8 * 1024 * 1024;

function writeAll(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
}

function readAt(fd: number, buf: Buffer, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function targetKind(path: string): 'missing' | 'file' | 'device' | 'other' {
  try {
    const st = statSync(path);
    if (st.isFile()) return 'file';
    if (st.isBlockDevice() || st.isCharacterDevice()) return 'device';
    return 'other';
  } catch (err: unknown) {
    if (errnoOf(err) === 'ENOENT') return 'missing';
    throw rstError('RST_ERR_TARGET_INVALID', path, messageOf(err));
  }
}

export function restoreImage(ctx: RestoreContext, opts: ImageRestoreOptions): RestoreReport {
  const { record, reader } = ctx;
  const p = record.payload;
  if (p.kind !== 'image') throw rstError('RST_ERR_KIND_MISMATCH', shortId(record.id), p.kind, 'restore it into a directory');
  const { size, blockSize } = p.image;
  const blocks = blockCount(size, blockSize);
  const target = resolve(opts.target);
  const journalPath = `${target}.kintsugi-journal`;
  const partialPath = `${target}.kintsugi-partial`;
  const dryRun = opts.dryRun ?? false;
  const checkpoint = Math.max(blockSize, Math.floor((opts.checkpointBytes ?? 64 * 1024 * 1024) / blockSize) * blockSize);
  const kind = targetKind(target);
  if (kind === 'other') throw rstError('RST_ERR_TARGET_INVALID', target, 'not a regular file or a device');
  try {
    if (!statSync(dirname(target)).isDirectory()) throw new Error('parent is not a directory');
  } catch (err: unknown) {
    throw rstError('RST_ERR_TARGET_INVALID', target, messageOf(err));
  }

  // 1. Decide the mode.
  const journal = readJournal(journalPath);
  const resuming = journal !== undefined && journal.snapshot === record.id && journal.mode !== 'files' ? journal : undefined;
  let mode: 'full' | 'delta';
  let reason: string;
  if (opts.mode !== 'auto') {
    mode = opts.mode;
    reason = `--mode ${opts.mode} was asked for`;
    if (mode === 'delta' && kind === 'missing') throw rstError('RST_ERR_TARGET_INVALID', target, 'it does not exist; a delta restore needs an earlier state (use --mode full)');
  } else if (resuming !== undefined) {
    mode = resuming.mode === 'delta' ? 'delta' : 'full';
    reason = `resuming the interrupted ${mode} restore recorded in ${journalPath}`;
  } else if (kind === 'device') {
    mode = 'delta';
    reason = 'the target is a device: only the blocks that differ are written';
  } else if (kind === 'file' && statSync(target).size > 0) {
    mode = 'delta';
    reason = `the target holds ${statSync(target).size} bytes, an earlier state: only the blocks that differ are written`;
  } else {
    mode = 'full';
    reason = 'the target does not exist or is empty';
  }
  // A journal of another snapshot or mode is stale for this run: it starts over.
  const resumeFrom = resuming !== undefined && resuming.mode === mode && (mode === 'delta' || targetKind(partialPath) === 'file' || kind === 'device') ? resuming : undefined;

  // 2. Prove the block map (read above, hashed) and every pack the blocks live in.
  const map = readBlockMap(record, reader);
  const ids = new Set<Id>();
  let dataBytes = 0;
  for (let b = 0; b < blocks; b++) {
    if (isHole(map, b)) continue;
    ids.add(map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES));
    dataBytes += Math.min(blockSize, size - b * blockSize);
  }
  const progress = opts.progress === false ? SILENT_PROGRESS : createProgress(dryRun ? 'plan' : `restore (${mode})`, size);
  const packsVerified = preverifyBlobs(ctx, ids);

  const idAt = (b: number): Id => map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES);
  const blockLen = (b: number): number => Math.min(blockSize, size - b * blockSize);
  const zero = Buffer.alloc(blockSize);

  let bytesWritten = resumeFrom?.bytesWritten ?? 0;
  let blocksWritten = 0;
  const start = resumeFrom?.nextBlock ?? 0;
  const written: number[] = [];

  if (mode === 'full' && kind !== 'device') {
    if (dryRun) {
      progress.done();
      return report(dataBytes, blocks - countHoles(map, blocks), 0);
    }
    const fd = openSync(partialPath, resumeFrom !== undefined ? 'r+' : 'w+', 0o600);
    try {
      ftruncateSync(fd, size);
      if (resumeFrom === undefined) writeJournal(journalPath, { snapshot: record.id, mode, nextBlock: 0, bytesWritten: 0 });
      const stage = Buffer.allocUnsafe(1024 * 1024);
      let stageLen = 0;
      let stagePos = 0;
      const flushStage = (): void => {
        if (stageLen > 0) writeAll(fd, stage.subarray(0, stageLen), stagePos);
        stageLen = 0;
      };
      let sinceCheckpoint = 0;
      for (let b = start; b < blocks; b++) {
        if (!isHole(map, b)) {
          const data = reader.read(idAt(b), `block ${b}`, false);
          const pos = b * blockSize;
          if (stageLen > 0 && (stagePos + stageLen !== pos || stageLen + data.length > stage.length)) flushStage();
          if (stageLen === 0) stagePos = pos;
          data.copy(stage, stageLen);
          stageLen += data.length;
          bytesWritten += data.length;
          blocksWritten++;
        }
        sinceCheckpoint += blockSize;
        if (sinceCheckpoint >= checkpoint) {
          flushStage();
          fdatasyncSync(fd);
          writeJournal(journalPath, { snapshot: record.id, mode, nextBlock: b + 1, bytesWritten });
          sinceCheckpoint = 0;
          progress.update((b + 1) * blockSize);
        }
      }
      flushStage();
      fsyncSync(fd);
      verifyAfter(fd, map, blocks, blockSize, size, undefined, target);
    } finally {
      closeSync(fd);
    }
    renameSync(partialPath, target);
    fsyncDir(dirname(target));
    removeJournal(journalPath);
    progress.done();
    return report(bytesWritten, blocksWritten, 0, true);
  }

  // Delta (or full into a device: every block compared, so only what differs is written).
  const fd = openSync(target, dryRun ? 'r' : 'r+');
  try {
    const st = fstatSync(fd);
    if (st.isFile()) {
      if (!dryRun && st.size !== size) ftruncateSync(fd, size);
    } else {
      const devSize = deviceSize(fd);
      if (devSize < size) throw rstError('RST_ERR_TARGET_INVALID', target, `device holds ${devSize} bytes, the image needs ${size}`);
    }
    if (!dryRun && resumeFrom === undefined) writeJournal(journalPath, { snapshot: record.id, mode, nextBlock: 0, bytesWritten: 0 });
    const batchBlocks = Math.max(1, Math.floor(READ_BATCH / blockSize));
    const buf = Buffer.allocUnsafe(batchBlocks * blockSize);
    let sinceCheckpoint = 0;
    const oldSize = st.isFile() ? st.size : size;
    for (let b0 = start; b0 < blocks; b0 += batchBlocks) {
      const n = Math.min(batchBlocks, blocks - b0);
      const want = Math.min(n * blockSize, size - b0 * blockSize);
      const got = dryRun && b0 * blockSize >= oldSize ? 0 : readAt(fd, buf, want, b0 * blockSize);
      if (got < want) buf.fill(0, got, want);
      for (let k = 0; k < n; k++) {
        const b = b0 + k;
        const len = blockLen(b);
        const have = buf.subarray(k * blockSize, k * blockSize + len);
        let data: Buffer | undefined;
        if (isHole(map, b)) {
          if (!isZero(have, zero)) data = zero.subarray(0, len);
        } else if (!sha256(have).equals(map.subarray(b * ID_BYTES, (b + 1) * ID_BYTES))) {
          data = dryRun ? zero.subarray(0, len) : reader.read(idAt(b), `block ${b}`, false);
        }
        if (data === undefined) continue;
        if (!dryRun) writeAll(fd, data, b * blockSize);
        written.push(b);
        bytesWritten += len;
        blocksWritten++;
      }
      sinceCheckpoint += n * blockSize;
      if (!dryRun && sinceCheckpoint >= checkpoint) {
        fdatasyncSync(fd);
        writeJournal(journalPath, { snapshot: record.id, mode, nextBlock: b0 + n, bytesWritten });
        sinceCheckpoint = 0;
      }
      progress.update((b0 + n) * blockSize);
    }
    if (!dryRun) {
      fsyncSync(fd);
      // After a resume, blocks written by the interrupted run are read back too.
      verifyAfter(fd, map, blocks, blockSize, size, resumeFrom === undefined ? written : undefined, target);
    }
  } finally {
    closeSync(fd);
  }
  if (!dryRun) removeJournal(journalPath);
  progress.done();
  return report(bytesWritten, blocksWritten, 0, !dryRun);

  function report(bw: number, blw: number, removed: number, verified = false): RestoreReport {
    return {
      snapshot: record.id,
      kind: 'image',
      target,
      mode,
      reason,
      dryRun,
      bytesTotal: dataBytes,
      bytesWritten: bw,
      blocksWritten: blw,
      blocksTotal: blocks,
      filesWritten: 0,
      filesUnchanged: 0,
      entriesRemoved: removed,
      resumedFrom: resumeFrom?.nextBlock ?? null,
      packsVerified,
      verifiedAfterWrite: verified,
    };
  }
}

function countHoles(map: Buffer, blocks: number): number {
  let n = 0;
  for (let b = 0; b < blocks; b++) if (isHole(map, b)) n++;
  return n;
}

function deviceSize(fd: number): number {
  // Node has no BLKGETSIZE64: find the end by reading at doubling offsets, then bisecting.
  const one = Buffer.alloc(1);
  const readable = (pos: number): boolean => readSync(fd, one, 0, 1, pos) === 1;
  let lo = 0;
  let hi = 512;
  while (readable(hi - 1)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (readable(mid - 1)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Read back blocks (all, or those listed) and compare with the map. */
function verifyAfter(fd: number, map: Buffer, blocks: number, blockSize: number, size: number, only: readonly number[] | undefined, target: string): void {
  const zero = Buffer.alloc(blockSize);
  const buf = Buffer.allocUnsafe(blockSize);
  const check = (b: number): void => {
    const len = Math.min(blockSize, size - b * blockSize);
    const got = readAt(fd, buf, len, b * blockSize);
    const have = buf.subarray(0, got);
    const ok = got === len && (isHole(map, b) ? isZero(have, zero) : sha256(have).equals(map.subarray(b * ID_BYTES, (b + 1) * ID_BYTES)));
    if (!ok) throw rstError('RST_ERR_RESTORE_MISMATCH', target, 'snapshot', `block ${b} reads back different`);
  };
  if (only !== undefined) {
    for (const b of only) check(b);
    return;
  }
  // Whole image: large reads.
  const batch = Buffer.allocUnsafe(READ_BATCH - (READ_BATCH % blockSize));
  const per = batch.length / blockSize;
  for (let b0 = 0; b0 < blocks; b0 += per) {
    const n = Math.min(per, blocks - b0);
    const want = Math.min(n * blockSize, size - b0 * blockSize);
    const got = readAt(fd, batch, want, b0 * blockSize);
    if (got !== want) throw rstError('RST_ERR_RESTORE_MISMATCH', target, 'snapshot', `short read at block ${b0}`);
    for (let k = 0; k < n; k++) {
      const b = b0 + k;
      const have = batch.subarray(k * blockSize, Math.min(want, (k + 1) * blockSize));
      const ok = isHole(map, b) ? isZero(have, zero) : sha256(have).equals(map.subarray(b * ID_BYTES, (b + 1) * ID_BYTES));
      if (!ok) throw rstError('RST_ERR_RESTORE_MISMATCH', target, 'snapshot', `block ${b} reads back different`);
    }
  }
}
