/**
 * Snapshot of a block image (a file or block device): fixed blocks, all-zero blocks recorded as
 * holes, every other block stored once (deduplicated against everything in the repository), the
 * block map stored as meta blobs, then the index, then the signed snapshot.
 *
 * Pipeline: the main thread reads 8 MiB batches into shared memory; workers hash them
 * (parallel/pool.ts); the main thread decides, in block order, which blocks are new; workers
 * compress those; the main thread appends them to packs. A second snapshot of a mostly unchanged
 * image costs a read and a hash per block, nothing more.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { errnoOf, messageOf, rstError } from '../errors.js';
import { blockCount, MAP_PIECE_ENTRIES } from '../format/v1/blockmap.js';
import { ID_BYTES } from '../format/v1/ids.js';
import { BLOB_DATA, BLOB_META } from '../format/v1/pack.js';
import { Pool, sharedBuffer } from '../parallel/pool.js';
import { compressOutputBytes, type ScanResult } from '../parallel/ops.js';
import { isCompression } from '../format/v1/blob-codec.js';
import { PackWriter } from '../repository/pack-writer.js';
import { BlobReader } from '../repository/blob-reader.js';
import { readBlockMap } from './content.js';
import type { Repository } from '../repository/repository.js';
import { createProgress, SILENT_PROGRESS } from '../progress.js';
import { commitSnapshot } from './commit.js';
import { buildPayload, type CreateOptions, type CreateResult, findParent } from './create-options.js';

const BATCH_BYTES = 8 * 1024 * 1024;
const SLOTS = 3;

interface Batch {
  readonly slot: number;
  readonly len: number;
  readonly scan: Promise<ScanResult>;
}

export async function createImageSnapshot(repo: Repository, opts: CreateOptions): Promise<CreateResult> {
  repo.assertWritable();
  const source = resolve(opts.source);
  const blockSize = opts.blockSize ?? repo.config.blockSize;
  if (blockSize % 512 !== 0 || blockSize <= 0) throw rstError('RST_ERR_USAGE', `block size ${blockSize} is not a positive multiple of 512`);
  let sizeHint: number | undefined;
  let fd: number;
  try {
    const st = statSync(source);
    if (st.isDirectory()) throw rstError('RST_ERR_SOURCE_UNREADABLE', source, 'a directory (use --kind tree)');
    sizeHint = st.isFile() ? st.size : undefined;
    fd = openSync(source, 'r');
  } catch (err: unknown) {
    if (errnoOf(err) !== undefined) throw rstError('RST_ERR_SOURCE_UNREADABLE', source, messageOf(err));
    throw err;
  }
  const pool = Pool.create();
  try {
    const { index } = repo.loadIndex();
    const parent = findParent(repo, opts, 'image', source);
    // The parent's block map: a block whose ID is the parent's at the same position is known to
    // be stored (the parent references it), so neither its ID is looked up nor its data kept.
    let parentMap: Buffer | undefined;
    if (parent !== null && parent.payload.kind === 'image' && parent.payload.image.blockSize === blockSize) {
      const reader = new BlobReader(repo, index);
      try {
        parentMap = readBlockMap(parent, reader);
      } finally {
        reader.close();
      }
    }
    const writer = new PackWriter(repo, index);
    const progress = opts.progress === false ? SILENT_PROGRESS : createProgress('snapshot', sizeHint);
    const batchBytes = Math.max(blockSize, Math.floor(BATCH_BYTES / blockSize) * blockSize);
    const slots = Array.from({ length: SLOTS }, () => sharedBuffer(batchBytes));
    const outSlots = Array.from({ length: SLOTS }, () => sharedBuffer(compressOutputBytes(batchBytes / blockSize, blockSize)));
    const free: number[] = slots.map((_, i) => i);
    const queue: Batch[] = [];
    const outstanding = new Set<Promise<void>>();
    const claimed = new Set<string>();
    const pieceIds: string[] = [];
    let piece = Buffer.alloc(MAP_PIECE_ENTRIES * ID_BYTES);
    let inPiece = 0;
    let holes = 0;
    let size = 0;
    let eof = false;
    const flushPiece = (): void => {
      pieceIds.push(writer.addPlain(BLOB_META, piece.subarray(0, inPiece * ID_BYTES)));
      piece = Buffer.alloc(MAP_PIECE_ENTRIES * ID_BYTES);
      inPiece = 0;
    };
    const readBatch = (buf: Buffer): number => {
      let len = 0;
      try {
        while (len < buf.length) {
          const n = readSync(fd, buf, len, buf.length - len, null);
          if (n === 0) break;
          len += n;
        }
      } catch (err: unknown) {
        throw rstError('RST_ERR_SOURCE_UNREADABLE', source, messageOf(err));
      }
      return len;
    };

    for (;;) {
      while (!eof && free.length > 0) {
        const slot = free.shift() ?? 0;
        const buf = slots[slot] ?? Buffer.alloc(0);
        const len = readBatch(buf);
        if (len < buf.length) eof = true;
        if (len === 0) {
          free.push(slot);
          break;
        }
        queue.push({ slot, len, scan: pool.scan(buf.subarray(0, len), blockSize) });
      }
      const b = queue.shift();
      if (b === undefined) {
        if (outstanding.size === 0) break;
        await Promise.race(outstanding);
        continue;
      }
      const r = await b.scan;
      const data = (slots[b.slot] ?? Buffer.alloc(0)).subarray(0, b.len);
      const ranges: number[] = [];
      const newIds: string[] = [];
      const n = Math.ceil(b.len / blockSize);
      const ids = Buffer.from(r.ids.buffer, r.ids.byteOffset, r.ids.byteLength);
      const base = size / blockSize;
      for (let i = 0; i < n; i++) {
        if (r.holes[i] === 1) {
          holes++;
        } else {
          ids.copy(piece, inPiece * ID_BYTES, i * ID_BYTES, (i + 1) * ID_BYTES);
          const g = base + i;
          const sameAsParent = parentMap !== undefined && (g + 1) * ID_BYTES <= parentMap.length && ids.compare(parentMap, g * ID_BYTES, (g + 1) * ID_BYTES, i * ID_BYTES, (i + 1) * ID_BYTES) === 0;
          if (sameAsParent) {
            inPiece++;
            if (inPiece === MAP_PIECE_ENTRIES) flushPiece();
            continue;
          }
          const id = ids.toString('hex', i * ID_BYTES, (i + 1) * ID_BYTES);
          if (!writer.has(id) && !claimed.has(id)) {
            claimed.add(id);
            ranges.push(i * blockSize, Math.min(blockSize, b.len - i * blockSize));
            newIds.push(id);
          }
        }
        inPiece++;
        if (inPiece === MAP_PIECE_ENTRIES) flushPiece();
      }
      size += b.len;
      progress.update(size);
      if (ranges.length === 0) {
        free.push(b.slot);
        continue;
      }
      const out = outSlots[b.slot] ?? Buffer.alloc(0);
      const job: Promise<void> = pool.compress(data, Uint32Array.from(ranges), out).then((res) => {
        const count = res.length / 3;
        const end = count === 0 ? 0 : (res[3 * (count - 1)] ?? 0) + (res[3 * (count - 1) + 1] ?? 0);
        // addStored copies each blob into its pack before the slot is reused.
        const region = out.subarray(0, end);
        for (let k = 0; k < count; k++) {
          const off = res[3 * k] ?? 0;
          const compression = res[3 * k + 2] ?? 0;
          const id = newIds[k] ?? '';
          if (!isCompression(compression)) throw new Error('bad compression flag from a worker');
          writer.addStored(BLOB_DATA, id, region.subarray(off, off + (res[3 * k + 1] ?? 0)), compression, ranges[2 * k + 1] ?? 0);
          claimed.delete(id);
        }
        free.push(b.slot);
        outstanding.delete(job);
      });
      outstanding.add(job);
    }
    if (inPiece > 0) flushPiece();
    const stats = writer.finish();
    progress.done();
    const payload = buildPayload(repo, opts, source, parent, { kind: 'image', image: { size, blockSize, map: pieceIds } }, {
      files: 0, dirs: 0, bytes: size, filesUnchanged: 0, skipped: 0, blocks: blockCount(size, blockSize), holes, blobsAdded: stats.blobsAdded, bytesAdded: stats.bytesAdded,
    });
    const id = commitSnapshot(repo, payload, opts.signingKey);
    return { id, payload };
  } finally {
    closeSync(fd);
    await pool.close();
  }
}
