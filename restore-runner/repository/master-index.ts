/** The union of all index files in memory: blob ID → pack and place (FORMAT.md, "Index format"). */
import type { Id } from '../format/v1/ids.js';
import type { IndexedPack } from '../format/v1/index-file.js';
import type { LocatedEntry } from '../format/v1/pack.js';

export interface BlobLocation {
  readonly packId: Id;
  readonly entry: LocatedEntry;
}

export class MasterIndex {
  private readonly blobs = new Map<Id, BlobLocation>();
  private readonly packs = new Map<Id, number>();

  addPack(p: IndexedPack): void {
    this.packs.set(p.packId, p.packSize);
    for (const entry of p.blobs) {
      if (!this.blobs.has(entry.id)) this.blobs.set(entry.id, { packId: p.packId, entry });
    }
  }

  has(id: Id): boolean {
    return this.blobs.has(id);
  }

  get(id: Id): BlobLocation | undefined {
    return this.blobs.get(id);
  }

  packSize(packId: Id): number | undefined {
    return this.packs.get(packId);
  }

  packIds(): IterableIterator<Id> {
    return this.packs.keys();
  }

  blobCount(): number {
    return this.blobs.size;
  }

  entries(): IterableIterator<[Id, BlobLocation]> {
    return this.blobs.entries();
  }
}
