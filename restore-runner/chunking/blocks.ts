/**
 * Fixed-size blocks for images (FORMAT.md, "Chunking" and "Image block map"): reads a file or
 * block device sequentially in large reads and hands out `blockSize` blocks, flagging all-zero
 * blocks as holes.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const READ_BYTES = 8 * 1024 * 1024;

export function isZero(block: Buffer, zero: Buffer): boolean {
  return block.length === zero.length ? block.equals(zero) : block.equals(zero.subarray(0, block.length));
}

/** Calls `onBlock(index, block, isHole)` for every block; returns the byte size read. */
export function readBlocks(path: string, blockSize: number, onBlock: (index: number, block: Buffer, hole: boolean) => void, onProgress?: (bytes: number) => void): number {
  const zero = Buffer.alloc(blockSize);
  const cap = Math.max(blockSize, Math.floor(READ_BYTES / blockSize) * blockSize);
  const buf = Buffer.allocUnsafe(cap);
  const fd = openSync(path, 'r');
  let total = 0;
  let index = 0;
  try {
    for (;;) {
      let len = 0;
      while (len < cap) {
        const n = readSync(fd, buf, len, cap - len, null);
        if (n === 0) break;
        len += n;
      }
      for (let o = 0; o < len; o += blockSize) {
        const block = buf.subarray(o, Math.min(len, o + blockSize));
        onBlock(index++, block, isZero(block, zero));
      }
      total += len;
      onProgress?.(total);
      if (len < cap) break;
    }
  } finally {
    closeSync(fd);
  }
  return total;
}
