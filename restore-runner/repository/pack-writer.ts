/**
 * Writes new blobs into packs (FORMAT.md, "Pack format") and, at `finish`, one index file that
 * lists them. Blobs already in the index (or already pending) are skipped: deduplication.
 */
import { COMPRESSION_ZSTD, type Compression, compressBound, encodeBlobInto } from '../format/v1/blob-codec.js';
import type { Id } from '../format/v1/ids.js';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../format/v1/ids.js';
import type { IndexedPack } from '../format/v1/index-file.js';
import { type BlobType, encodePackTrailer, type LocatedEntry } from '../format/v1/pack.js';
import { tmpName, writeAtomic } from './files.js';
import type { MasterIndex } from './master-index.js';
import type { Repository } from './repository.js';

export interface WriteStats {
  readonly blobsAdded: number;
  readonly bytesAdded: number;
  readonly packsWritten: number;
}

export class PackWriter {
  /**
   * The pack being filled: blobs are copied in as they come, into one buffer kept from pack to
   * pack, and compressed through one scratch buffer. A buffer per blob (and two copies of it)
   * left tens of MB of garbage outside the heap between collections on tree snapshots.
   */
  private pack: Buffer = Buffer.alloc(0);
  private scratch: Buffer = Buffer.alloc(0);
  private entries: LocatedEntry[] = [];
  private pendingBytes = 0;
  private readonly pendingIds = new Set<Id>();
  private readonly written: IndexedPack[] = [];
  private blobsAdded = 0;
  private bytesAdded = 0;

  constructor(
    private readonly repo: Repository,
    private readonly index: MasterIndex,
  ) {}

  /** Store `plain` under `id` unless it is stored already; returns whether it was new. */
  add(type: BlobType, id: Id, plain: Uint8Array): boolean {
    if (this.has(id)) return false;
    const bound = compressBound(plain.length);
    if (this.scratch.length < bound) this.scratch = Buffer.allocUnsafe(bound);
    const { compression, length } = encodeBlobInto(this.scratch, plain);
    return this.addStored(type, id, compression === COMPRESSION_ZSTD ? this.scratch.subarray(0, length) : plain, compression, plain.length);
  }

  /** Store a blob compressed elsewhere (a worker); returns whether it was new. `stored` is copied. */
  addStored(type: BlobType, id: Id, stored: Uint8Array, compression: Compression, rawLength: number): boolean {
    if (this.has(id)) return false;
    const end = this.pendingBytes + stored.length;
    if (end > this.pack.length) {
      // A pack ends after the blob that reaches packSize: room for that blob, or a bigger one.
      const grown = Buffer.allocUnsafe(Math.max(end, this.repo.config.packSize + (1 << 20)));
      this.pack.copy(grown, 0, 0, this.pendingBytes);
      this.pack = grown;
    }
    this.pack.set(stored, this.pendingBytes);
    this.entries.push({ type, compression, storedLength: stored.length, rawLength, id, offset: this.pendingBytes });
    this.pendingIds.add(id);
    this.pendingBytes += stored.length;
    this.blobsAdded++;
    this.bytesAdded += stored.length;
    if (this.pendingBytes >= this.repo.config.packSize) this.flush();
    return true;
  }

  /** Hash and store; returns the ID. */
  addPlain(type: BlobType, plain: Uint8Array): Id {
    const id = sha256Hex(plain);
    this.add(type, id, plain);
    return id;
  }

  has(id: Id): boolean {
    return this.index.has(id) || this.pendingIds.has(id);
  }

  flush(): void {
    if (this.entries.length === 0) return;
    const trailer = encodePackTrailer(this.entries);
    const parts = [this.pack.subarray(0, this.pendingBytes), trailer];
    const packSize = this.pendingBytes + trailer.length;
    const h = createHash('sha256');
    for (const part of parts) h.update(part);
    const id = h.digest('hex');
    writeAtomic(tmpName(this.repo.tmpDir, 'pack'), this.repo.packPath(id), parts);
    const packed: IndexedPack = { packId: id, packSize, blobs: this.entries };
    this.written.push(packed);
    this.index.addPack(packed);
    this.entries = [];
    this.pendingBytes = 0;
    this.pendingIds.clear();
  }

  /** Flush the last pack and return every pack written, without writing an index (prune does). */
  flushAll(): readonly IndexedPack[] {
    this.flush();
    return this.written;
  }

  /** Flush the last pack and write the index of everything written (FORMAT.md write order 1–2). */
  finish(): WriteStats {
    this.flush();
    if (this.written.length > 0) this.repo.saveIndex(this.written);
    return { blobsAdded: this.blobsAdded, bytesAdded: this.bytesAdded, packsWritten: this.written.length };
  }
}
