/**
 * `snapshot export`: a snapshot as a plain image (`raw`) or a tar stream (`tar`) that older
 * systems read (the path from 4.2-era snapshots to 3.2-era tools). The snapshot and the packs it
 * needs are proven first, exactly as for a restore; then bytes go to a file descriptor.
 */
import { fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { rstError } from '../errors.js';
import { blockCount, isHole } from '../format/v1/blockmap.js';
import { ID_BYTES, type Id, shortId } from '../format/v1/ids.js';
import { ROOT_PATH } from '../format/v1/manifest.js';
import { readBlockMap, readManifest } from '../snapshot/content.js';
import { preverifyBlobs, type RestoreContext } from '../restore/prepare.js';
import { padding, TAR_END, tarHeaders } from './tar.js';

export type ExportFormat = 'raw' | 'tar';

function writeAll(fd: number, buf: Uint8Array, position: number | null): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position === null ? null : position + off);
}

/** Write the export to `fd`; returns the bytes of the stream. */
export function exportSnapshot(ctx: RestoreContext, format: ExportFormat, fd: number): number {
  const p = ctx.record.payload;
  if (format === 'raw') {
    if (p.kind !== 'image') throw rstError('RST_ERR_KIND_MISMATCH', shortId(ctx.record.id), p.kind, 'export it with --format tar');
    const map = readBlockMap(ctx.record, ctx.reader);
    const { size, blockSize } = p.image;
    const blocks = blockCount(size, blockSize);
    const ids = new Set<Id>();
    for (let b = 0; b < blocks; b++) if (!isHole(map, b)) ids.add(map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES));
    preverifyBlobs(ctx, ids);
    const seekable = fstatSync(fd).isFile();
    const zero = Buffer.alloc(blockSize);
    for (let b = 0; b < blocks; b++) {
      const len = Math.min(blockSize, size - b * blockSize);
      if (isHole(map, b)) {
        if (!seekable) writeAll(fd, zero.subarray(0, len), null);
        continue;
      }
      const data = ctx.reader.read(map.toString('hex', b * ID_BYTES, (b + 1) * ID_BYTES), `block ${b}`);
      writeAll(fd, data, seekable ? b * blockSize : null);
    }
    if (seekable) ftruncateSync(fd, size);
    return size;
  }
  const nodes = readManifest(ctx.record, ctx.reader);
  const ids = new Set<Id>();
  for (const n of nodes) if (n.type === 'file') for (const c of n.chunks) ids.add(c);
  preverifyBlobs(ctx, ids);
  let total = 0;
  const out = (b: Uint8Array): void => {
    writeAll(fd, b, null);
    total += b.length;
  };
  for (const n of nodes) {
    if (n.path === ROOT_PATH) continue; // the archive's root is wherever it is extracted
    const size = n.type === 'file' ? n.size : 0;
    for (const h of tarHeaders(n, size)) out(h);
    if (n.type === 'file') {
      for (const c of n.chunks) out(ctx.reader.read(c, `file ${n.path}`));
      out(padding(size));
    }
  }
  out(TAR_END);
  return total;
}
