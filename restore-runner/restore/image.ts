/**
 * Restore of an image snapshot into a file or block device.
 *
 * full  — into a file: write `T.kintsugi-partial` (holes left unwritten: sparse), read it back
 *         and compare every block with the map, then rename over `T`.
 * delta — read the target in batches and hash every block (workers), writing nothing; prove the
 *         packs of the blocks that differ (a hole differs when the target block is not all
 *         zero); write only those; read back what was written. A device is always restored this
 *         way (it cannot be renamed).
 * Both keep `T.kintsugi-journal`: an interrupted restore resumes from the last checkpoint
 * (target fsynced, then journal advanced); while the journal exists the target is incomplete.
 * Decompression, hashing and read-back run on worker threads (parallel/pool.ts).
 */
import { closeSync, fdatasync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errnoOf, messageOf, rstError } from '../errors.js';
import { isZero } from '../chunking/blocks.js';
import { blockCount, isHole } from '../format/v1/blockmap.js';
import { ID_BYTES, type Id, sha256, shortId } from '../format/v1/ids.js';
import { Pool, sharedBuffer } from '../parallel/pool.js';
import { fsyncDir } from '../repository/files.js';
import { readBlockMap } from '../snapshot/content.js';
import { cancelled, ControlPoint, restoreBars, type RestoreControl } from './control.js';
import { readJournal, removeJournal, writeJournal } from './journal.js';
import { preverifyBlobsParallel, type RestoreContext } from './prepare.js';
import type { RestoreReport } from './report.js';

export interface ImageRestoreOptions {
  readonly target: string;
  readonly mode: 'auto' | 'full' | 'delta';
  readonly dryRun?: boolean;
  readonly progress?: boolean;
  /** Bytes between journal checkpoints (fsync + journal write). */
  readonly checkpointBytes?: number;
  readonly control?: RestoreControl;
}

const BATCH_BYTES = 8 * 1024 * 1024;
const IN_FLIGHT = 3;

function writeAll(fd: number, buf: Uint8Array, position: number): void {
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

export async function restoreImage(ctx: RestoreContext, opts: ImageRestoreOptions): Promise<RestoreReport> {
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
  const ctl = new ControlPoint(opts.control, opts.progress === false ? null : restoreBars(() => mode));
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
  if (kind === 'device' && mode === 'full') reason += ' (a device is written in place: blocks that already match are skipped)';
  // A journal of another snapshot or mode is stale for this run: it starts over.
  const resumeFrom = resuming !== undefined && resuming.mode === mode && (mode === 'delta' || kind === 'device' || targetKind(partialPath) === 'file') ? resuming : undefined;

  // 2. Prove the block map (hashed when read) and every pack the blocks live in.
  const map = readBlockMap(record, reader);
  const ids = new Set<Id>();
  let dataBytes = 0;
  let dataBlocks = 0;
  for (let b = 0; b < blocks; b++) {
    if (isHole(map, b)) continue;
    ids.add(map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES));
    dataBytes += Math.min(blockSize, size - b * blockSize);
    dataBlocks++;
  }
  const pool = Pool.create();
  // A full restore needs every pack: prove them now. A delta restore first finds the blocks that
  // differ (reading only) and proves the packs of those, before it writes anything.
  let packsVerified = 0;
  if (mode === 'full' && kind !== 'device') {
    try {
      packsVerified = await preverifyBlobsParallel(ctx, ids, pool);
    } catch (err: unknown) {
      await pool.close();
      throw err;
    }
  }

  const idAt = (b: number): Id => map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES);
  const blockLen = (b: number): number => Math.min(blockSize, size - b * blockSize);
  const batchBlocks = Math.max(1, Math.floor(BATCH_BYTES / blockSize));
  const start = resumeFrom?.nextBlock ?? 0;
  let bytesWritten = resumeFrom?.bytesWritten ?? 0;
  let blocksWritten = 0;
  const report = (verified: boolean): RestoreReport => ({
    snapshot: record.id, kind: 'image', target, mode, reason, dryRun, bytesTotal: dataBytes, bytesWritten, blocksWritten, blocksTotal: blocks,
    filesWritten: 0, filesUnchanged: 0, entriesRemoved: 0, resumedFrom: resumeFrom?.nextBlock ?? null, packsVerified, verifiedAfterWrite: verified,
  });
  if (dryRun && mode === 'full' && kind !== 'device') {
    bytesWritten = dataBytes;
    blocksWritten = dataBlocks;
    await pool.close();
    ctl.report({ phase: 'done', bytesDone: 0, bytesTotal: dataBytes });
    return report(false);
  }

  const checkpointer = new Checkpointer((nextBlock, written) => writeJournal(journalPath, { snapshot: record.id, mode, nextBlock, bytesWritten: written }));
  try {
    if (mode === 'full' && kind !== 'device') {
      const fd = openSync(partialPath, resumeFrom !== undefined ? 'r+' : 'w+', 0o600);
      try {
        ftruncateSync(fd, size);
        if (resumeFrom === undefined) writeJournal(journalPath, { snapshot: record.id, mode, nextBlock: 0, bytesWritten: 0 });
        ctl.report({ phase: 'write', bytesDone: start * blockSize, bytesTotal: size });
        await fullPass(fd, start);
        await checkpointer.settle();
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      // Every batch was read back as it was written; after a resume, the earlier part is checked too.
      if (resumeFrom !== undefined) {
        ctl.report({ phase: 'verify', bytesDone: 0, bytesTotal: size });
        await verifyWhole(partialPath);
      }
      renameSync(partialPath, target);
      fsyncDir(dirname(target));
      removeJournal(journalPath);
      ctl.report({ phase: 'done', bytesDone: size, bytesTotal: size });
      return report(true);
    }

    const fd = openSync(target, dryRun ? 'r' : 'r+');
    const written: number[] = [];
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) {
        const devSize = deviceSize(fd);
        if (devSize < size) throw rstError('RST_ERR_TARGET_INVALID', target, `device holds ${devSize} bytes, the image needs ${size}`);
      }
      const differ = await scanPass(fd, start, st.isFile() ? st.size : size);
      const needed = new Set<Id>();
      for (const b of differ) if (!isHole(map, b)) needed.add(idAt(b));
      packsVerified = await preverifyBlobsParallel(ctx, needed, pool);
      for (const b of differ) bytesWritten += blockLen(b);
      blocksWritten = differ.length;
      if (!dryRun) {
        if (resumeFrom === undefined) writeJournal(journalPath, { snapshot: record.id, mode, nextBlock: start, bytesWritten: 0 });
        if (st.isFile() && st.size !== size) ftruncateSync(fd, size);
        await writePass(fd, differ, resumeFrom?.bytesWritten ?? 0, bytesWritten - (resumeFrom?.bytesWritten ?? 0));
        written.push(...differ);
        await checkpointer.settle();
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
    if (!dryRun) {
      ctl.report({ phase: 'verify', bytesDone: 0, bytesTotal: resumeFrom === undefined ? bytesWritten : size });
      // After a resume, blocks written by the interrupted run are read back too.
      if (resumeFrom === undefined) verifyBlocks(target, written);
      else await verifyWhole(target);
      removeJournal(journalPath);
    }
    ctl.report({ phase: 'done', bytesDone: bytesWritten, bytesTotal: bytesWritten });
    return report(!dryRun);
  } finally {
    await pool.close();
  }

  /** Full: read stored blobs (adjacent ones in one read), decompress and check in workers, write runs. */
  async function fullPass(fd: number, from: number): Promise<void> {
    const inflight: { b0: number; n: number; input: Buffer; out: Buffer; done: Promise<number>; present: Uint8Array; blobBlocks: number[] }[] = [];
    const spare: { input: Buffer; out: Buffer }[] = [];
    let next = from;
    let sinceCheckpoint = 0;
    const prepare = (): void => {
      const b0 = next;
      const n = Math.min(batchBlocks, blocks - b0);
      next += n;
      const bufs = spare.pop() ?? { input: sharedBuffer(batchBlocks * blockSize), out: sharedBuffer(batchBlocks * blockSize) };
      const present = new Uint8Array(n);
      const desc: number[] = [];
      const blobBlocks: number[] = [];
      const idBytes: Buffer[] = [];
      let inCursor = 0;
      let run: { packId: Id; start: number; end: number; at: number } | undefined;
      const flushRun = (): void => {
        if (run !== undefined) reader.readStoredInto(run.packId, run.start, run.end - run.start, bufs.input, run.at);
        run = undefined;
      };
      for (let k = 0; k < n; k++) {
        const b = b0 + k;
        if (isHole(map, b)) continue;
        const loc = ctx.index.get(idAt(b));
        if (loc === undefined) throw rstError('RST_ERR_BLOB_MISSING', shortId(idAt(b)), `block ${b}`);
        const e = loc.entry;
        if (e.storedLength > blockSize || e.rawLength !== blockLen(b)) throw rstError('RST_ERR_BLOB_CORRUPT', shortId(idAt(b)), shortId(loc.packId));
        present[k] = 1;
        blobBlocks.push(b);
        idBytes.push(map.subarray(b * ID_BYTES, (b + 1) * ID_BYTES));
        // Adjacent blobs of one pack are read with one call.
        if (run !== undefined && (run.packId !== loc.packId || run.end !== e.offset)) flushRun();
        run ??= { packId: loc.packId, start: e.offset, end: e.offset, at: inCursor };
        run.end = e.offset + e.storedLength;
        desc.push(inCursor, e.storedLength, k * blockSize, e.rawLength, e.compression);
        inCursor += e.storedLength;
      }
      flushRun();
      inflight.push({ b0, n, input: bufs.input, out: bufs.out, present, blobBlocks, done: pool.decompress(bufs.input, Uint32Array.from(desc), bufs.out, Buffer.concat(idBytes)) });
    };
    while (next < blocks || inflight.length > 0) {
      if (await ctl.stopHere()) {
        // Batches being decompressed are dropped; what was written up to here is made durable
        // and recorded, so that the next run resumes at the first block not written.
        await Promise.allSettled(inflight.map((b) => b.done));
        const at = inflight[0]?.b0 ?? next;
        await checkpointer.mark(fd, at, bytesWritten);
        await checkpointer.settle();
        throw cancelled(target, `${target} is as it was; ${partialPath} holds blocks 0 to ${at - 1} of ${blocks} of snapshot ${shortId(record.id)}, durable, and ${journalPath} resumes at block ${at}`);
      }
      while (next < blocks && inflight.length < IN_FLIGHT) prepare();
      const batch = inflight.shift();
      if (batch === undefined) break;
      const bad = await batch.done;
      if (bad >= 0) {
        const b = batch.blobBlocks[bad] ?? batch.b0;
        throw rstError('RST_ERR_BLOB_CORRUPT', shortId(idAt(b)), `pack of block ${b}`);
      }
      // Write runs of data blocks; holes stay unwritten (sparse).
      let k = 0;
      while (k < batch.n) {
        if (batch.present[k] !== 1) {
          k++;
          continue;
        }
        let e = k;
        while (e < batch.n && batch.present[e] === 1) e++;
        const from0 = k * blockSize;
        const to = Math.min(e * blockSize, size - batch.b0 * blockSize);
        writeAll(fd, batch.out.subarray(from0, to), (batch.b0 + k) * blockSize);
        readBack(fd, batch.out.subarray(from0, to), (batch.b0 + k) * blockSize, partialPath);
        bytesWritten += to - from0;
        blocksWritten += e - k;
        k = e;
      }
      spare.push({ input: batch.input, out: batch.out });
      sinceCheckpoint += batch.n * blockSize;
      if (sinceCheckpoint >= checkpoint) {
        await checkpointer.mark(fd, batch.b0 + batch.n, bytesWritten);
        sinceCheckpoint = 0;
      }
      ctl.report({ phase: 'write', bytesDone: Math.min(size, (batch.b0 + batch.n) * blockSize), bytesTotal: size });
    }
  }

  /** Delta, phase 1: hash what the target holds (workers); the blocks that differ, ascending. Reads only. */
  async function scanPass(fd: number, from: number, oldSize: number): Promise<number[]> {
    const differ: number[] = [];
    const inflight: { b0: number; n: number; buf: Buffer; scan: Promise<{ ids: Uint8Array; holes: Uint8Array }> }[] = [];
    const spare: Buffer[] = [];
    let next = from;
    while (next < blocks || inflight.length > 0) {
      if (await ctl.stopHere()) {
        await Promise.allSettled(inflight.map((b) => b.scan));
        throw cancelled(target, `nothing was written by this run (it was comparing the target with the snapshot)${resumeFrom !== undefined ? `; ${journalPath} still resumes at block ${resumeFrom.nextBlock}` : ''}`);
      }
      while (next < blocks && inflight.length < IN_FLIGHT) {
        const b0 = next;
        const n = Math.min(batchBlocks, blocks - b0);
        next += n;
        const buf = spare.pop() ?? sharedBuffer(batchBlocks * blockSize);
        const want = Math.min(n * blockSize, size - b0 * blockSize);
        const got = b0 * blockSize >= oldSize ? 0 : readAt(fd, buf, Math.min(want, oldSize - b0 * blockSize), b0 * blockSize);
        if (got < want) buf.fill(0, got, want);
        inflight.push({ b0, n, buf, scan: pool.scan(buf.subarray(0, want), blockSize) });
      }
      const batch = inflight.shift();
      if (batch === undefined) break;
      const r = await batch.scan;
      const have = Buffer.from(r.ids.buffer, r.ids.byteOffset, r.ids.byteLength);
      for (let k = 0; k < batch.n; k++) {
        const b = batch.b0 + k;
        const same = isHole(map, b) ? r.holes[k] === 1 : r.holes[k] !== 1 && have.subarray(k * ID_BYTES, (k + 1) * ID_BYTES).equals(map.subarray(b * ID_BYTES, (b + 1) * ID_BYTES));
        if (!same) differ.push(b);
      }
      spare.push(batch.buf);
      ctl.report({ phase: 'plan', bytesDone: Math.min(size, (batch.b0 + batch.n) * blockSize), bytesTotal: size });
    }
    return differ;
  }

  /** Delta, phase 2: write the blocks that differ (each blob re-hashed as read), with checkpoints. */
  async function writePass(fd: number, differ: readonly number[], before: number, toWrite: number): Promise<void> {
    const zero = Buffer.alloc(blockSize);
    let done = before;
    let sinceCheckpoint = 0;
    let sinceCheck = 0;
    ctl.report({ phase: 'write', bytesDone: 0, bytesTotal: toWrite });
    for (const b of differ) {
      // Between batches of written blocks: make them durable, record the next block, stop.
      if (sinceCheck >= BATCH_BYTES && (await ctl.stopHere())) {
        await checkpointer.mark(fd, b, done);
        await checkpointer.settle();
        throw cancelled(target, `it is a mix, not yet a consistent image: the differing blocks before block ${b} are as in snapshot ${shortId(record.id)}, the rest as before; ${journalPath} resumes at block ${b}`);
      }
      if (sinceCheck >= BATCH_BYTES) sinceCheck = 0;
      const len = blockLen(b);
      sinceCheck += len;
      writeAll(fd, isHole(map, b) ? zero.subarray(0, len) : reader.read(idAt(b), `block ${b}`), b * blockSize);
      done += len;
      sinceCheckpoint += len;
      if (sinceCheckpoint >= checkpoint) {
        await checkpointer.mark(fd, b + 1, done);
        sinceCheckpoint = 0;
      }
      ctl.report({ phase: 'write', bytesDone: done - before, bytesTotal: toWrite });
    }
  }

  /** Read the whole file back in parallel ranges and compare with the map. */
  async function verifyWhole(path: string): Promise<void> {
    const parts = 8;
    const per = Math.max(1, Math.ceil(blocks / parts));
    const jobs: Promise<number>[] = [];
    for (let first = 0; first < blocks; first += per) {
      const count = Math.min(per, blocks - first);
      jobs.push(pool.verifyFile(path, first, count, blockSize, size, new Uint8Array(map.subarray(first * ID_BYTES, (first + count) * ID_BYTES))));
    }
    for (const bad of await Promise.all(jobs)) {
      if (bad >= 0) throw rstError('RST_ERR_RESTORE_MISMATCH', target, shortId(record.id), `block ${bad} reads back different`);
    }
  }

  /** Read back the listed blocks and compare with the map. */
  function verifyBlocks(path: string, only: readonly number[]): void {
    const zero = Buffer.alloc(blockSize);
    const buf = Buffer.allocUnsafe(blockSize);
    const fd = openSync(path, 'r');
    try {
      for (const b of only) {
        const len = blockLen(b);
        const got = readAt(fd, buf, len, b * blockSize);
        const have = buf.subarray(0, got);
        const ok = got === len && (isHole(map, b) ? isZero(have, zero) : sha256(have).equals(map.subarray(b * ID_BYTES, (b + 1) * ID_BYTES)));
        if (!ok) throw rstError('RST_ERR_RESTORE_MISMATCH', target, shortId(record.id), `block ${b} reads back different`);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Journal checkpoints without stalling the pipeline: fdatasync runs on libuv's thread pool while
 * the restore goes on; the journal advances only once the data before the mark is durable.
 */
class Checkpointer {
  private pending: Promise<Error | undefined> | undefined;

  constructor(private readonly advance: (nextBlock: number, bytesWritten: number) => void) {}

  async mark(fd: number, nextBlock: number, bytesWritten: number): Promise<void> {
    await this.settle();
    this.pending = new Promise<Error | undefined>((res) => {
      fdatasync(fd, (err) => {
        if (err !== null) {
          res(err);
          return;
        }
        try {
          this.advance(nextBlock, bytesWritten);
          res(undefined);
        } catch (e: unknown) {
          res(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
  }

  /** Wait for the last checkpoint; throws what it failed with. */
  async settle(): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    const err = p === undefined ? undefined : await p;
    if (err !== undefined) throw err;
  }
}

let readBackBuffer: Buffer | undefined;

/** Read back what was just written at `position` and compare it byte for byte. */
function readBack(fd: number, expected: Uint8Array, position: number, target: string): void {
  if (readBackBuffer === undefined || readBackBuffer.length < expected.length) readBackBuffer = Buffer.allocUnsafe(Math.max(expected.length, BATCH_BYTES));
  const got = readAt(fd, readBackBuffer, expected.length, position);
  if (got !== expected.length || readBackBuffer.compare(expected, 0, expected.length, 0, got) !== 0) {
    throw rstError('RST_ERR_RESTORE_MISMATCH', target, 'snapshot', `bytes at offset ${position} read back different`);
  }
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
