/** Blob compression (FORMAT.md): zstd level 1 when smaller, raw otherwise. */
import { Compressor, Decompressor } from 'zstd-napi';

export const COMPRESSION_NONE = 0;
export const COMPRESSION_ZSTD = 1;
export type Compression = typeof COMPRESSION_NONE | typeof COMPRESSION_ZSTD;

let compressor: Compressor | undefined;
let decompressor: Decompressor | undefined;

export function zstdCompress(plain: Uint8Array): Buffer {
  if (compressor === undefined) {
    compressor = new Compressor();
    compressor.setParameters({ compressionLevel: 1 });
  }
  return compressor.compress(plain);
}

export function zstdDecompress(stored: Uint8Array): Buffer {
  decompressor ??= new Decompressor();
  return decompressor.decompress(stored);
}

export function encodeBlob(plain: Uint8Array): { readonly stored: Uint8Array; readonly compression: Compression } {
  const z = zstdCompress(plain);
  if (z.length < plain.length) return { stored: z, compression: COMPRESSION_ZSTD };
  return { stored: plain, compression: COMPRESSION_NONE };
}

export function decodeBlob(stored: Uint8Array, compression: Compression, rawLength: number): Buffer {
  const plain = compression === COMPRESSION_ZSTD ? zstdDecompress(stored) : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (plain.length !== rawLength) throw new Error(`length ${plain.length}, expected ${rawLength}`);
  return plain;
}

export function isCompression(v: number): v is Compression {
  return v === COMPRESSION_NONE || v === COMPRESSION_ZSTD;
}
