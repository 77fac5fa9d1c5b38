/** Reading what a snapshot points at: the tree manifest or the image block map, verified. */
import { rstError } from '../errors.js';
import { blockCount, isHole, pieceCount, pieceLength } from '../format/v1/blockmap.js';
import { ID_BYTES, type Id, shortId } from '../format/v1/ids.js';
import { decodeManifestLines, type ManifestLines, type TreeNode } from '../format/v1/manifest.js';
import type { BlobReader } from '../repository/blob-reader.js';
import type { SnapshotRecord } from './load.js';

export function readManifest(record: SnapshotRecord, reader: BlobReader): readonly TreeNode[] {
  return readManifestWithHeader(record, reader).nodes;
}

/** The manifest's nodes, its version (1: written by a format version 1 repository) and each node's line. */
export function readManifestWithHeader(
  record: SnapshotRecord,
  reader: BlobReader,
): { readonly nodes: readonly TreeNode[]; readonly version: 1 | 2; readonly lines: ManifestLines } {
  const p = record.payload;
  if (p.kind !== 'tree') throw rstError('RST_ERR_KIND_MISMATCH', shortId(record.id), p.kind, 'it has no file tree');
  const parts = p.tree.map((id) => reader.read(id, `manifest of snapshot ${shortId(record.id)}`));
  const r = decodeManifestLines(Buffer.concat(parts));
  if (!r.ok) throw rstError('RST_ERR_MANIFEST_MALFORMED', shortId(record.id), r.reason);
  return r;
}

/** The block map of an image snapshot: 32 bytes per block, zero = hole. */
export function readBlockMap(record: SnapshotRecord, reader: BlobReader): Buffer {
  const p = record.payload;
  if (p.kind !== 'image') throw rstError('RST_ERR_KIND_MISMATCH', shortId(record.id), p.kind, 'it has no block map');
  const blocks = blockCount(p.image.size, p.image.blockSize);
  if (p.image.map.length !== pieceCount(blocks)) {
    throw rstError('RST_ERR_MANIFEST_MALFORMED', shortId(record.id), `block map has ${p.image.map.length} pieces, expected ${pieceCount(blocks)}`);
  }
  const parts = p.image.map.map((id, i) => {
    const b = reader.read(id, `block map of snapshot ${shortId(record.id)}`);
    if (b.length !== pieceLength(blocks, i)) throw rstError('RST_ERR_MANIFEST_MALFORMED', shortId(record.id), `block map piece ${i} has the wrong length`);
    return b;
  });
  return Buffer.concat(parts);
}

/** Every data blob the snapshot references: file chunks of a tree, non-hole blocks of an image. */
export function dataBlobsOf(record: SnapshotRecord, reader: BlobReader): Set<Id> {
  const p = record.payload;
  const data = new Set<Id>();
  if (p.kind === 'tree') {
    for (const n of readManifest(record, reader)) if (n.type === 'file') for (const c of n.chunks) data.add(c);
  } else {
    const map = readBlockMap(record, reader);
    const blocks = blockCount(p.image.size, p.image.blockSize);
    for (let b = 0; b < blocks; b++) if (!isHole(map, b)) data.add(map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES));
  }
  return data;
}
