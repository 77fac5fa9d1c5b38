/**
 * The CPU-heavy steps of image snapshots and restores, as pure functions over byte ranges, so
 * that they run the same in a worker thread (worker.ts) or inline (pool.ts falls back to inline
 * when no compiled worker script exists, e.g. under a TypeScript test runner).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { decodeBlob, encodeBlob, type Compression } from '../format/v1/blob-codec.js';
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

export interface Compressed {
  readonly stored: Uint8Array;
  readonly compression: Compression;
}

/** Compress the listed ranges of `data` ([offset, length] pairs). */
export function compressRanges(data: Uint8Array, ranges: readonly (readonly [number, number])[]): Compressed[] {
  return ranges.map(([o, len]) => {
    const { stored, compression } = encodeBlob(data.subarray(o, o + len));
    return { stored: stored.buffer === data.buffer ? new Uint8Array(stored) : stored, compression };
  });
}

export interface StoredBlob {
  readonly stored: Uint8Array;
  readonly compression: Compression;
  readonly rawLength: number;
  /** Where the plaintext goes in `out`. */
  readonly outOffset: number;
}

/**
 * Decompress blobs into `out` and check each against its ID (32 bytes each in `ids`). Returns the
 * index of the first blob that does not match, or -1.
 */
export function decompressInto(blobs: readonly StoredBlob[], ids: Uint8Array, out: Uint8Array): number {
  const idBuf = Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength);
  for (let i = 0; i < blobs.length; i++) {
    const b = blobs[i];
    if (b === undefined) continue;
    let plain: Buffer;
    try {
      plain = decodeBlob(b.stored, b.compression, b.rawLength);
    } catch {
      return i;
    }
    if (!sha256(plain).equals(idBuf.subarray(i * ID_BYTES, (i + 1) * ID_BYTES))) return i;
    out.set(plain, b.outOffset);
  }
  return -1;
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
