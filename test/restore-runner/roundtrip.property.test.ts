/**
 * Property tests: random trees (odd and non-UTF-8 names, empty files, files with holes, symlinks,
 * hard links, modes, owners, times) and random images round-trip through snapshot and restore to
 * identical bytes and metadata.
 */
import { closeSync, linkSync, lchownSync, lutimesSync, mkdirSync, openSync, readFileSync, statSync, symlinkSync, utimesSync, chmodSync, writeFileSync, writeSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createImageSnapshot } from '../../restore-runner/snapshot/create-image.js';
import { createTreeSnapshot } from '../../restore-runner/snapshot/create-tree.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { describeTree, smallRepo, tempDir } from './helpers.js';

const nameArb = fc
  .uint8Array({ minLength: 1, maxLength: 6 })
  .map((a) => Buffer.from(a.map((b) => (b === 0 || b === 0x2f ? 0x5f : b))))
  .filter((b) => b.toString('latin1') !== '.' && b.toString('latin1') !== '..');

type Op =
  | { readonly k: 'dir'; readonly name: Buffer }
  | { readonly k: 'file'; readonly name: Buffer; readonly content: Uint8Array; readonly hole: number }
  | { readonly k: 'symlink'; readonly name: Buffer; readonly target: Buffer }
  | { readonly k: 'hardlink'; readonly name: Buffer; readonly to: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('dir' as const), name: nameArb }),
  fc.record({ k: fc.constant('file' as const), name: nameArb, content: fc.uint8Array({ maxLength: 3000 }), hole: fc.constantFrom(0, 0, 9000, 70000) }),
  fc.record({ k: fc.constant('symlink' as const), name: nameArb, target: fc.oneof(nameArb, fc.constant(Buffer.from('/etc/passwd')), fc.constant(Buffer.from('../../x'))) }),
  fc.record({ k: fc.constant('hardlink' as const), name: nameArb, to: fc.nat() }),
);

interface Meta {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs: number;
}

const metaArb: fc.Arbitrary<Meta> = fc.record({
  mode: fc.constantFrom(0o644, 0o600, 0o755, 0o700, 0o4755, 0o1777, 0o444),
  uid: fc.integer({ min: 0, max: 3000 }),
  gid: fc.integer({ min: 0, max: 3000 }),
  mtimeMs: fc.integer({ min: 0, max: 2_000_000_000 }).map((s) => s * 1000 + 123),
});

function build(root: string, ops: readonly Op[], metas: readonly Meta[]): void {
  const rootB = Buffer.from(root);
  const dirs: Buffer[] = [rootB];
  const files: Buffer[] = [];
  const used = new Set<string>();
  const applied: { path: Buffer; isLink: boolean; isDir: boolean; meta: Meta }[] = [];
  ops.forEach((op, i) => {
    const dir = dirs[i % dirs.length] ?? rootB;
    const path = Buffer.concat([dir, Buffer.from('/'), op.name]);
    if (used.has(path.toString('latin1'))) return;
    used.add(path.toString('latin1'));
    const meta = metas[i % Math.max(1, metas.length)] ?? { mode: 0o644, uid: 0, gid: 0, mtimeMs: 1000 };
    switch (op.k) {
      case 'dir':
        mkdirSync(path);
        dirs.push(path);
        applied.push({ path, isLink: false, isDir: true, meta });
        break;
      case 'file': {
        const fd = openSync(path, 'w');
        if (op.content.length > 0) writeSync(fd, op.content, 0, op.content.length, op.hole);
        closeSync(fd);
        files.push(path);
        applied.push({ path, isLink: false, isDir: false, meta });
        break;
      }
      case 'symlink':
        symlinkSync(op.target, path);
        applied.push({ path, isLink: true, isDir: false, meta });
        break;
      case 'hardlink': {
        const to = files[op.to % Math.max(1, files.length)];
        if (to === undefined) {
          writeFileSync(path, 'x');
          files.push(path);
          applied.push({ path, isLink: false, isDir: false, meta });
        } else linkSync(to, path);
        break;
      }
    }
  });
  // Metadata last, deepest first, so directory times stay.
  for (const a of applied.reverse()) {
    const t = a.meta.mtimeMs / 1000;
    lchownSync(a.path, a.meta.uid, a.meta.gid);
    if (a.isLink) lutimesSync(a.path, t, t);
    else {
      chmodSync(a.path, a.isDir ? a.meta.mode | 0o700 : a.meta.mode);
      utimesSync(a.path, t, t);
    }
  }
}

function normalize(t: ReturnType<typeof describeTree>): unknown {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { ...v, mtimeMs: Math.round(v.mtimeMs / 1000) }]));
}

describe('round trips', () => {
  it('random trees restore to identical bytes and metadata', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), fc.array(metaArb, { minLength: 1, maxLength: 5 }), async (ops, metas) => {
        const d = tempDir('tree');
        const src = join(d, 'src');
        mkdirSync(src);
        build(src, ops, metas);
        const repo = smallRepo(join(d, 'repo'));
        const key = repo.signingKey();
        const snap = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
        const out = join(d, 'out');
        await restore(repo, { snapshot: snap.id, target: out, mode: 'auto', trustedKey: createPublicKey(key), progress: false });
        expect(normalize(describeTree(out))).toEqual(normalize(describeTree(src)));
      }),
      { numRuns: 25 },
    );
  });

  it('a file with holes is restored sparse', async () => {
    const d = tempDir('sparse');
    const src = join(d, 'src');
    mkdirSync(src);
    const fd = openSync(join(src, 'sparse'), 'w');
    writeSync(fd, Buffer.from('end'), 0, 3, 64 * 1024 * 1024);
    closeSync(fd);
    const repo = smallRepo(join(d, 'repo'));
    const key = repo.signingKey();
    const snap = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: key, progress: false });
    await restore(repo, { snapshot: snap.id, target: join(d, 'out'), mode: 'full', trustedKey: createPublicKey(key), progress: false });
    const st = statSync(join(d, 'out', 'sparse'));
    expect(st.size).toBe(64 * 1024 * 1024 + 3);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    expect(readFileSync(join(d, 'out', 'sparse')).equals(readFileSync(join(src, 'sparse')))).toBe(true);
  });

  it('random images restore to identical bytes, sparse, and delta-repair a damaged copy writing only damaged blocks', async () => {
    const region = fc.record({ kind: fc.constantFrom('zero', 'random', 'repeat'), blocks: fc.integer({ min: 0, max: 12 }), seed: fc.nat(255) });
    await fc.assert(
      fc.asyncProperty(fc.array(region, { maxLength: 8 }), fc.integer({ min: 0, max: 4095 }), fc.array(fc.nat(), { maxLength: 6 }), async (regions, tail, damage) => {
        const parts: Buffer[] = regions.map((r) => {
          const b = Buffer.alloc(r.blocks * 4096);
          if (r.kind === 'random') for (let i = 0; i < b.length; i++) b[i] = (i * 7919 + r.seed * 131 + ((i >> 5) ^ r.seed)) & 0xff;
          if (r.kind === 'repeat') b.fill((r.seed % 255) + 1); // never 0: an all-zero block is a hole
          return b;
        });
        parts.push(Buffer.alloc(tail, 0x5a));
        const image = Buffer.concat(parts);
        const d = tempDir('img');
        writeFileSync(join(d, 'img'), image);
        const repo = smallRepo(join(d, 'repo'));
        const key = repo.signingKey();
        const pub = createPublicKey(key);
        const snap = await createImageSnapshot(repo, { source: join(d, 'img'), host: 'h', signingKey: key, progress: false });
        const out = join(d, 'out.img');
        const full = await restore(repo, { snapshot: snap.id, target: out, mode: 'auto', trustedKey: pub, progress: false });
        expect(full.mode).toBe('full');
        expect(readFileSync(out).equals(image)).toBe(true);
        const zeroBytes = regions.reduce((s, r) => s + (r.kind === 'zero' ? r.blocks * 4096 : 0), 0);
        expect(full.bytesWritten).toBe(image.length - zeroBytes);
        // Damage some blocks, then repair in place.
        const damaged = Buffer.from(image);
        const hit = new Set<number>();
        const blocks = Math.ceil(image.length / 4096);
        if (blocks > 0) for (const x of damage) hit.add(x % blocks);
        for (const b of hit) damaged[b * 4096] = (damaged[b * 4096] ?? 0) ^ 0xff;
        writeFileSync(out, damaged);
        const delta = await restore(repo, { snapshot: snap.id, target: out, mode: 'auto', trustedKey: pub, progress: false });
        expect(readFileSync(out).equals(image)).toBe(true);
        expect(delta.blocksWritten).toBe(hit.size);
        if (image.length > 0) expect(delta.mode).toBe('delta');
      }),
      { numRuns: 25 },
    );
  });
});
