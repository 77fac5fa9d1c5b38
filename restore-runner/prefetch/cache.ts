/**
 * The prefetch cache: plaintext chunks of one repository kept in the data folder
 * (`<data>/prefetch/<repository id>/<2 hex>/<id>`), so that a restore of the files they make up
 * reads no pack. A chunk is proven against its name on every read, as the repository's are; one
 * that does not match is deleted and read from the repository instead. Writes are tmp + rename.
 * A chunk's mtime is the last time it was written or served: `trim` keeps the cache within a
 * budget by dropping the least recently used first.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { errnoOf } from '../errors.js';
import { type Id, isId, sha256Hex } from '../format/v1/ids.js';
import type { LocalChunks } from '../repository/blob-reader.js';

export const PREFETCH_DIR = 'prefetch';

export class ChunkCache {
  /** Ids proven present at open or written since: `holds` answers without a syscall. */
  private readonly known = new Set<Id>();

  private constructor(readonly dir: string) {}

  /** The cache of repository `repositoryId` under the data folder. */
  static open(dataDir: string, repositoryId: string): ChunkCache {
    const cache = new ChunkCache(join(dataDir, PREFETCH_DIR, repositoryId));
    mkdirSync(cache.dir, { recursive: true });
    for (const sub of readdirSync(cache.dir)) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const name of readdirSync(join(cache.dir, sub))) if (isId(name)) cache.known.add(name);
    }
    return cache;
  }

  private path(id: Id): string {
    return join(this.dir, id.slice(0, 2), id);
  }

  holds(id: Id): boolean {
    return this.known.has(id);
  }

  ids(): readonly Id[] {
    return [...this.known];
  }

  /** The chunk, proven against its id; undefined when absent or damaged (then it is dropped). */
  get(id: Id): Buffer | undefined {
    if (!this.known.has(id)) return undefined;
    let data: Buffer;
    try {
      data = readFileSync(this.path(id));
    } catch (err: unknown) {
      if (errnoOf(err) !== 'ENOENT') throw err;
      this.known.delete(id);
      return undefined;
    }
    if (sha256Hex(data) !== id) {
      this.drop(id);
      return undefined;
    }
    touch(this.path(id));
    return data;
  }

  put(id: Id, data: Buffer): void {
    if (this.known.has(id)) return;
    const dest = this.path(id);
    mkdirSync(join(this.dir, id.slice(0, 2)), { recursive: true });
    const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, data);
    renameSync(tmp, dest);
    this.known.add(id);
  }

  drop(id: Id): void {
    rmSync(this.path(id), { force: true });
    this.known.delete(id);
  }

  /**
   * Drops chunks, least recently used first, until the cache holds at most `maxBytes`; chunks in
   * `keep` (those just warmed) are never dropped, so the cache may stay above the budget when
   * they alone exceed it (`overBudget`).
   */
  trim(maxBytes: number, keep: ReadonlySet<Id> = new Set()): TrimReport {
    const held: { id: Id; size: number; usedMs: number }[] = [];
    let total = 0;
    for (const id of this.known) {
      try {
        const st = statSync(this.path(id));
        held.push({ id, size: st.size, usedMs: st.mtimeMs });
        total += st.size;
      } catch (err: unknown) {
        if (errnoOf(err) !== 'ENOENT') throw err;
        this.known.delete(id);
      }
    }
    let dropped = 0;
    let bytesDropped = 0;
    held.sort((a, b) => a.usedMs - b.usedMs);
    for (const h of held) {
      if (total <= maxBytes) break;
      if (keep.has(h.id)) continue;
      this.drop(h.id);
      total -= h.size;
      dropped++;
      bytesDropped += h.size;
    }
    return { dropped, bytesDropped, bytesHeld: total, overBudget: total > maxBytes };
  }

  /** Bytes held (for reports). */
  bytes(): number {
    let n = 0;
    for (const id of this.known) {
      try {
        n += statSync(this.path(id)).size;
      } catch {
        // dropped meanwhile
      }
    }
    return n;
  }
}

export interface TrimReport {
  readonly dropped: number;
  readonly bytesDropped: number;
  readonly bytesHeld: number;
  /** Still above the budget: the chunks that had to be kept exceed it alone. */
  readonly overBudget: boolean;
}

/** Marks a chunk as just used; a mount that refuses it still serves the chunk. */
function touch(path: string): void {
  const now = new Date();
  try {
    utimesSync(path, now, now);
  } catch {
    // Only the eviction order suffers.
  }
}

/**
 * The cache as a restore reads it, counting where each read came from (kintsugi_prefetch_chunk_reads):
 * `hit` when the cache served the blob, `miss` when the repository did (file chunks, and the
 * snapshot's tree blobs, which `kintsugi prefetch` loads too).
 */
export function countedReads(local: LocalChunks, count: (result: 'hit' | 'miss') => void): LocalChunks {
  return {
    holds: (id) => local.holds(id),
    get: (id) => {
      const chunk = local.get(id);
      if (chunk !== undefined) count('hit');
      return chunk;
    },
    missed: () => count('miss'),
  };
}
