/**
 * Fixed-size blocks for images (FORMAT.md, "Chunking" and "Image block map"): a block whose bytes
 * are all zero is a hole. (Batches of blocks are hashed in parallel/ops.ts `scanBlocks`.)
 */

export function isZero(block: Buffer, zero: Buffer): boolean {
  return block.length === zero.length ? block.equals(zero) : block.equals(zero.subarray(0, block.length));
}

