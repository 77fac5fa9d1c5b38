import { mkdirSync, writeFileSync, symlinkSync, linkSync, readFileSync, statSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTreeSnapshot } from '../../restore-runner/snapshot/create-tree.js';
import { createImageSnapshot } from '../../restore-runner/snapshot/create-image.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { describeTree, smallRepo, tempDir } from './helpers.js';

describe('smoke', () => {
  it('tree round trip', async () => {
    const d = tempDir();
    const repo = smallRepo(join(d, 'repo'));
    const src = join(d, 'src');
    mkdirSync(join(src, 'a/b'), { recursive: true });
    writeFileSync(join(src, 'a/b/f.txt'), 'hello');
    writeFileSync(join(src, 'big'), Buffer.alloc(100000, 7));
    symlinkSync('a/b/f.txt', join(src, 'ln'));
    linkSync(join(src, 'big'), join(src, 'big2'));
    const key = repo.signingKey();
    const r = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    const out = join(d, 'out');
    const rep = await restore(repo, { snapshot: r.id, target: out, mode: 'auto', trustedKey: createPublicKey(key), progress: false });
    expect(rep.mode).toBe('full');
    expect(describeTree(out)).toEqual(describeTree(src));
  });
  it('image round trip', async () => {
    const d = tempDir();
    const repo = smallRepo(join(d, 'repo'));
    const img = join(d, 'img');
    const b = Buffer.alloc(1 << 20);
    for (let i = 0; i < b.length / 2; i++) b[i] = (i * 31) & 0xff;
    writeFileSync(img, b);
    const key = repo.signingKey();
    const r = createImageSnapshot(repo, { source: img, host: 'h', signingKey: key, progress: false });
    const out = join(d, 'out.img');
    const rep = await restore(repo, { snapshot: r.id, target: out, mode: 'auto', trustedKey: createPublicKey(key), progress: false });
    expect(rep.mode).toBe('full');
    expect(readFileSync(out).equals(b)).toBe(true);
    expect(statSync(out).blocks * 512).toBeLessThan(b.length);
  });
});
