/**
 * The signed snapshot log beyond the tamper matrix: a writer stopped between the log entry and
 * the rename (pending snapshot), an interrupted forget, and version 1 repositories (read, then
 * upgraded with `repo upgrade`).
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeConfig } from '../../restore-runner/format/v1/config.js';
import { Repository } from '../../restore-runner/repository/repository.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { createTreeSnapshot } from '../../restore-runner/snapshot/create-tree.js';
import { listSnapshots } from '../../restore-runner/snapshot/load.js';
import { readSnapshotLog } from '../../restore-runner/snapshot/log.js';
import { upgradeRepository } from '../../restore-runner/snapshot/upgrade.js';
import { prune } from '../../restore-runner/prune/prune.js';
import { verifyRepository } from '../../restore-runner/verify/verify.js';
import { describeTree, smallRepo, tempDir } from './helpers.js';

function setup(): { dir: string; repo: Repository; src: string; snap: () => string } {
  const dir = tempDir('log');
  const repo = smallRepo(join(dir, 'repo'));
  const src = join(dir, 'src');
  mkdirSync(src);
  let n = 0;
  const snap = (): string => {
    writeFileSync(join(src, `f${n++}`), `content ${n}`);
    return createTreeSnapshot(repo, { source: src, host: 'h', signingKey: repo.signingKey(), progress: false }).id;
  };
  return { dir, repo, src, snap };
}

describe('snapshot log', () => {
  it('a new repository is version 2 and each snapshot adds one signed entry', () => {
    const { repo, snap } = setup();
    expect(repo.config.version).toBe(2);
    const a = snap();
    const b = snap();
    const log = readSnapshotLog(repo, repo.trustedKey());
    expect(log.ok && log.state !== null && [...log.state.live]).toEqual([a, b]);
    expect(readFileSync(repo.logPath, 'utf8').split('\n')).toHaveLength(3);
  });

  it('a writer stopped after logging, before the rename: the pending snapshot verifies, restores, and prune moves it into place', async () => {
    const { dir, repo, src, snap } = setup();
    const id = snap();
    // The state a crash between steps 4 and 5 of the write order leaves.
    renameSync(repo.snapshotPath(id), repo.pendingSnapshotPath(id));
    const v = verifyRepository(repo, { trustedKey: repo.trustedKey() });
    expect(v).toMatchObject({ ok: true, problems: [], hints: [{ type: 'snapshot-pending', file: repo.pendingSnapshotPath(id) }] });
    const out = join(dir, 'out');
    await restore(repo, { snapshot: 'latest', target: out, mode: 'full', trustedKey: repo.trustedKey(), progress: false });
    expect(describeTree(out)).toEqual(describeTree(src));
    expect(prune(repo, repo.trustedKey())).toMatchObject({ pendingPublished: 1, tmpFilesRemoved: 0 });
    expect(existsSync(repo.snapshotPath(id))).toBe(true);
    expect(verifyRepository(repo, { trustedKey: repo.trustedKey() })).toMatchObject({ ok: true, problems: [], hints: [] });
  });

  it('a snapshot staged but never logged is only a temporary leftover', () => {
    const { repo, snap } = setup();
    const id = snap();
    const log = readFileSync(repo.logPath);
    const bytes = readFileSync(repo.snapshotPath(id));
    // Rewind to the state before the log entry: the file sits in tmp/ and the log lacks it.
    writeFileSync(repo.logPath, '');
    unlinkSync(repo.snapshotPath(id));
    writeFileSync(repo.pendingSnapshotPath(id), bytes);
    const v = verifyRepository(repo, { trustedKey: repo.trustedKey() });
    expect(v).toMatchObject({ ok: true, problems: [], hints: [{ type: 'tmp-leftover', file: repo.pendingSnapshotPath(id) }] });
    expect(listSnapshots(repo, repo.trustedKey()).records).toEqual([]);
    expect(log.length).toBeGreaterThan(0);
  });
});

describe('format version 1 repositories', () => {
  /** A version 2 repository turned into what Kintsugi 0.1 wrote: no log, config version 1. */
  function makeV1(): ReturnType<typeof setup> & { ids: string[] } {
    const s = setup();
    const ids = [s.snap(), s.snap()];
    unlinkSync(s.repo.logPath);
    writeFileSync(join(s.repo.dir, 'config'), encodeConfig({ ...s.repo.config, version: 1 }));
    return { ...s, repo: Repository.open(s.repo.dir), ids };
  }

  it('are read: list, verify (with a hint) and restore work; writers are refused', async () => {
    const { dir, repo, src, ids } = makeV1();
    expect(repo.config.version).toBe(1);
    expect(listSnapshots(repo, repo.trustedKey()).records.map((r) => r.id)).toEqual(ids);
    const v = verifyRepository(repo, { trustedKey: repo.trustedKey() });
    expect(v).toMatchObject({ ok: true, problems: [], hints: [{ type: 'format-v1' }] });
    const out = join(dir, 'out');
    await restore(repo, { snapshot: 'latest', target: out, mode: 'full', trustedKey: repo.trustedKey(), progress: false });
    expect(describeTree(out)).toEqual(describeTree(src));
    expect(() => createTreeSnapshot(repo, { source: src, host: 'h', signingKey: repo.signingKey(), progress: false })).toThrow(expect.objectContaining({ code: 'RST_ERR_REPO_READ_ONLY' }));
  });

  it('`repo upgrade` logs every snapshot that verifies, leaves out one that does not, and the repository is writable', () => {
    const { repo, src, ids } = makeV1();
    const bad = readFileSync(repo.snapshotPath(ids[0] ?? ''));
    bad[bad.length - 10] = (bad[bad.length - 10] ?? 0) ^ 1;
    writeFileSync(repo.snapshotPath(ids[0] ?? ''), bad);
    const r = upgradeRepository(repo, repo.signingKey());
    expect(r).toMatchObject({ from: 1, to: 2, logged: [ids[1]] });
    expect(r.refused.map((e) => e.code)).toEqual(['RST_ERR_SNAPSHOT_ID_MISMATCH']);
    const up = Repository.open(repo.dir);
    expect(up.config.version).toBe(2);
    expect(upgradeRepository(up, up.signingKey())).toMatchObject({ from: 2, to: 2 });
    const v = verifyRepository(up, { trustedKey: createPublicKey(up.signingKey()) });
    expect(v.problems.map((p) => p.type)).toEqual(['snapshot-invalid']);
    unlinkSync(up.snapshotPath(ids[0] ?? ''));
    writeFileSync(join(src, 'more'), 'x');
    const c = createTreeSnapshot(up, { source: src, host: 'h', signingKey: up.signingKey(), progress: false });
    expect(listSnapshots(up, up.trustedKey()).records.map((x) => x.id)).toEqual([ids[1], c.id]);
    expect(verifyRepository(up, { trustedKey: up.trustedKey() })).toMatchObject({ ok: true, problems: [], hints: [] });
  });
});
