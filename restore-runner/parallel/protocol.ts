/** Messages between pool.ts and worker.ts, and the dispatch both use. */
import type { Compression } from '../format/v1/blob-codec.js';
import { compressRanges, decompressInto, scanBlocks, verifyFileRange, type Compressed, type ScanResult, type StoredBlob } from './ops.js';

export type Op =
  | { readonly kind: 'scan'; readonly data: Uint8Array; readonly blockSize: number }
  | { readonly kind: 'compress'; readonly data: Uint8Array; readonly ranges: readonly (readonly [number, number])[] }
  | { readonly kind: 'decompress'; readonly blobs: readonly StoredBlob[]; readonly ids: Uint8Array; readonly out: Uint8Array }
  | { readonly kind: 'verify-file'; readonly path: string; readonly first: number; readonly count: number; readonly blockSize: number; readonly size: number; readonly map: Uint8Array };


export type OpResult = ScanResult | Compressed[] | number;

export interface Request {
  readonly id: number;
  readonly op: Op;
}

export function isRequest(v: unknown): v is Request {
  return typeof v === 'object' && v !== null && 'id' in v && 'op' in v;
}

export function runOp(op: Op): { result: OpResult; transfer: ArrayBuffer[] } {
  switch (op.kind) {
    case 'scan': {
      const r = scanBlocks(op.data, op.blockSize);
      return { result: r, transfer: [] };
    }
    case 'compress': {
      const r = compressRanges(op.data, op.ranges);
      return { result: r, transfer: [] };
    }
    case 'decompress':
      return { result: decompressInto(op.blobs, op.ids, op.out), transfer: [] };
    case 'verify-file':
      return { result: verifyFileRange(op.path, op.first, op.count, op.blockSize, op.size, op.map), transfer: [] };
  }
}

export type { Compression };
