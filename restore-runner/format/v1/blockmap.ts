/**
 * Image block map (FORMAT.md, "Image block map"): 32-byte IDs, one per block, all-zero = hole;
 * split into meta blobs of MAP_PIECE_ENTRIES entries.
 */
import { ID_BYTES } from './ids.js';

export const MAP_PIECE_ENTRIES = 4096;

export function blockCount(size: number, blockSize: number): number {
  return Math.ceil(size / blockSize);
}

export function pieceCount(blocks: number): number {
  return Math.ceil(blocks / MAP_PIECE_ENTRIES);
}

/** Expected byte length of map piece `i` for an image of `blocks` blocks. */
export function pieceLength(blocks: number, i: number): number {
  return Math.min(MAP_PIECE_ENTRIES, blocks - i * MAP_PIECE_ENTRIES) * ID_BYTES;
}

export function isHole(map: Uint8Array, entry: number): boolean {
  const o = entry * ID_BYTES;
  for (let k = 0; k < ID_BYTES; k++) if (map[o + k] !== 0) return false;
  return true;
}
