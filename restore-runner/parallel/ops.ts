/**
 * The CPU-heavy steps of image snapshots and restores, as pure functions over byte ranges, so
 * that they run the same in a worker thread (worker.ts) or inline (pool.ts falls back to inline
 * when no compiled worker script exists, e.g. under a TypeScript test runner).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { COMPRESSION_NONE, compressBound, encodeBlobInto, zstdDecompressInto } from '../format/v1/blob-codec.js';
import { ID_BYTES, sha256 } from '../format/v1/ids.js';

export interface ScanResult {
  /** 32 bytes per block; zero for holes. */
  readonly ids: Uint8Array;
  /** 1 for an all-zero block. */
  readonly holes: Uint8Array;
}

/** Hash every block of `data`, flagging all-zero blocks as holes. */
export function scanBlocks(data: Uint8Array, blockSize: number): ScanResult {
  const n = Math.ceil(data.length / blockSize);
  const ids = new Uint8Array(n * ID_BYTES);
  const holes = new Uint8Array(n);
  const zero = Buffer.alloc(blockSize);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < n; i++) {
    const block = buf.subarray(i * blockSize, Math.min(buf.length, (i + 1) * blockSize));
    if (block.equals(zero.subarray(0, block.length))) {
      holes[i] = 1;
      continue;
    }
    ids.set(sha256(block), i * ID_BYTES);
  }
  return { ids, holes };
}

/**
 * Compress the ranges of `data` given as [offset, length] pairs into `out`, one after another;
 * returns [outOffset, storedLength, compression] per range. A block that does not shrink is
 * stored raw. `out` must hold the sum of compressBound(length) of the ranges.
 */
export function compressRanges(data: Uint8Array, ranges: Uint32Array, out: Uint8Array): Uint32Array {
  const n = ranges.length / 2;
  const result = new Uint32Array(n * 3);
  let cursor = 0;
  for (let i = 0; i < n; i++) {
    const off = ranges[2 * i] ?? 0;
    const len = ranges[2 * i + 1] ?? 0;
    const src = data.subarray(off, off + len);
    const bound = compressBound(len);
    if (cursor + bound > out.length) throw new Error('compression output buffer too small');
    const { compression, length } = encodeBlobInto(out.subarray(cursor, cursor + bound), src);
    if (compression === COMPRESSION_NONE) out.set(src, cursor);
    result[3 * i] = cursor;
    result[3 * i + 1] = length;
    result[3 * i + 2] = compression;
    cursor += length;
  }
  return result;
}

/** Bytes `compressRanges` may need for blocks of these lengths. */
export function compressOutputBytes(blocks: number, blockSize: number): number {
  return blocks * compressBound(blockSize);
}

/**
 * Decompress blobs from `input` into `out`: `desc` holds [inOffset, storedLength, outOffset,
 * rawLength, compression] per blob, `ids` the expected SHA-256 of each plaintext (32 bytes per
 * blob). Returns the index of the first blob that does not decode to its length and hash, or -1.
 */
export function decompressInto(input: Uint8Array, desc: Uint32Array, out: Uint8Array, ids: Uint8Array): number {
  const n = desc.length / 5;
  const outBuf = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  const idBuf = Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength);
  for (let i = 0; i < n; i++) {
    const inOff = desc[5 * i] ?? 0;
    const inLen = desc[5 * i + 1] ?? 0;
    const outOff = desc[5 * i + 2] ?? 0;
    const raw = desc[5 * i + 3] ?? 0;
    const src = input.subarray(inOff, inOff + inLen);
    if ((desc[5 * i + 4] ?? 0) === COMPRESSION_NONE) {
      if (inLen !== raw) return i;
      out.set(src, outOff);
    } else {
      try {
        if (zstdDecompressInto(out.subarray(outOff, outOff + raw), src) !== raw) return i;
      } catch {
        return i;
      }
    }
    if (!sha256(outBuf.subarray(outOff, outOff + raw)).equals(idBuf.subarray(i * ID_BYTES, (i + 1) * ID_BYTES))) return i;
  }
  return -1;
}

/** SHA-256 (hex) and size of a whole file, read in large pieces. */
export function hashFile(path: string | Buffer): { readonly hex: string; readonly size: number } {
  const h = createHash('sha256');
  if (readBuffer === undefined || readBuffer.length < 4 * 1024 * 1024) readBuffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  const fd = openSync(path, 'r');
  let size = 0;
  try {
    for (;;) {
      const n = readSync(fd, readBuffer, 0, readBuffer.length, null);
      if (n === 0) break;
      h.update(readBuffer.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return { hex: h.digest('hex'), size };
}

let readBuffer: Buffer | undefined;

/**
 * Read blocks [first, first + count) of the file at `path` back and compare them with `map`
 * (32 bytes per block of the range, zero = hole). Returns the first block that differs, or -1.
 */
export function verifyFileRange(path: string, first: number, count: number, blockSize: number, size: number, map: Uint8Array): number {
  const fd = openSync(path, 'r');
  const batchBlocks = Math.max(1, Math.floor((8 * 1024 * 1024) / blockSize));
  if (readBuffer === undefined || readBuffer.length < batchBlocks * blockSize) readBuffer = Buffer.allocUnsafe(batchBlocks * blockSize);
  const buf = readBuffer;
  const zero = Buffer.alloc(blockSize);
  const mapBuf = Buffer.from(map.buffer, map.byteOffset, map.byteLength);
  try {
    for (let k0 = 0; k0 < count; k0 += batchBlocks) {
      const n = Math.min(batchBlocks, count - k0);
      const start = (first + k0) * blockSize;
      const want = Math.min(n * blockSize, size - start);
      let got = 0;
      while (got < want) {
        const r = readSync(fd, buf, got, want - got, start + got);
        if (r === 0) break;
        got += r;
      }
      if (got !== want) return first + k0;
      for (let k = 0; k < n; k++) {
        const block = buf.subarray(k * blockSize, Math.min(want, (k + 1) * blockSize));
        const expect = mapBuf.subarray((k0 + k) * ID_BYTES, (k0 + k + 1) * ID_BYTES);
        const hole = expect.every((x) => x === 0);
        const ok = hole ? block.equals(zero.subarray(0, block.length)) : sha256(block).equals(expect);
        if (!ok) return first + k0 + k;
      }
    }
  } finally {
    closeSync(fd);
  }
  return -1;
}
