/** Messages between pool.ts and worker.ts, and the dispatch both use. */
import { compressRanges, decompressInto, hashFile, scanBlocks, verifyFileRange, type ScanResult } from './ops.js';

export type Op =
  | { readonly kind: 'scan'; readonly data: Uint8Array; readonly blockSize: number }
  | { readonly kind: 'compress'; readonly data: Uint8Array; readonly ranges: Uint32Array; readonly out: Uint8Array }
  | { readonly kind: 'decompress'; readonly input: Uint8Array; readonly desc: Uint32Array; readonly out: Uint8Array; readonly ids: Uint8Array }
  | { readonly kind: 'hash-file'; readonly path: string }
  | { readonly kind: 'verify-file'; readonly path: string; readonly first: number; readonly count: number; readonly blockSize: number; readonly size: number; readonly map: Uint8Array };


export type OpResult = ScanResult | Uint32Array | number | { readonly hex: string; readonly size: number };

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
      const r = compressRanges(op.data, op.ranges, op.out);
      return { result: r, transfer: [] };
    }
    case 'decompress':
      return { result: decompressInto(op.input, op.desc, op.out, op.ids), transfer: [] };
    case 'hash-file':
      return { result: hashFile(op.path), transfer: [] };
    case 'verify-file':
      return { result: verifyFileRange(op.path, op.first, op.count, op.blockSize, op.size, op.map), transfer: [] };
  }
}

