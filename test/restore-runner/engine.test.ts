/** Deduplication, incremental snapshots, tree delta / files / --delete restores, dry runs, locks. */
import { forgetSnapshots } from '../../restore-runner/snapshot/commit.js';
import { createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, lutimesSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../restore-runner/repository/lock.js';
import type { Repository } from '../../restore-runner/repository/repository.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { createImageSnapshot } from '../../restore-runner/snapshot/create-image.js';
import { createTreeSnapshot } from '../../restore-runner/snapshot/create-tree.js';
import { describeTree, smallRepo, tempDir } from './helpers.js';

let dir: string;
let repo: Repository;
let key: KeyObject;
let pub: KeyObject;

function content(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function makeTree(root: string, files: number, seed = 1): void {
  mkdirSync(join(root, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(root, i % 2 === 0 ? 'sub' : '', `f${i}`), content(seed * 1000 + i, 5000 + i * 97));
}

beforeEach(() => {
  dir = tempDir('engine');
  repo = smallRepo(join(dir, 'repo'));
  key = repo.signingKey();
  pub = createPublicKey(key);
});

describe('deduplication and incremental snapshots', () => {
  it('an unchanged tree adds nothing, and unchanged files are not read again', () => {
    const src = join(dir, 'src');
    makeTree(src, 20);
    const a = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    expect(a.payload.summary.filesUnchanged).toBe(0);
    const b = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    expect(b.payload.parent).toBe(a.id);
    expect(b.payload.summary.filesUnchanged).toBe(20);
    expect(b.payload.summary.blobsAdded).toBe(0);
    // One file changed: only it is read; its chunks are all that is added besides the manifest.
    writeFileSync(join(src, 'f1'), content(99, 6000));
    const c = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    expect(c.payload.summary.filesUnchanged).toBe(19);
    // The new file (6000 incompressible bytes) and the manifest pieces around its line (the whole
    // manifest is about 5 KB); reading the tree again would add about 120 KB.
    expect(c.payload.summary.bytesAdded).toBeLessThan(6000 + 6000);
  });

  it('a file whose mtime changed but content did not is re-read and deduplicated', () => {
    const src = join(dir, 'src');
    makeTree(src, 4);
    createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    const f = join(src, 'f1');
    writeFileSync(f, readFileSync(f));
    const b = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    expect(b.payload.summary.filesUnchanged).toBeLessThan(4);
    expect(b.payload.summary.blobsAdded).toBeLessThanOrEqual(1); // the manifest only
  });

  it('an incremental snapshot writes the manifest a snapshot without parent writes of the same tree', () => {
    // Unchanged nodes are written as the parent's lines: they must be the lines encoding gives.
    const src = join(dir, 'src');
    makeTree(src, 12);
    symlinkSync('sub/f0', join(src, 'link'));
    // The link keeps its mtime when it is made again: only its target tells it apart.
    const linkTime = new Date('2026-01-02T03:04:05Z');
    lutimesSync(join(src, 'link'), linkTime, linkTime);
    linkSync(join(src, 'f1'), join(src, 'hard'));
    const a = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    writeFileSync(join(src, 'f3'), content(7, 7000));
    chmodSync(join(src, 'f5'), 0o600);
    rmSync(join(src, 'link'));
    symlinkSync('sub/f2', join(src, 'link'));
    lutimesSync(join(src, 'link'), linkTime, linkTime);
    rmSync(join(src, 'sub', 'f4'));
    writeFileSync(join(src, 'sub', 'new'), 'new file\n');
    const b = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    expect(b.payload.parent).toBe(a.id);
    expect(b.payload.summary.filesUnchanged).toBeGreaterThan(5);
    const c = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false, parent: null });
    expect(c.payload.parent).toBeNull();
    expect(b.payload.kind === 'tree' && c.payload.kind === 'tree' ? b.payload.tree : 'not trees').toEqual(c.payload.kind === 'tree' ? c.payload.tree : []);
  });

  it('deduplicates across hosts that share the repository', () => {
    const s1 = join(dir, 'host1');
    const s2 = join(dir, 'host2');
    makeTree(s1, 10, 7);
    makeTree(s2, 10, 7);
    const a = createTreeSnapshot(repo, { source: s1, host: 'host1', signingKey: key, progress: false });
    const b = createTreeSnapshot(repo, { source: s2, host: 'host2', signingKey: key, progress: false });
    expect(b.payload.parent).toBe(null);
    expect(b.payload.summary.filesUnchanged).toBe(0);
    expect(b.payload.summary.bytesAdded).toBeLessThan(a.payload.summary.bytesAdded / 5);
  });

  it('images: unchanged blocks are stored once, across snapshots', async () => {
    const img = join(dir, 'img');
    const data = Buffer.concat([content(1, 64 * 4096), Buffer.alloc(32 * 4096), content(2, 64 * 4096)]);
    writeFileSync(img, data);
    const a = await createImageSnapshot(repo, { source: img, host: 'h', signingKey: key, progress: false });
    expect(a.payload.summary.holes).toBe(32);
    data[5 * 4096] = (data[5 * 4096] ?? 0) ^ 1;
    data[100 * 4096 + 17] = (data[100 * 4096 + 17] ?? 0) ^ 1;
    writeFileSync(img, data);
    const b = await createImageSnapshot(repo, { source: img, host: 'h', signingKey: key, progress: false });
    expect(b.payload.summary.blobsAdded).toBe(2 + 1); // two blocks and one map piece
    expect(b.payload.parent).toBe(a.id);
  });
});

describe('tree restores', () => {
  it('delta writes only the files that differ and keeps extra files unless --delete', async () => {
    const src = join(dir, 'src');
    makeTree(src, 10);
    const snap = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    const target = join(dir, 'target');
    await restore(repo, { snapshot: snap.id, target, mode: 'full', trustedKey: pub, progress: false });
    writeFileSync(join(target, 'f1'), 'damaged');
    rmSync(join(target, 'sub', 'f2'));
    writeFileSync(join(target, 'extra'), 'not in the snapshot');
    const plan = await restore(repo, { snapshot: snap.id, target, mode: 'auto', dryRun: true, trustedKey: pub, progress: false });
    expect(plan).toMatchObject({ mode: 'delta', dryRun: true, filesWritten: 2, filesUnchanged: 8, bytesWritten: 5000 + 97 + 5000 + 2 * 97 });
    expect(readFileSync(join(target, 'f1'), 'utf8')).toBe('damaged');
    const r = await restore(repo, { snapshot: snap.id, target, mode: 'auto', trustedKey: pub, progress: false });
    expect(r).toMatchObject({ mode: 'delta', filesWritten: 2, filesUnchanged: 8, entriesRemoved: 0 });
    expect(r.bytesWritten).toBe(5000 + 97 + 5000 + 2 * 97);
    expect(existsSync(join(target, 'extra'))).toBe(true);
    const d = await restore(repo, { snapshot: snap.id, target, mode: 'delta', delete: true, trustedKey: pub, progress: false });
    expect(d).toMatchObject({ filesWritten: 0, entriesRemoved: 1 });
    expect(describeTree(target)).toEqual(describeTree(src));
  });

  it('files mode restores only the selected paths', async () => {
    const src = join(dir, 'src');
    makeTree(src, 6);
    const snap = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    const target = join(dir, 'target');
    const r = await restore(repo, { snapshot: snap.id, target, mode: 'files', paths: ['sub/*'], trustedKey: pub, progress: false });
    expect(r.filesWritten).toBe(3);
    expect(describeTree(target)['f1']).toBeUndefined();
    expect(readFileSync(join(target, 'sub', 'f4')).equals(readFileSync(join(src, 'sub', 'f4')))).toBe(true);
    await expect(restore(repo, { snapshot: snap.id, target, mode: 'files', paths: ['nope/**'], trustedKey: pub, progress: false })).rejects.toMatchObject({ code: 'RST_ERR_SNAPSHOT_NOT_FOUND' });
  });

  it('full refuses a non-empty directory, and a tree snapshot refuses an image target kind', async () => {
    const src = join(dir, 'src');
    makeTree(src, 2);
    const snap = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    await expect(restore(repo, { snapshot: snap.id, target: src, mode: 'full', trustedKey: pub, progress: false })).rejects.toMatchObject({ code: 'RST_ERR_TARGET_INVALID' });
    const img = join(dir, 'img');
    writeFileSync(img, content(3, 8192));
    const im = await createImageSnapshot(repo, { source: img, host: 'h', signingKey: key, progress: false });
    await expect(restore(repo, { snapshot: im.id, target: join(dir, 'x'), mode: 'files', paths: ['a'], trustedKey: pub, progress: false })).rejects.toMatchObject({ code: 'RST_ERR_KIND_MISMATCH' });
    await expect(restore(repo, { snapshot: im.id, target: join(dir, 'x'), mode: 'auto', paths: ['a'], trustedKey: pub, progress: false })).rejects.toMatchObject({ code: 'RST_ERR_KIND_MISMATCH' });
    await expect(restore(repo, { snapshot: im.id, target: join(dir, 'x'), mode: 'delta', delete: true, trustedKey: pub, progress: false })).rejects.toMatchObject({ code: 'RST_ERR_KIND_MISMATCH' });
  });

  it('a delta restore proves only the packs of the blocks it writes', async () => {
    const img = join(dir, 'img');
    const data = randomBytes(60 * 4096); // incompressible: spread over several 64 KiB packs
    writeFileSync(img, data);
    const snap = await createImageSnapshot(repo, { source: img, host: 'h', signingKey: key, progress: false });
    const { index } = repo.loadIndex();
    const { sha256Hex } = await import('../../restore-runner/format/v1/ids.js');
    const needed = index.get(sha256Hex(data.subarray(7 * 4096, 8 * 4096)))?.packId;
    const other = [...index.entries()].map(([, l]) => l.packId).find((p) => p !== needed);
    expect(needed !== undefined && other !== undefined).toBe(true);
    const otherPath = repo.packPath(other ?? '');
    const packBytes = readFileSync(otherPath);
    packBytes[0] = (packBytes[0] ?? 0) ^ 1;
    writeFileSync(otherPath, packBytes);
    const target = join(dir, 't.img');
    const damaged = Buffer.from(data);
    damaged[7 * 4096] = (damaged[7 * 4096] ?? 0) ^ 1;
    writeFileSync(target, damaged);
    const r = await restore(repo, { snapshot: snap.id, target, mode: 'delta', trustedKey: pub, progress: false });
    expect(r).toMatchObject({ blocksWritten: 1, packsVerified: 1 });
    expect(readFileSync(target).equals(data)).toBe(true);
    // A full restore needs every pack, so it refuses.
    await expect(restore(repo, { snapshot: snap.id, target: join(dir, 'new.img'), mode: 'full', trustedKey: pub, progress: false })).rejects.toMatchObject({ code: 'RST_ERR_VERIFY_FAILED' });
  });

  it('an image dry run reports the blocks that differ and writes nothing', async () => {
    const img = join(dir, 'img');
    const data = content(4, 40 * 4096);
    writeFileSync(img, data);
    const snap = await createImageSnapshot(repo, { source: img, host: 'h', signingKey: key, progress: false });
    const target = join(dir, 't.img');
    const damaged = Buffer.from(data);
    damaged[3 * 4096] = (damaged[3 * 4096] ?? 0) ^ 1;
    damaged[7 * 4096 + 5] = (damaged[7 * 4096 + 5] ?? 0) ^ 1;
    writeFileSync(target, damaged);
    const r = await restore(repo, { snapshot: snap.id, target, mode: 'auto', dryRun: true, trustedKey: pub, progress: false });
    expect(r).toMatchObject({ mode: 'delta', dryRun: true, blocksWritten: 2, bytesWritten: 8192 });
    expect(readFileSync(target).equals(damaged)).toBe(true);
    expect(statSync(target).size).toBe(data.length);
  });
});

describe('prune', () => {
  it('reclaims the data of forgotten snapshots, repacking partly used packs, and every snapshot left still restores', async () => {
    const src = join(dir, 'src');
    makeTree(src, 30, 1);
    const a = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    for (let i = 0; i < 30; i += 3) writeFileSync(join(src, i % 2 === 0 ? 'sub' : '', `f${i}`), content(500 + i, 7000));
    const b = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    const before = repo.listPackFiles().reduce((s, f) => s + statSync(f.path).size, 0);
    forgetSnapshots(repo, [a.id], key);
    const { prune } = await import('../../restore-runner/prune/prune.js');
    const dry = prune(repo, pub, true);
    expect(dry.blobsRemoved).toBeGreaterThan(0);
    expect(repo.listPackFiles().reduce((s, f) => s + statSync(f.path).size, 0)).toBe(before);
    const r = prune(repo, pub);
    expect(r.packsDeleted + r.packsRepacked).toBeGreaterThan(0);
    expect(r.blobsRemoved).toBe(dry.blobsRemoved);
    const after = repo.listPackFiles().reduce((s, f) => s + statSync(f.path).size, 0);
    expect(after).toBeLessThan(before);
    const { verifyRepository } = await import('../../restore-runner/verify/verify.js');
    expect(verifyRepository(repo, { trustedKey: pub, readData: true })).toMatchObject({ ok: true, problems: [], hints: [] });
    expect(repo.listIndexIds()).toHaveLength(1);
    const out = join(dir, 'out');
    await restore(repo, { snapshot: b.id, target: out, mode: 'full', trustedKey: pub, progress: false });
    expect(describeTree(out)).toEqual(describeTree(src));
    // Nothing left to reclaim.
    expect(prune(repo, pub)).toMatchObject({ packsDeleted: 0, packsRepacked: 0, blobsRemoved: 0 });
  });

  it('refuses to prune while a snapshot fails verification (its data might still be needed)', async () => {
    const src = join(dir, 'src');
    makeTree(src, 3);
    const a = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    const p = repo.snapshotPath(a.id);
    writeFileSync(p, readFileSync(p, 'utf8').replace('"host":"h"', '"host":"x"'));
    const { prune } = await import('../../restore-runner/prune/prune.js');
    expect(() => prune(repo, pub)).toThrow(expect.objectContaining({ code: 'RST_ERR_VERIFY_FAILED' }));
  });
});

describe('locks', () => {
  it('two writers cannot hold the repository; readers share it but not with a writer', () => {
    const w = acquireLock(repo.dir, 'exclusive', 'test writer');
    expect(() => acquireLock(repo.dir, 'exclusive', 'second writer')).toThrow(expect.objectContaining({ code: 'RST_ERR_LOCKED' }));
    expect(() => acquireLock(repo.dir, 'shared', 'reader')).toThrow(expect.objectContaining({ code: 'RST_ERR_LOCKED' }));
    w.release();
    const r1 = acquireLock(repo.dir, 'shared', 'reader 1');
    const r2 = acquireLock(repo.dir, 'shared', 'reader 2');
    expect(() => acquireLock(repo.dir, 'exclusive', 'writer')).toThrow(expect.objectContaining({ code: 'RST_ERR_LOCKED' }));
    r1.release();
    r2.release();
    acquireLock(repo.dir, 'exclusive', 'writer').release();
  });

  it('a snapshot waits for no one: it fails with RST_ERR_LOCKED naming the holder', () => {
    const w = acquireLock(repo.dir, 'exclusive', 'prune');
    let message = '';
    try {
      acquireLock(repo.dir, 'exclusive', 'snapshot create');
    } catch (err: unknown) {
      message = err instanceof Error ? err.message : '';
    }
    expect(message).toContain(`pid ${process.pid}`);
    expect(message).toContain('prune');
    w.release();
  });

  it('a lock left by a dead process on this host is stale and removed', () => {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(child.stdout.toString());
    writeFileSync(join(repo.dir, 'locks', 'exclusive'), JSON.stringify({ host: hostname(), pid: deadPid, time: new Date().toISOString(), operation: 'crashed' }));
    const l = acquireLock(repo.dir, 'exclusive', 'after crash');
    l.release();
  });
});
