/**
 * Index byte layout (FORMAT.md, "Index format"), pure encode/decode:
 *
 *   Index      = "KIX1" || Compression(u8) || Body'      Body' = zstd(Body) when Compression = 1
 *   Body       = PackCount(u32) || PackRecord*
 *   PackRecord = PackID(32) || PackSize(u64) || BlobCount(u32) || BlobRecord*
 *   BlobRecord = Type(u8) Compression(u8) Reserved(u16) Offset(u32) StoredLength(u32) RawLength(u32) ID(32)
 */
import { COMPRESSION_ZSTD, isCompression, zstdCompress, zstdDecompress } from './blob-codec.js';
import { ID_BYTES, type Id } from './ids.js';
import { isBlobType, type LocatedEntry } from './pack.js';

export const INDEX_MAGIC = 'KIX1';
const BLOB_RECORD_BYTES = 16 + ID_BYTES;

export interface IndexedPack {
  readonly packId: Id;
  readonly packSize: number;
  readonly blobs: readonly LocatedEntry[];
}

/** Body (uncompressed) of an index file. */
export function encodeIndexBody(packs: readonly IndexedPack[]): Buffer {
  let size = 4;
  for (const p of packs) size += ID_BYTES + 12 + p.blobs.length * BLOB_RECORD_BYTES;
  const body = Buffer.alloc(size);
  body.writeUInt32LE(packs.length, 0);
  let o = 4;
  for (const p of packs) {
    body.write(p.packId, o, 'hex');
    body.writeBigUInt64LE(BigInt(p.packSize), o + 32);
    body.writeUInt32LE(p.blobs.length, o + 40);
    o += 44;
    for (const e of p.blobs) {
      body.writeUInt8(e.type, o);
      body.writeUInt8(e.compression, o + 1);
      body.writeUInt16LE(0, o + 2);
      body.writeUInt32LE(e.offset, o + 4);
      body.writeUInt32LE(e.storedLength, o + 8);
      body.writeUInt32LE(e.rawLength, o + 12);
      body.write(e.id, o + 16, 'hex');
      o += BLOB_RECORD_BYTES;
    }
  }
  return body;
}

export function encodeIndex(packs: readonly IndexedPack[]): Buffer {
  const head = Buffer.alloc(5);
  head.write(INDEX_MAGIC, 0, 'ascii');
  head.writeUInt8(COMPRESSION_ZSTD, 4);
  return Buffer.concat([head, zstdCompress(encodeIndexBody(packs))]);
}

export type IndexDecodeResult =
  | { readonly ok: true; readonly packs: readonly IndexedPack[] }
  | { readonly ok: false; readonly reason: string };

export function decodeIndex(file: Uint8Array): IndexDecodeResult {
  const f = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (f.length < 5 || f.toString('ascii', 0, 4) !== INDEX_MAGIC) return { ok: false, reason: 'bad magic' };
  const compression = f.readUInt8(4);
  if (!isCompression(compression)) return { ok: false, reason: `unknown compression ${compression}` };
  let body: Buffer;
  try {
    body = compression === COMPRESSION_ZSTD ? zstdDecompress(f.subarray(5)) : f.subarray(5);
  } catch {
    return { ok: false, reason: 'body does not decompress' };
  }
  if (body.length < 4) return { ok: false, reason: 'truncated' };
  const count = body.readUInt32LE(0);
  const packs: IndexedPack[] = [];
  let o = 4;
  for (let i = 0; i < count; i++) {
    if (o + 44 > body.length) return { ok: false, reason: `truncated in pack record ${i}` };
    const packId = body.toString('hex', o, o + 32);
    const packSize = Number(body.readBigUInt64LE(o + 32));
    const n = body.readUInt32LE(o + 40);
    o += 44;
    if (o + n * BLOB_RECORD_BYTES > body.length) return { ok: false, reason: `truncated in pack record ${i}` };
    const blobs: LocatedEntry[] = [];
    for (let j = 0; j < n; j++) {
      const type = body.readUInt8(o);
      const comp = body.readUInt8(o + 1);
      if (!isBlobType(type) || !isCompression(comp)) return { ok: false, reason: `bad blob record ${j} of pack ${i}` };
      blobs.push({
        type,
        compression: comp,
        offset: body.readUInt32LE(o + 4),
        storedLength: body.readUInt32LE(o + 8),
        rawLength: body.readUInt32LE(o + 12),
        id: body.toString('hex', o + 16, o + 16 + ID_BYTES),
      });
      o += BLOB_RECORD_BYTES;
    }
    packs.push({ packId, packSize, blobs });
  }
  if (o !== body.length) return { ok: false, reason: 'trailing bytes' };
  return { ok: true, packs };
}
