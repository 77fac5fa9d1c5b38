/**
 * Reads blobs back and verifies each against its ID on every read (FORMAT.md, "Invariants").
 * Keeps a few pack files open for sequential restores.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { messageOf, rstError } from '../errors.js';
import { decodeBlob } from '../format/v1/blob-codec.js';
import { type Id, sha256Hex, shortId } from '../format/v1/ids.js';
import type { MasterIndex } from './master-index.js';
import { readFully, type Repository } from './repository.js';

const MAX_OPEN = 16;

/**
 * Chunks kept outside the repository (the prefetch cache, restore-runner/prefetch/): `get`
 * returns a chunk only after proving it against its id.
 */
export interface LocalChunks {
  holds(id: Id): boolean;
  get(id: Id): Buffer | undefined;
  /** Told of each read these chunks did not serve (read from the repository): the hit rate's misses. */
  missed?(id: Id): void;
}

export class BlobReader {
  private readonly fds = new Map<Id, number>();

  constructor(
    private readonly repo: Repository,
    private readonly index: MasterIndex,
    private readonly local?: LocalChunks,
  ) {}

  /** Whether `read(id)` will be served from local chunks, reading no pack (restores skip proving its pack). */
  holdsLocally(id: Id): boolean {
    return this.local?.holds(id) ?? false;
  }

  private fd(packId: Id): number {
    const have = this.fds.get(packId);
    if (have !== undefined) {
      this.fds.delete(packId);
      this.fds.set(packId, have);
      return have;
    }
    if (this.fds.size >= MAX_OPEN) {
      const oldest = this.fds.entries().next().value;
      if (oldest !== undefined) {
        closeSync(oldest[1]);
        this.fds.delete(oldest[0]);
      }
    }
    let fd: number;
    try {
      fd = openSync(this.repo.packPath(packId), 'r');
    } catch (err: unknown) {
      throw rstError('RST_ERR_PACK_CORRUPT', shortId(packId), `cannot open: ${messageOf(err)}`);
    }
    this.fds.set(packId, fd);
    return fd;
  }

  /**
   * The plaintext of blob `id`, verified against its ID unless `verify` is false (only when the
   * caller proved the pack's hash and re-verifies what it writes); `neededBy` names the asker.
   */
  read(id: Id, neededBy: string, verify = true): Buffer {
    if (this.local?.holds(id) === true) {
      const hit = this.local.get(id);
      if (hit !== undefined) return hit;
      // A local chunk that went bad: its pack was not proven by the caller, so verify this read.
      verify = true;
    }
    this.local?.missed?.(id);
    const loc = this.index.get(id);
    if (loc === undefined) throw rstError('RST_ERR_BLOB_MISSING', shortId(id), neededBy);
    const { entry, packId } = loc;
    const stored = readFully(this.fd(packId), entry.offset, entry.storedLength);
    if (stored.length !== entry.storedLength) throw rstError('RST_ERR_PACK_CORRUPT', shortId(packId), `truncated: blob ${shortId(id)} cut short`);
    let plain: Buffer;
    try {
      plain = decodeBlob(stored, entry.compression, entry.rawLength);
    } catch {
      throw rstError('RST_ERR_BLOB_CORRUPT', shortId(id), shortId(packId));
    }
    if (verify && sha256Hex(plain) !== id) throw rstError('RST_ERR_BLOB_CORRUPT', shortId(id), shortId(packId));
    return plain;
  }

  /** Raw stored bytes of a pack range (several adjacent blobs at once); the caller checks them. */
  readStored(packId: Id, offset: number, length: number): Buffer {
    const b = readFully(this.fd(packId), offset, length);
    if (b.length !== length) throw rstError('RST_ERR_PACK_CORRUPT', shortId(packId), `truncated at offset ${offset + b.length}`);
    return b;
  }

  /** Read a pack range straight into `dst` at `dstOffset` (shared memory for the workers). */
  readStoredInto(packId: Id, offset: number, length: number, dst: Uint8Array, dstOffset: number): void {
    const fd = this.fd(packId);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, dst, dstOffset + got, length - got, offset + got);
      if (n === 0) throw rstError('RST_ERR_PACK_CORRUPT', shortId(packId), `truncated at offset ${offset + got}`);
      got += n;
    }
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
