/**
 * Warm the prefetch cache for an instance: the chunks of its hot files (hot-files.ts) in its newest
 * snapshot, and that snapshot's manifest, copied from the repository into the cache (cache.ts),
 * each proven against its id on the way. A restore of those files with the cache then reads no
 * pack (`restore(..., { local: cache })`). Emits `prefetch.load`.
 */
import { randomUUID } from 'node:crypto';
import { isRstError, messageOf, rstError } from '../errors.js';
import { shortId, type Id } from '../format/v1/ids.js';
import { rawToDisplay } from '../format/v1/manifest.js';
import type { Instance } from '../instances/map.js';
import { instanceSnapshots } from '../instances/snapshots.js';
import { OPS_CODES } from '../ops-events/codes.js';
import { ActionEvents, type EmitOps } from '../ops-events/record.js';
import { BlobReader } from '../repository/blob-reader.js';
import { Repository } from '../repository/repository.js';
import { readManifest } from '../snapshot/content.js';
import { ChunkCache, type TrimReport } from './cache.js';

export interface PrefetchOptions {
  readonly dataDir: string;
  readonly emit: EmitOps;
  readonly now?: () => number;
  readonly correlationId?: string;
  /** After warming, drop least recently used chunks of other files down to this many bytes (default 1 GiB). */
  readonly maxCacheBytes?: number;
}

export const DEFAULT_MAX_CACHE_BYTES = 1024 * 1024 * 1024;

export interface PrefetchReport {
  readonly snapshot: Id;
  /** Hot paths found in the snapshot, and those it does not hold. */
  readonly files: readonly string[];
  readonly notInSnapshot: readonly string[];
  readonly chunks: number;
  /** Chunks copied now (the others were warm already). */
  readonly loaded: number;
  readonly bytesLoaded: number;
  readonly cacheDir: string;
  /** The budget applied after warming (cache.ts `trim`). */
  readonly trim: TrimReport;
}

export async function prefetchInstance(instance: Instance, paths: readonly string[], o: PrefetchOptions): Promise<PrefetchReport> {
  const now = o.now ?? Date.now;
  const ev = new ActionEvents({ emit: o.emit, host: instance.host, instance: instance.id, version: instance.version, correlationId: o.correlationId ?? randomUUID(), now });
  const started = now();
  try {
    if (instance.location.kind !== 'tree') throw rstError('RST_ERR_KIND_MISMATCH', `of ${instance.host}/${instance.id}`, 'image', 'the prefetch cache applies to tree instances');
    const repo = Repository.open(instance.repository);
    const record = instanceSnapshots(repo, instance, repo.trustedKey())[0];
    if (record === undefined) throw rstError('RST_ERR_SNAPSHOT_NOT_FOUND', `a snapshot of ${instance.host}/${instance.id}`, repo.dir, repo.dir);
    const cache = ChunkCache.open(o.dataDir, repo.config.id);
    const reader = new BlobReader(repo, repo.loadIndex().index);
    let loaded = 0;
    let bytesLoaded = 0;
    const warm = (id: Id, neededBy: string): void => {
      if (cache.holds(id)) return;
      const data = reader.read(id, neededBy);
      cache.put(id, data);
      loaded++;
      bytesLoaded += data.length;
    };
    const wanted = new Set(paths.map((p) => p.replace(/^\/+/, '')));
    const files: string[] = [];
    const chunks = new Set<Id>();
    try {
      if (record.payload.kind !== 'tree') throw rstError('RST_ERR_KIND_MISMATCH', shortId(record.id), 'image', 'the prefetch cache applies to tree snapshots');
      for (const m of record.payload.tree) warm(m, `manifest of ${shortId(record.id)}`);
      for (const n of readManifest(record, reader)) {
        const shown = rawToDisplay(n.path);
        if (n.type !== 'file' || !wanted.has(shown)) continue;
        files.push(shown);
        for (const c of n.chunks) {
          chunks.add(c);
          warm(c, `file ${shown}`);
        }
      }
    } finally {
      reader.close();
    }
    const notInSnapshot = [...wanted].filter((p) => !files.includes(p));
    // What was just warmed stays; the manifest too, or the next restore reads packs for it.
    const manifest = record.payload.kind === 'tree' ? record.payload.tree : [];
    const trim = cache.trim(o.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES, new Set([...manifest, ...chunks]));
    await ev.emit({
      op: 'prefetch.load',
      status: 'ok',
      snapshot: record.id,
      bytes: bytesLoaded,
      durationMs: now() - started,
      message: `${files.length} hot file(s) of ${shortId(record.id)} warm: ${chunks.size} chunks, ${loaded} loaded now`,
      details: { files: files.length, chunks: chunks.size, loaded, dropped: trim.dropped, cache_bytes: trim.bytesHeld },
    });
    return { snapshot: record.id, files, notInSnapshot, chunks: chunks.size, loaded, bytesLoaded, cacheDir: cache.dir, trim };
  } catch (err: unknown) {
    await ev.emit({ op: 'prefetch.load', status: 'failed', code: OPS_CODES.prefetchFailed, durationMs: now() - started, message: isRstError(err) ? `${err.code}: ${err.message}` : messageOf(err) });
    throw err;
  }
}
