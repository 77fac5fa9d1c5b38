/**
 * Writes new blobs into packs (FORMAT.md, "Pack format") and, at `finish`, one index file that
 * lists them. Blobs already in the index (or already pending) are skipped: deduplication.
 */
import { type Compression, encodeBlob } from '../format/v1/blob-codec.js';
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
  private pending: Buffer[] = [];
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
    const { stored, compression } = encodeBlob(plain);
    return this.addStored(type, id, Buffer.from(stored), compression, plain.length);
  }

  /** Store a blob compressed elsewhere (a worker); returns whether it was new. */
  addStored(type: BlobType, id: Id, stored: Uint8Array, compression: Compression, rawLength: number): boolean {
    if (this.has(id)) return false;
    this.entries.push({ type, compression, storedLength: stored.length, rawLength, id, offset: this.pendingBytes });
    this.pending.push(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength));
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
    const parts = [...this.pending, trailer];
    const packSize = this.pendingBytes + trailer.length;
    const h = createHash('sha256');
    for (const part of parts) h.update(part);
    const id = h.digest('hex');
    writeAtomic(tmpName(this.repo.tmpDir, 'pack'), this.repo.packPath(id), parts);
    const packed: IndexedPack = { packId: id, packSize, blobs: this.entries };
    this.written.push(packed);
    this.index.addPack(packed);
    this.pending = [];
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
