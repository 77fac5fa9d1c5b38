/**
 * The tamper matrix: each kind of stored object damaged or substituted is refused by `verify`
 * (typed, every problem listed) and by `restore` before anything is written.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RstErrorCode } from '../../restore-runner/errors.js';
import { isRstError } from '../../restore-runner/errors.js';
import type { Id } from '../../restore-runner/format/v1/ids.js';
import { sha256Hex } from '../../restore-runner/format/v1/ids.js';
import { decodeSnapshot, signedBytes } from '../../restore-runner/format/v1/snapshot.js';
import type { Repository } from '../../restore-runner/repository/repository.js';
import { keyIdOf, signBytes } from '../../restore-runner/repository/keys.js';
import { encodeLogLine, logSignedBytes } from '../../restore-runner/format/v2/snapshot-log.js';
import { forgetSnapshots } from '../../restore-runner/snapshot/commit.js';
import { listSnapshots, resolveSnapshot } from '../../restore-runner/snapshot/load.js';
import { createImageSnapshot } from '../../restore-runner/snapshot/create-image.js';
import { createTreeSnapshot } from '../../restore-runner/snapshot/create-tree.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { verifyRepository, type VerifyProblem } from '../../restore-runner/verify/verify.js';
import { describeTree, plantSnapshot, smallRepo, tempDir } from './helpers.js';
import { Chunker } from '../../restore-runner/chunking/cdc.js';

interface Fixture {
  readonly dir: string;
  readonly repo: Repository;
  readonly key: KeyObject;
  readonly pub: KeyObject;
  readonly tree1: Id;
  readonly tree2: Id;
  readonly image: Id;
  readonly src: string;
}

let fx: Fixture;

beforeEach(async () => {
  const dir = tempDir('tamper');
  const repo = smallRepo(join(dir, 'repo'));
  const key = repo.signingKey();
  const src = join(dir, 'src');
  mkdirSync(join(src, 'etc'), { recursive: true });
  for (let i = 0; i < 12; i++) {
    const b = Buffer.alloc(20000);
    for (let j = 0; j < b.length; j++) b[j] = (j * (i + 3) + (j >> 7)) & 0xff;
    writeFileSync(join(src, 'etc', `f${i}`), b);
  }
  // Two incompressible single-chunk files of equal size: their blobs can be swapped in place.
  writeFileSync(join(src, 'r1'), randomBytes(900));
  writeFileSync(join(src, 'r2'), randomBytes(900));
  const t1 = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false, time: new Date('2026-01-01T00:00:00Z') });
  writeFileSync(join(src, 'etc', 'new'), 'changed');
  const t2 = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false, time: new Date('2026-01-02T00:00:00Z') });
  const img = Buffer.alloc(64 * 4096);
  for (let j = 0; j < img.length / 2; j++) img[j] = (j * 13 + (j >> 9)) & 0xff;
  writeFileSync(join(dir, 'img'), img);
  const im = await createImageSnapshot(repo, { source: join(dir, 'img'), host: 'h', signingKey: key, progress: false });
  fx = { dir, repo, key, pub: createPublicKey(key), tree1: t1.id, tree2: t2.id, image: im.id, src };
});

function flipByte(path: string, at: (size: number) => number): void {
  const b = readFileSync(path);
  const i = at(b.length);
  b[i] = (b[i] ?? 0) ^ 0x01;
  writeFileSync(path, b);
}

/** The pack file holding the first content chunk of etc/f0, in both tree snapshots. */
function dataPackPath(): string {
  const first = new Chunker(fx.repo.config.chunker).split(readFileSync(join(fx.src, 'etc', 'f0')))[0];
  const loc = fx.repo.loadIndex().index.get(sha256Hex(first ?? Buffer.alloc(0)));
  if (loc === undefined) throw new Error('chunk not indexed');
  return fx.repo.packPath(loc.packId);
}

/** Path of the pack holding the first manifest blob of `snapshot`, and the blob's offset. */
function metaBlob(snapshot: Id): { readonly path: string; readonly offset: number } {
  const d = decodeSnapshot(fx.repo.readSnapshotFile(snapshot));
  if (!d.ok || d.doc.payload.tree === null) throw new Error('not a tree');
  const id = d.doc.payload.tree[0] ?? '';
  const loc = fx.repo.loadIndex().index.get(id);
  if (loc === undefined) throw new Error('meta blob not indexed');
  return { path: fx.repo.packPath(loc.packId), offset: loc.entry.offset };
}

async function expectRestoreRefused(snapshot: string, code: RstErrorCode, trustedKey: KeyObject = fx.pub): Promise<void> {
  // Into a new target: nothing may be created.
  const fresh = join(fx.dir, `fresh-${Math.random().toString(36).slice(2)}`);
  let caught: unknown;
  try {
    await restore(fx.repo, { snapshot, target: fresh, mode: 'auto', trustedKey, progress: false });
  } catch (err: unknown) {
    caught = err;
  }
  expect(isRstError(caught) ? caught.code : caught).toBe(code);
  expect(existsSync(fresh)).toBe(false);
  // Into an existing target holding an earlier state: nothing may change.
  const existing = join(fx.dir, 'existing');
  mkdirSync(existing, { recursive: true });
  writeFileSync(join(existing, 'keep-me'), 'old state');
  const before = describeTree(existing);
  await expect(restore(fx.repo, { snapshot, target: existing, mode: 'delta', trustedKey, progress: false })).rejects.toMatchObject({ code });
  expect(describeTree(existing)).toEqual(before);
}

function problems(readData = true): readonly VerifyProblem[] {
  const r = verifyRepository(fx.repo, { trustedKey: fx.pub, readData });
  expect(r.ok).toBe(r.problems.length === 0);
  return r.problems;
}

describe('tamper matrix', () => {
  it('an untouched repository verifies and restores', async () => {
    expect(problems()).toEqual([]);
    const out = join(fx.dir, 'out');
    await restore(fx.repo, { snapshot: fx.tree2, target: out, mode: 'auto', trustedKey: fx.pub, progress: false });
    expect(describeTree(out)).toEqual(describeTree(fx.src));
  });

  it('a flipped bit in a data chunk', async () => {
    flipByte(dataPackPath(), () => 5);
    const p = problems();
    expect(p.map((x) => x.type).sort()).toEqual(['blob-corrupt', 'pack-corrupt']);
    await expectRestoreRefused(fx.tree2, 'RST_ERR_VERIFY_FAILED');
  });

  it('a flipped bit in a pack header', async () => {
    flipByte(dataPackPath(), (n) => n - 10);
    expect(problems(false).some((x) => x.type === 'pack-corrupt')).toBe(true);
    await expectRestoreRefused(fx.tree2, 'RST_ERR_VERIFY_FAILED');
  });

  it('two chunks swapped inside a pack', async () => {
    const { index } = fx.repo.loadIndex();
    const a = index.get(sha256Hex(readFileSync(join(fx.src, 'r1'))));
    const c = index.get(sha256Hex(readFileSync(join(fx.src, 'r2'))));
    if (a === undefined || c === undefined) throw new Error('fixture');
    expect(a.packId).toBe(c.packId);
    expect(a.entry.storedLength).toBe(c.entry.storedLength);
    const path = fx.repo.packPath(a.packId);
    const b = readFileSync(path);
    const ba = Buffer.from(b.subarray(a.entry.offset, a.entry.offset + a.entry.storedLength));
    b.copy(b, a.entry.offset, c.entry.offset, c.entry.offset + c.entry.storedLength);
    ba.copy(b, c.entry.offset);
    writeFileSync(path, b);
    const p = problems();
    expect(p.filter((x) => x.type === 'blob-corrupt').map((x) => x.type === 'blob-corrupt' && x.blob).sort()).toEqual([a.entry.id, c.entry.id].sort());
    await expectRestoreRefused(fx.tree2, 'RST_ERR_VERIFY_FAILED');
  });

  it('a truncated pack', async () => {
    const path = dataPackPath();
    truncateSync(path, readFileSync(path).length - 100);
    expect(problems(false).some((x) => x.type === 'pack-corrupt')).toBe(true);
    await expectRestoreRefused(fx.tree2, 'RST_ERR_VERIFY_FAILED');
  });

  it('a missing pack', async () => {
    const path = dataPackPath();
    // The manifest of tree2 shares its first pieces with tree1's (deduplicated), so the pack
    // may hold part of it: then reading the manifest fails first, otherwise the pack check.
    const d = decodeSnapshot(fx.repo.readSnapshotFile(fx.tree2));
    const { index } = fx.repo.loadIndex();
    const holdsManifest = d.ok && (d.doc.payload.tree ?? []).some((m) => fx.repo.packPath(index.get(m)?.packId ?? '') === path);
    unlinkSync(path);
    expect(problems(false).some((x) => x.type === 'pack-missing')).toBe(true);
    await expectRestoreRefused(fx.tree2, holdsManifest ? 'RST_ERR_PACK_CORRUPT' : 'RST_ERR_VERIFY_FAILED');
  });

  it('a flipped bit in the manifest of a snapshot', async () => {
    const m = metaBlob(fx.tree2);
    flipByte(m.path, () => m.offset + 3);
    expect(problems().some((x) => x.type === 'blob-corrupt' || x.type === 'content-unreadable')).toBe(true);
    await expectRestoreRefused(fx.tree2, 'RST_ERR_BLOB_CORRUPT');
  });

  it('a flipped bit in an index file', async () => {
    for (const id of fx.repo.listIndexIds()) flipByte(fx.repo.indexPath(id), (n) => n - 3);
    const p = problems(false);
    expect(p.some((x) => x.type === 'index-corrupt')).toBe(true);
    expect(p.some((x) => x.type === 'blob-missing')).toBe(true);
    await expectRestoreRefused(fx.tree1, 'RST_ERR_BLOB_MISSING');
  });

  it('a flipped bit in a snapshot document', async () => {
    flipByte(fx.repo.snapshotPath(fx.tree2), (n) => Math.floor(n / 2));
    const p = problems(false);
    expect(p).toEqual([expect.objectContaining({ type: 'snapshot-invalid', code: 'RST_ERR_SNAPSHOT_ID_MISMATCH', snapshot: fx.tree2 })]);
    await expectRestoreRefused(fx.tree2, 'RST_ERR_SNAPSHOT_ID_MISMATCH');
  });

  it('an older signed snapshot put in place of a newer one', async () => {
    copyFileSync(fx.repo.snapshotPath(fx.tree1), fx.repo.snapshotPath(fx.tree2));
    expect(problems(false).map((x) => x.code)).toEqual(['RST_ERR_SNAPSHOT_ID_MISMATCH']);
    await expectRestoreRefused(fx.tree2, 'RST_ERR_SNAPSHOT_ID_MISMATCH');
  });

  it('an older signed snapshot copied under a new name', async () => {
    const bytes = fx.repo.readSnapshotFile(fx.tree1);
    const fake = sha256Hex(Buffer.from('fake'));
    writeFileSync(fx.repo.snapshotPath(fake), bytes);
    expect(problems(false)).toEqual([expect.objectContaining({ type: 'snapshot-invalid', code: 'RST_ERR_SNAPSHOT_ID_MISMATCH', snapshot: fake })]);
    await expectRestoreRefused(fake.slice(0, 16), 'RST_ERR_SNAPSHOT_ID_MISMATCH');
  });

  it('a snapshot signed with another key (and the repository key replaced)', async () => {
    const d = decodeSnapshot(fx.repo.readSnapshotFile(fx.tree1));
    if (!d.ok) throw new Error('fixture');
    const other = generateKeyPairSync('ed25519');
    const payload = { ...d.doc.payload, time: '2027-01-01T00:00:00.000Z' };
    const forged = plantSnapshot(fx.repo, { payload, signature: { algorithm: 'ed25519', keyId: keyIdOf(other.publicKey), value: signBytes(other.privateKey, signedBytes(payload)) } });
    expect(problems(false)).toEqual([expect.objectContaining({ code: 'RST_ERR_UNTRUSTED_KEY', snapshot: forged })]);
    await expectRestoreRefused(forged, 'RST_ERR_UNTRUSTED_KEY');
    // The attacker also replaces keys/public.pem: a restorer pinning its own copy still refuses.
    writeFileSync(fx.repo.publicKeyPath, other.publicKey.export({ type: 'spki', format: 'pem' }));
    await expectRestoreRefused(forged, 'RST_ERR_UNTRUSTED_KEY', fx.pub);
  });

  it('a signature copied from another snapshot (forged key id)', async () => {
    const d1 = decodeSnapshot(fx.repo.readSnapshotFile(fx.tree1));
    const d2 = decodeSnapshot(fx.repo.readSnapshotFile(fx.tree2));
    if (!d1.ok || !d2.ok) throw new Error('fixture');
    const id = plantSnapshot(fx.repo, { payload: d1.doc.payload, signature: d2.doc.signature });
    expect(problems(false)).toEqual([expect.objectContaining({ code: 'RST_ERR_SIGNATURE_INVALID', snapshot: id })]);
    await expectRestoreRefused(id, 'RST_ERR_SIGNATURE_INVALID');
  });

  it('an image snapshot with a damaged block is refused before the target is touched', async () => {
    const { index } = fx.repo.loadIndex();
    const d = decodeSnapshot(fx.repo.readSnapshotFile(fx.image));
    if (!d.ok || d.doc.payload.image === null) throw new Error('fixture');
    const packs = new Set([...index.entries()].map(([, l]) => l.packId));
    for (const p of packs) flipByte(fx.repo.packPath(p), () => 1);
    const target = join(fx.dir, 'disk.img');
    writeFileSync(target, Buffer.alloc(64 * 4096, 7));
    await expect(restore(fx.repo, { snapshot: fx.image, target, mode: 'auto', trustedKey: fx.pub, progress: false })).rejects.toMatchObject({ code: 'RST_ERR_VERIFY_FAILED' });
    expect(readFileSync(target).equals(Buffer.alloc(64 * 4096, 7))).toBe(true);
    expect(readdirSync(fx.dir).filter((n) => n.includes('kintsugi'))).toEqual([]);
  });

  it('verify reports every problem, not only the first', () => {
    flipByte(dataPackPath(), () => 5);
    flipByte(fx.repo.snapshotPath(fx.tree1), (n) => Math.floor(n / 2));
    const fake = sha256Hex(Buffer.from('x'));
    writeFileSync(fx.repo.snapshotPath(fake), fx.repo.readSnapshotFile(fx.image));
    const types = problems().map((p) => `${p.type}:${p.code}`).sort();
    expect(types).toEqual(['blob-corrupt:RST_ERR_BLOB_CORRUPT', 'pack-corrupt:RST_ERR_PACK_CORRUPT', 'snapshot-invalid:RST_ERR_SNAPSHOT_ID_MISMATCH', 'snapshot-invalid:RST_ERR_SNAPSHOT_ID_MISMATCH']);
  });
});

describe('tamper matrix: the signed snapshot log', () => {
  const logLines = (): string[] => readFileSync(fx.repo.logPath, 'utf8').split('\n').slice(0, -1);

  it('a deleted snapshot file is reported by verify, list and restore (latest does not roll back to an older one)', async () => {
    unlinkSync(fx.repo.snapshotPath(fx.tree2));
    expect(problems(false)).toEqual([expect.objectContaining({ type: 'snapshot-deleted', code: 'RST_ERR_SNAPSHOT_DELETED', snapshot: fx.tree2 })]);
    const listed = listSnapshots(fx.repo, fx.pub);
    expect(listed.errors.map((e) => e.code)).toEqual(['RST_ERR_SNAPSHOT_DELETED']);
    await expectRestoreRefused(fx.tree2, 'RST_ERR_SNAPSHOT_DELETED');
    await expectRestoreRefused('latest', 'RST_ERR_SNAPSHOT_DELETED');
  });

  it('a snapshot substituted by a forgotten one (deleted, and an older signed file put back)', async () => {
    const old = readFileSync(fx.repo.snapshotPath(fx.tree1));
    forgetSnapshots(fx.repo, [fx.tree1], fx.key);
    unlinkSync(fx.repo.snapshotPath(fx.tree2));
    writeFileSync(fx.repo.snapshotPath(fx.tree1), old);
    const r = verifyRepository(fx.repo, { trustedKey: fx.pub });
    expect(r.problems).toEqual([expect.objectContaining({ type: 'snapshot-deleted', snapshot: fx.tree2 })]);
    expect(r.hints).toContainEqual({ type: 'snapshot-forgotten', file: fx.repo.snapshotPath(fx.tree1) });
    await expectRestoreRefused(fx.tree1, 'RST_ERR_SNAPSHOT_UNLISTED');
    expect(listSnapshots(fx.repo, fx.pub).records.map((x) => x.id)).toEqual([fx.image]);
  });

  it('a validly signed snapshot planted without a log entry is refused', async () => {
    const d = decodeSnapshot(fx.repo.readSnapshotFile(fx.tree1));
    if (!d.ok) throw new Error('fixture');
    const payload = { ...d.doc.payload, time: '2027-01-01T00:00:00.000Z' };
    const planted = plantSnapshot(fx.repo, { payload, signature: { algorithm: 'ed25519', keyId: keyIdOf(fx.pub), value: signBytes(fx.key, signedBytes(payload)) } });
    expect(problems(false)).toEqual([expect.objectContaining({ type: 'snapshot-unlisted', code: 'RST_ERR_SNAPSHOT_UNLISTED', snapshot: planted })]);
    await expectRestoreRefused(planted, 'RST_ERR_SNAPSHOT_UNLISTED');
    // `latest` ignores it (it is the newest by time) and prune removes it.
    expect(resolveSnapshot(fx.repo, 'latest', fx.pub, { kind: 'tree' }).id).toBe(fx.tree2);
    const { prune } = await import('../../restore-runner/prune/prune.js');
    expect(prune(fx.repo, fx.pub).snapshotFilesRemoved).toBe(1);
    expect(problems(false)).toEqual([]);
  });

  const logTampers: readonly [string, () => void][] = [
    ['a flipped byte in an entry', () => flipByte(fx.repo.logPath, (n) => n - 20)],
    ['an entry removed from the middle', () => writeFileSync(fx.repo.logPath, `${logLines().filter((_, i) => i !== 1).join('\n')}\n`)],
    ['two entries swapped', () => { const l = logLines(); writeFileSync(fx.repo.logPath, `${[l[1], l[0], l[2]].join('\n')}\n`); }],
    ['the last line cut short', () => truncateSync(fx.repo.logPath, statSync(fx.repo.logPath).size - 5)],
    ['an entry appended with another key', () => {
      const other = generateKeyPairSync('ed25519');
      const head = sha256Hex(Buffer.from(`${logLines()[2] ?? ''}\n`));
      const entry = { seq: 4, prev: head, repository: fx.repo.config.id, op: 'forget' as const, snapshot: fx.tree2, time: '2027-01-01T00:00:00.000Z' };
      writeFileSync(fx.repo.logPath, encodeLogLine({ entry, signature: { algorithm: 'ed25519', keyId: keyIdOf(other.publicKey), value: signBytes(other.privateKey, logSignedBytes(entry)) } }), { flag: 'a' });
    }],
  ];
  for (const [what, tamper] of logTampers) {
    it(`a log with ${what} is refused: no snapshot is trusted`, async () => {
      expect(logLines()).toHaveLength(3);
      tamper();
      expect(problems(false)).toContainEqual(expect.objectContaining({ type: 'log-invalid', code: 'RST_ERR_LOG_INVALID' }));
      expect(listSnapshots(fx.repo, fx.pub).records).toEqual([]);
      await expectRestoreRefused(fx.tree2, 'RST_ERR_LOG_INVALID');
      await expectRestoreRefused('latest', 'RST_ERR_LOG_INVALID');
      expect(() => createTreeSnapshot(fx.repo, { source: fx.src, host: 'h', signingKey: fx.key, progress: false })).toThrow(/RST_ERR_LOG_INVALID|invalid/);
    });
  }
});
