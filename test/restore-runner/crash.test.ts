/**
 * Crash tests: a child process is killed with SIGKILL in the middle of `snapshot create` and of
 * `restore` (image full, image delta, tree); afterwards the repository verifies, `prune` removes
 * the leftovers, and running the restore again completes it to an exact result.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBin, killed, removeBin, run, start, until } from './bin.js';
import { describeTree, tempDir } from './helpers.js';

let bin: string;
beforeAll(() => {
  bin = buildBin();
});
afterAll(removeBin);

const MiB = 1024 * 1024;

function image(path: string, mib: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < mib; i++) parts.push(i % 5 === 4 ? Buffer.alloc(MiB) : randomBytes(MiB));
  const b = Buffer.concat(parts);
  writeFileSync(path, b);
  return b;
}

function packFiles(repo: string): string[] {
  const data = join(repo, 'data');
  return existsSync(data) ? readdirSync(data).flatMap((d) => readdirSync(join(data, d))) : [];
}

function json(out: string): Record<string, unknown> {
  const v: unknown = JSON.parse(out);
  if (typeof v !== 'object' || v === null) throw new Error('not an object');
  return Object.fromEntries(Object.entries(v));
}

describe('crash safety', () => {
  it('SIGKILL during snapshot create leaves a repository that verifies; prune removes the leftovers', async () => {
    const d = tempDir('crash-snap');
    const repo = join(d, 'repo');
    expect(run(bin, ['repo', 'init', '--repo', repo]).status).toBe(0);
    image(join(d, 'img'), 120);
    for (const packsBeforeKill of [1, 1 + randomInt(3)]) {
      const child = start(bin, ['snapshot', 'create', '--repo', repo, '--source', join(d, 'img'), '--kind', 'image', '--host', 'h']);
      const before = packFiles(repo).length;
      await until(() => packFiles(repo).length >= before + packsBeforeKill, 'a pack to be written');
      child.kill('SIGKILL');
      expect((await killed(child)).signal).toBe('SIGKILL');
      expect(readdirSync(join(repo, 'snapshots'))).toEqual([]);
      const v = json(run(bin, ['snapshot', 'verify', '--repo', repo, '--read-data', '--json']).stdout);
      expect(v['ok']).toBe(true);
      expect(v['problems']).toEqual([]);
      expect(Array.isArray(v['hints']) && v['hints'].length).toBeGreaterThan(0);
    }
    const p = json(run(bin, ['snapshot', 'prune', '--repo', repo, '--json']).stdout);
    expect(p['leftoverPacksRemoved']).toBeGreaterThan(0);
    expect(packFiles(repo)).toEqual([]);
    const v = json(run(bin, ['snapshot', 'verify', '--repo', repo, '--json']).stdout);
    expect(v).toMatchObject({ ok: true, problems: [], hints: [] });
    // And the repository takes a snapshot again, which restores exactly.
    expect(run(bin, ['snapshot', 'create', '--repo', repo, '--source', join(d, 'img'), '--kind', 'image', '--host', 'h']).status).toBe(0);
    expect(run(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', join(d, 'out.img')]).status).toBe(0);
    expect(readFileSync(join(d, 'out.img')).equals(readFileSync(join(d, 'img')))).toBe(true);
  });

  it('SIGKILL during an image restore (full, then delta): running it again resumes to an exact image', async () => {
    const d = tempDir('crash-restore');
    const repo = join(d, 'repo');
    run(bin, ['repo', 'init', '--repo', repo]);
    const img = image(join(d, 'img'), 160);
    expect(run(bin, ['snapshot', 'create', '--repo', repo, '--source', join(d, 'img'), '--kind', 'image', '--host', 'h']).status).toBe(0);
    const target = join(d, 'disk.img');
    const journal = `${target}.kintsugi-journal`;
    const journalAdvanced = (): boolean => existsSync(journal) && readFileSync(journal, 'utf8').includes('"nextBlock":') && !readFileSync(journal, 'utf8').includes('"nextBlock":0,');

    const full = start(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', target]);
    await until(journalAdvanced, 'the full restore to pass a checkpoint');
    full.kill('SIGKILL');
    expect((await killed(full)).signal).toBe('SIGKILL');
    expect(existsSync(target)).toBe(false); // incomplete: only the partial file and the journal
    expect(existsSync(`${target}.kintsugi-partial`)).toBe(true);
    const again = json(run(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', target, '--json']).stdout);
    expect(again['mode']).toBe('full');
    expect(again['resumedFrom']).toBeGreaterThan(0);
    expect(readFileSync(target).equals(img)).toBe(true);
    expect(existsSync(journal)).toBe(false);

    // Damage two blocks in three (over 64 MiB to rewrite: at least one checkpoint), kill the
    // delta repair midway, run it again.
    const damaged = Buffer.from(img);
    for (let b = 0; b < damaged.length / 4096; b++) if (b % 3 !== 0) damaged[b * 4096 + 1] = (damaged[b * 4096 + 1] ?? 0) ^ 0xff;
    writeFileSync(target, damaged);
    const delta = start(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', target]);
    await until(journalAdvanced, 'the delta restore to pass a checkpoint');
    delta.kill('SIGKILL');
    expect((await killed(delta)).signal).toBe('SIGKILL');
    expect(existsSync(journal)).toBe(true);
    const resumed = json(run(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', target, '--json']).stdout);
    expect(resumed).toMatchObject({ mode: 'delta', verifiedAfterWrite: true });
    expect(resumed['resumedFrom']).toBeGreaterThan(0);
    expect(readFileSync(target).equals(img)).toBe(true);
    expect(statSync(target).size).toBe(img.length);
  });

  it('SIGKILL during a tree restore: running it again completes the tree exactly', async () => {
    const d = tempDir('crash-tree');
    const repo = join(d, 'repo');
    run(bin, ['repo', 'init', '--repo', repo]);
    const src = join(d, 'src');
    // Enough data (300 MiB in 300 files) that the restore is still running when it is killed.
    for (let i = 0; i < 300; i++) {
      mkdirSync(join(src, `d${i % 4}`), { recursive: true });
      writeFileSync(join(src, `d${i % 4}`, `f${i}`), randomBytes(MiB));
    }
    expect(run(bin, ['snapshot', 'create', '--repo', repo, '--source', src, '--kind', 'tree', '--host', 'h']).status).toBe(0);
    const target = join(d, 'out');
    const child = start(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', target]);
    const restored = (): number => (existsSync(target) ? readdirSync(target).flatMap((x) => (x.startsWith('d') ? readdirSync(join(target, x)) : [])).filter((f) => f.startsWith('f')).length : 0);
    const stopAt = 3 + randomInt(30);
    await until(() => restored() >= stopAt, 'some files to be restored');
    child.kill('SIGKILL');
    expect((await killed(child)).signal).toBe('SIGKILL');
    expect(existsSync(join(target, '.kintsugi-restore.json'))).toBe(true);
    const again = json(run(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', target, '--json']).stdout);
    expect(again['mode']).toBe('delta');
    expect(String(again['reason'])).toContain('resuming');
    expect(describeTree(target)).toEqual(describeTree(src));
    expect(existsSync(join(target, '.kintsugi-restore.json'))).toBe(false);
    expect(readdirSync(target, { recursive: true }).filter((n) => String(n).includes("kintsugi-tmp"))).toEqual([]);
  });

  it('two writers at once: the second is refused with RST_ERR_LOCKED naming the first, which completes', async () => {
    const d = tempDir('contention');
    const repo = join(d, 'repo');
    run(bin, ['repo', 'init', '--repo', repo]);
    // The first writer reads its image from a FIFO, so it holds the lock until the test feeds it.
    const fifo = join(d, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const first = start(bin, ['snapshot', 'create', '--repo', repo, '--source', fifo, '--kind', 'image', '--host', 'a']);
    await until(() => existsSync(join(repo, 'locks', 'exclusive')), 'the first writer to take the lock');
    writeFileSync(join(d, 'img'), randomBytes(MiB));
    const second = run(bin, ['snapshot', 'create', '--repo', repo, '--source', join(d, 'img'), '--kind', 'image', '--host', 'b']);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('RST_ERR_LOCKED');
    expect(second.stderr).toContain(`pid ${first.pid ?? ''}`);
    writeFileSync(fifo, readFileSync(join(d, 'img')));
    expect((await killed(first)).code).toBe(0);
    expect(readdirSync(join(repo, 'snapshots'))).toHaveLength(1);
    expect(readdirSync(join(repo, 'locks'))).toEqual([]);
    expect(run(bin, ['snapshot', 'create', '--repo', repo, '--source', join(d, 'img'), '--kind', 'image', '--host', 'b']).status).toBe(0);
  });
});
