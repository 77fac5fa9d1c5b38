/**
 * Pack byte layout (FORMAT.md, "Pack format"), pure encode/decode:
 *
 *   Pack    = Blob_1 || … || Blob_n || Header || HeaderLength(u32 LE)
 *   Header  = "KPK1" || Count(u32 LE) || Entry_1 … Entry_n
 *   Entry   = Type(u8) Compression(u8) Reserved(u16) StoredLength(u32) RawLength(u32) ID(32)
 */
import { type Compression, isCompression } from './blob-codec.js';
import { ID_BYTES, type Id } from './ids.js';

export const PACK_MAGIC = 'KPK1';
export const PACK_ENTRY_BYTES = 12 + ID_BYTES;
export const BLOB_DATA = 0;
export const BLOB_META = 1;
export type BlobType = typeof BLOB_DATA | typeof BLOB_META;

export interface PackEntry {
  readonly type: BlobType;
  readonly compression: Compression;
  readonly storedLength: number;
  readonly rawLength: number;
  readonly id: Id;
}

export interface LocatedEntry extends PackEntry {
  readonly offset: number;
}

export function isBlobType(v: number): v is BlobType {
  return v === BLOB_DATA || v === BLOB_META;
}

/** Header || HeaderLength, to be appended after the blobs. */
export function encodePackTrailer(entries: readonly PackEntry[]): Buffer {
  const headerLength = 8 + PACK_ENTRY_BYTES * entries.length;
  const out = Buffer.alloc(headerLength + 4);
  out.write(PACK_MAGIC, 0, 'ascii');
  out.writeUInt32LE(entries.length, 4);
  let p = 8;
  for (const e of entries) {
    out.writeUInt8(e.type, p);
    out.writeUInt8(e.compression, p + 1);
    out.writeUInt16LE(0, p + 2);
    out.writeUInt32LE(e.storedLength, p + 4);
    out.writeUInt32LE(e.rawLength, p + 8);
    out.write(e.id, p + 12, 'hex');
    p += PACK_ENTRY_BYTES;
  }
  out.writeUInt32LE(headerLength, headerLength);
  return out;
}

export type PackDecodeResult =
  | { readonly ok: true; readonly entries: readonly LocatedEntry[]; readonly headerLength: number }
  | { readonly ok: false; readonly reason: string };

/** The length of the trailer to read, from the last 4 bytes of a pack. */
export function trailerLength(last4: Uint8Array): number {
  return Buffer.from(last4.buffer, last4.byteOffset, 4).readUInt32LE(0) + 4;
}

/** Decode a pack's header given the whole trailer (Header || HeaderLength) and the pack size. */
export function decodePackTrailer(trailer: Uint8Array, packSize: number): PackDecodeResult {
  const b = Buffer.from(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  if (b.length < 12) return { ok: false, reason: 'too short for a header' };
  const headerLength = b.readUInt32LE(b.length - 4);
  if (headerLength + 4 !== b.length) return { ok: false, reason: 'header length does not match' };
  if (b.toString('ascii', 0, 4) !== PACK_MAGIC) return { ok: false, reason: 'bad header magic' };
  const count = b.readUInt32LE(4);
  if (8 + count * PACK_ENTRY_BYTES !== headerLength) return { ok: false, reason: 'entry count does not match header length' };
  const entries: LocatedEntry[] = [];
  let offset = 0;
  let p = 8;
  for (let i = 0; i < count; i++) {
    const type = b.readUInt8(p);
    const compression = b.readUInt8(p + 1);
    if (!isBlobType(type)) return { ok: false, reason: `entry ${i}: unknown blob type ${type}` };
    if (!isCompression(compression)) return { ok: false, reason: `entry ${i}: unknown compression ${compression}` };
    const storedLength = b.readUInt32LE(p + 4);
    const rawLength = b.readUInt32LE(p + 8);
    const id = b.toString('hex', p + 12, p + 12 + ID_BYTES);
    entries.push({ type, compression, storedLength, rawLength, id, offset });
    offset += storedLength;
    p += PACK_ENTRY_BYTES;
  }
  if (offset + headerLength + 4 !== packSize) return { ok: false, reason: `blob lengths (${offset}) do not add up to the pack size ${packSize}` };
  return { ok: true, entries, headerLength };
}
