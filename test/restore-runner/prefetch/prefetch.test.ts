/**
 * Prefetch: the files the store shows flagged or restored most often on an instance are ranked,
 * their chunks kept warm in the data folder, and a restore of them with the cache reads no pack
 * file (the repository's data folder is moved away to prove it).
 */
import { readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecoveryEvent } from '../../../parsers/event.js';
import { normalizeOps } from '../../../parsers/ops/normalize.js';
import { readOps } from '../../../parsers/ops/schema.js';
import { openQueryBackend } from '../../../pipeline/query-backend.js';
import { DuckDbEventStore } from '../../../pipeline/store/duckdb-store.js';
import { ChunkCache } from '../../../restore-runner/prefetch/cache.js';
import { queryHotFiles, rankHotFiles } from '../../../restore-runner/prefetch/hot-files.js';
import { prefetchInstance } from '../../../restore-runner/prefetch/prefetch.js';
import { Repository } from '../../../restore-runner/repository/repository.js';
import { restore } from '../../../restore-runner/restore/restore.js';
import { tempDir } from '../helpers.js';
import { snapshottedOsA } from '../ops-fixture.js';

const MOD = 'lib/modules/4.2.3/kernel/drivers/net/ixgbe.ko';
const EXT4 = 'lib/modules/4.2.3/kernel/fs/ext4/ext4.ko';

let n = 0;
function event(line: Record<string, unknown>): RecoveryEvent {
  const r = readOps(line);
  if (!r.ok) throw new Error(r.message);
  return normalizeOps(r.record, `ev-${n++}`, undefined, JSON.stringify(line), {});
}
const at = (minute: number): string => `2026-03-14T02:${String(minute).padStart(2, '0')}:00Z`;
const check = (path: string, status: string, minute: number, instance = 'os-a'): RecoveryEvent =>
  event({ ts: at(minute), host: 'web-03', instance, ver: '4.2.3', op: 'check.file', status, path: `/${path}` });
const restored = (path: string, minute: number): RecoveryEvent =>
  event({ schema: 2, time: Date.parse(at(minute)), event_id: `01JPB3ZK4Q8W5T2V9X7Y6N3M${String(n).padStart(2, '0')}`, host: { name: 'web-03' }, os: { instance: 'os-a' }, op: 'restore.file', status: 'ok', file: { path: `/${path}` } });

const history = (): RecoveryEvent[] => [
  check(MOD, 'corrupt', 1), check(MOD, 'corrupt', 2), restored(MOD, 3),
  check(EXT4, 'missing', 4), check(EXT4, 'ok', 5),
  check('bin/sh', 'corrupt', 6),
  check('etc/fstab', 'ok', 7), check('etc/fstab', 'ok', 8), check('etc/fstab', 'ok', 9),
];

describe('prefetch', () => {
  it('ranks files by flags and restores, then recency', () => {
    expect(rankHotFiles(history(), 2)).toEqual([
      { path: MOD, flagged: 2, restored: 1, lastSeen: '2026-03-14T02:03:00.000Z' },
      { path: 'bin/sh', flagged: 1, restored: 0, lastSeen: '2026-03-14T02:06:00.000Z' },
    ]);
    expect(rankHotFiles(history(), 10).map((h) => h.path)).toEqual([MOD, 'bin/sh', EXT4]);
  });

  it('reads the ranking from the store, for that instance only', async () => {
    const data = tempDir('prefetch-store');
    const store = await DuckDbEventStore.open({ dataDir: data, threads: 1 });
    const w = await store.writeBatch([...history(), check('bin/sh', 'corrupt', 10, 'os-b'), check('bin/sh', 'corrupt', 11, 'os-b')], []);
    expect(w.ok).toBe(true);
    await store.close();
    const backend = await openQueryBackend(data);
    try {
      expect((await queryHotFiles(backend, 'web-03', 'os-a', '2026-03-01T00:00:00Z', 3)).map((h) => [h.path, h.flagged + h.restored])).toEqual([[MOD, 3], ['bin/sh', 1], [EXT4, 1]]);
    } finally {
      await backend.close();
    }
  });

  it('a warm restore of the hot files reads no pack file; a cold one needs them', async () => {
    const { host, a, events, emit, snap } = await snapshottedOsA();
    expect(snap.ok).toBe(true);
    const original = { mod: readFileSync(join(host.rootA, MOD)), ext4: readFileSync(join(host.rootA, EXT4)) };
    const data = tempDir('prefetch-data');

    const r = await prefetchInstance(a, [`/${MOD}`, EXT4, 'lib/not-there.ko'], { dataDir: data, emit });
    expect([...r.files].sort()).toEqual([MOD, EXT4].sort());
    expect(r.notInSnapshot).toEqual(['lib/not-there.ko']);
    expect(r.loaded).toBeGreaterThan(r.chunks); // the manifest's blobs too
    expect(events.at(-1)).toMatchObject({ op: 'prefetch.load', status: 'ok', snapshot: r.snapshot, bytes: r.bytesLoaded });
    expect((await prefetchInstance(a, [MOD, EXT4], { dataDir: data, emit })).loaded).toBe(0);

    const repo = Repository.open(host.repo);
    const cache = ChunkCache.open(data, repo.config.id);
    rmSync(join(host.rootA, MOD));
    writeFileSync(join(host.rootA, EXT4), 'damaged');
    // No pack can be read while the repository's data folder is away.
    renameSync(join(host.repo, 'data'), join(host.repo, 'data.away'));
    await expect(restore(repo, { snapshot: r.snapshot, target: host.rootA, mode: 'files', paths: [MOD, EXT4], trustedKey: repo.trustedKey(), progress: false })).rejects.toThrow(/Pack [0-9a-f]+ is damaged \(cannot open/);
    const warm = await restore(repo, { snapshot: r.snapshot, target: host.rootA, mode: 'files', paths: [MOD, EXT4], trustedKey: repo.trustedKey(), progress: false, local: cache });
    expect(warm.filesWritten).toBe(2);
    expect(warm.packsVerified).toBe(0);
    expect(readFileSync(join(host.rootA, MOD)).equals(original.mod)).toBe(true);
    expect(readFileSync(join(host.rootA, EXT4)).equals(original.ext4)).toBe(true);
    // A restore beyond the warm files still needs the repository.
    rmSync(join(host.rootA, 'bin/sh'));
    await expect(restore(repo, { snapshot: r.snapshot, target: host.rootA, mode: 'files', paths: ['bin/sh'], trustedKey: repo.trustedKey(), progress: false, local: cache })).rejects.toThrow(/failed with \d+ problem/);
    renameSync(join(host.repo, 'data.away'), join(host.repo, 'data'));
  });

  it('a damaged cached chunk is dropped and read from the repository instead', async () => {
    const { host, a, emit } = await snapshottedOsA();
    const original = readFileSync(join(host.rootA, MOD));
    const data = tempDir('prefetch-data');
    const r = await prefetchInstance(a, [MOD], { dataDir: data, emit });
    const repo = Repository.open(host.repo);
    let cache = ChunkCache.open(data, repo.config.id);
    for (const id of cache.ids()) writeFileSync(join(r.cacheDir, id.slice(0, 2), id), 'rotten');
    cache = ChunkCache.open(data, repo.config.id);
    rmSync(join(host.rootA, MOD));
    await restore(repo, { snapshot: r.snapshot, target: host.rootA, mode: 'files', paths: [MOD], trustedKey: repo.trustedKey(), progress: false, local: cache });
    expect(readFileSync(join(host.rootA, MOD)).equals(original)).toBe(true);
    expect(cache.ids()).toEqual([]);
  });

  it('keeps the cache within its budget: least recently used chunks of other files go first, the files just warmed stay', async () => {
    const { host, a, emit } = await snapshottedOsA();
    const data = tempDir('prefetch-data');
    const repo = Repository.open(host.repo);
    // Chunks of files no longer hot, from an earlier prefetch: one used an hour ago, one a day ago.
    const stale = ChunkCache.open(data, repo.config.id);
    // A chunk is named by the SHA-256 of its bytes; one byte each, so each weighs one byte in the budget.
    const blob = (text: string): { id: string; data: Buffer } => ({ id: createHash('sha256').update(text).digest('hex'), data: Buffer.from(text) });
    const hourOld = blob('h');
    const dayOld = blob('d');
    for (const b of [hourOld, dayOld]) stale.put(b.id, b.data);
    const ago = (ms: number) => new Date(Date.now() - ms);
    utimesSync(join(stale.dir, hourOld.id.slice(0, 2), hourOld.id), ago(3600_000), ago(3600_000));
    utimesSync(join(stale.dir, dayOld.id.slice(0, 2), dayOld.id), ago(86_400_000), ago(86_400_000));

    const unbounded = await prefetchInstance(a, [MOD], { dataDir: data, emit });
    expect(unbounded.trim).toMatchObject({ dropped: 0, overBudget: false });
    const warm = ChunkCache.open(data, repo.config.id).ids().filter((id) => id !== hourOld.id && id !== dayOld.id);
    // A budget that holds the warm chunks and one byte more: the day-old chunk goes, the hour-old one stays.
    const budget = unbounded.trim.bytesHeld - 1;
    const trimmed = await prefetchInstance(a, [MOD], { dataDir: data, emit, maxCacheBytes: budget });
    expect(trimmed.trim).toEqual({ dropped: 1, bytesDropped: 1, bytesHeld: budget, overBudget: false });
    const left = ChunkCache.open(data, repo.config.id);
    expect([left.holds(dayOld.id), left.holds(hourOld.id)]).toEqual([false, true]);
    expect(warm.every((id) => left.holds(id))).toBe(true);

    // A read makes a chunk recent: once served, the hour-old chunk outlives one used half an hour ago.
    const halfHourOld = blob('m');
    left.put(halfHourOld.id, halfHourOld.data);
    utimesSync(join(left.dir, halfHourOld.id.slice(0, 2), halfHourOld.id), ago(1800_000), ago(1800_000));
    expect(left.get(hourOld.id)?.toString()).toBe('h');
    const again = await prefetchInstance(a, [MOD], { dataDir: data, emit, maxCacheBytes: budget });
    expect(again.trim).toMatchObject({ dropped: 1, overBudget: false });
    const after = ChunkCache.open(data, repo.config.id);
    expect([after.holds(halfHourOld.id), after.holds(hourOld.id)]).toEqual([false, true]);

    // A budget the hot files alone exceed: everything else goes, they stay, and the report says so.
    const none = await prefetchInstance(a, [MOD], { dataDir: data, emit, maxCacheBytes: 0 });
    expect(none.trim).toMatchObject({ dropped: 1, overBudget: true });
    const last = ChunkCache.open(data, repo.config.id);
    expect(last.holds(hourOld.id)).toBe(false);
    expect(warm.every((id) => last.holds(id))).toBe(true);
    expect(none.loaded).toBe(0);
  });
});
