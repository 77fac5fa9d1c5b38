/**
 * Snapshot of a block image (a file or block device): fixed blocks, all-zero blocks recorded as
 * holes, every other block stored once (deduplicated against everything in the repository), the
 * block map stored as meta blobs, then the index, then the signed snapshot.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { errnoOf, messageOf, rstError } from '../errors.js';
import { readBlocks } from '../chunking/blocks.js';
import { blockCount, MAP_PIECE_ENTRIES } from '../format/v1/blockmap.js';
import { ID_BYTES, sha256 } from '../format/v1/ids.js';
import { BLOB_DATA, BLOB_META } from '../format/v1/pack.js';
import type { SnapshotPayload } from '../format/v1/snapshot.js';
import { PackWriter } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { createProgress, SILENT_PROGRESS } from '../progress.js';
import { commitSnapshot } from './commit.js';
import { type CreateOptions, type CreateResult, findParent } from './create-options.js';

export function createImageSnapshot(repo: Repository, opts: CreateOptions): CreateResult {
  const source = resolve(opts.source);
  const blockSize = opts.blockSize ?? repo.config.blockSize;
  if (blockSize % 512 !== 0 || blockSize <= 0) throw rstError('RST_ERR_USAGE', `block size ${blockSize} is not a positive multiple of 512`);
  let sizeHint: number | undefined;
  try {
    const st = statSync(source);
    if (st.isDirectory()) throw rstError('RST_ERR_SOURCE_UNREADABLE', source, 'a directory (use --kind tree)');
    sizeHint = st.isFile() ? st.size : undefined;
  } catch (err: unknown) {
    if (errnoOf(err) !== undefined) throw rstError('RST_ERR_SOURCE_UNREADABLE', source, messageOf(err));
    throw err;
  }
  const { index } = repo.loadIndex();
  const parent = findParent(repo, opts, 'image', source);
  const writer = new PackWriter(repo, index);
  const progress = opts.progress === false ? SILENT_PROGRESS : createProgress('snapshot', sizeHint);
  const pieceIds: string[] = [];
  let piece = Buffer.alloc(MAP_PIECE_ENTRIES * ID_BYTES);
  let inPiece = 0;
  let holes = 0;
  const flushPiece = (): void => {
    pieceIds.push(writer.addPlain(BLOB_META, piece.subarray(0, inPiece * ID_BYTES)));
    piece = Buffer.alloc(MAP_PIECE_ENTRIES * ID_BYTES);
    inPiece = 0;
  };
  let size: number;
  try {
    size = readBlocks(
      source,
      blockSize,
      (_i, block, hole) => {
        if (hole) {
          holes++;
        } else {
          const idBytes = sha256(block);
          idBytes.copy(piece, inPiece * ID_BYTES);
          writer.add(BLOB_DATA, idBytes.toString('hex'), block);
        }
        inPiece++;
        if (inPiece === MAP_PIECE_ENTRIES) flushPiece();
      },
      (b) => progress.update(b),
    );
  } catch (err: unknown) {
    if (errnoOf(err) !== undefined) throw rstError('RST_ERR_SOURCE_UNREADABLE', source, messageOf(err));
    throw err;
  }
  if (inPiece > 0) flushPiece();
  const stats = writer.finish();
  progress.done();
  const payload: SnapshotPayload = {
    version: 1,
    repository: repo.config.id,
    kind: 'image',
    time: (opts.time ?? new Date()).toISOString(),
    host: opts.host,
    instance: opts.instance ?? null,
    os: opts.os ?? null,
    parent: parent?.id ?? null,
    tags: [...(opts.tags ?? [])],
    source,
    tree: null,
    image: { size, blockSize, map: pieceIds },
    summary: { files: 0, dirs: 0, bytes: size, filesUnchanged: 0, skipped: 0, blocks: blockCount(size, blockSize), holes, blobsAdded: stats.blobsAdded, bytesAdded: stats.bytesAdded },
  };
  const id = commitSnapshot(repo, payload, opts.signingKey);
  return { id, payload };
}
