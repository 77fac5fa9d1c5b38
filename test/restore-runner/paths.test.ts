/** Path escapes: every way out of the restore target is refused, and nothing is written outside. */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TreeNode } from '../../restore-runner/format/v1/manifest.js';
import type { Repository } from '../../restore-runner/repository/repository.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { createTreeSnapshot } from '../../restore-runner/snapshot/create-tree.js';
import { verifyRepository } from '../../restore-runner/verify/verify.js';
import { craftTreeSnapshot, dirNode, fileNode, smallRepo, tempDir } from './helpers.js';

let dir: string;
let repo: Repository;
let key: KeyObject;
let outside: string;
const evil = Buffer.from('pwned');

beforeEach(() => {
  dir = tempDir('paths');
  repo = smallRepo(join(dir, 'repo'));
  key = repo.signingKey();
  outside = join(dir, 'outside');
  mkdirSync(outside);
});

const hostile: readonly (readonly [string, () => TreeNode[]])[] = [
  ['a ../ component', () => [fileNode('../outside/x', evil)]],
  ['a ../ component deeper down', () => [dirNode('a'), fileNode('a/../../outside/x', evil)]],
  ['an absolute path', () => [fileNode(`${outside}/x`, evil)]],
  ['an empty component', () => [dirNode('a'), fileNode('a//x', evil)]],
  ['a . component', () => [dirNode('a'), fileNode('a/./x', evil)]],
  ['a NUL byte', () => [fileNode('x\0y', evil)]],
  ['a file under a symlink of the snapshot', () => [{ path: 'a', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeNs: 1n, target: outside }, fileNode('a/x', evil)]],
  ['a hard link to a path outside', () => [{ path: 'x', type: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1n, linkTo: '../outside/secret' }]],
  ['the restore journal name', () => [fileNode('.kintsugi-restore.json', evil)]],
  ['paths out of order (a parent after its child)', () => [fileNode('b/x', evil), dirNode('b')]],
];

describe('path escapes', () => {
  for (const [what, nodes] of hostile) {
    it(`refuses a manifest with ${what}`, async () => {
      const id = craftTreeSnapshot(repo, key, nodes(), [evil]);
      const target = join(dir, 'target');
      await expect(restore(repo, { snapshot: id, target, mode: 'auto', trustedKey: createPublicKey(key), progress: false })).rejects.toMatchObject({ code: 'RST_ERR_MANIFEST_MALFORMED' });
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(outside)).toEqual([]);
      const report = verifyRepository(repo, { trustedKey: createPublicKey(key) });
      expect(report.problems.map((p) => p.code)).toEqual(['RST_ERR_MANIFEST_MALFORMED']);
    });
  }

  it('refuses to write through a symlink in the target that points elsewhere', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'etc'), { recursive: true });
    writeFileSync(join(src, 'etc', 'passwd'), 'root:x:0:0');
    const snap = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    const target = join(dir, 'target');
    mkdirSync(target);
    symlinkSync(outside, join(target, 'etc'));
    for (const mode of ['auto', 'delta'] as const) {
      await expect(restore(repo, { snapshot: snap.id, target, mode, trustedKey: createPublicKey(key), progress: false })).rejects.toMatchObject({ code: 'RST_ERR_PATH_ESCAPE' });
    }
    await expect(restore(repo, { snapshot: snap.id, target, mode: 'files', paths: ['etc/passwd'], trustedKey: createPublicKey(key), progress: false })).rejects.toMatchObject({ code: 'RST_ERR_PATH_ESCAPE' });
    expect(readdirSync(outside)).toEqual([]);
    expect(readlinkSync(join(target, 'etc'))).toBe(outside);
  });

  it('restores a symlink that points outside as a link, never following it', async () => {
    const src = join(dir, 'src');
    mkdirSync(src);
    symlinkSync(outside, join(src, 'ln'));
    writeFileSync(join(src, 'file'), 'data');
    const snap = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    const target = join(dir, 'target');
    await restore(repo, { snapshot: snap.id, target, mode: 'full', trustedKey: createPublicKey(key), progress: false });
    expect(readlinkSync(join(target, 'ln'))).toBe(outside);
    // Restoring again over it (delta) replaces nothing through the link either.
    await restore(repo, { snapshot: snap.id, target, mode: 'delta', trustedKey: createPublicKey(key), progress: false });
    expect(readdirSync(outside)).toEqual([]);
  });
});
