/** The commands end to end through a child process: output, exit codes, export readable by tar. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBin, removeBin, run } from './bin.js';
import { describeTree, tempDir } from './helpers.js';

let bin: string;
beforeAll(() => {
  bin = buildBin();
});
afterAll(removeBin);

function jsonOf(out: string): unknown {
  return JSON.parse(out);
}

describe('kintsugi repo / snapshot / restore commands', () => {
  it('help tells the modes and options', () => {
    const r = run(bin, ['restore', '--help']);
    expect(r.status).toBe(0);
    for (const word of ['--mode', 'auto', 'delta', 'files', '--dry-run', '--path', '--trust-key', '--delete']) expect(r.stdout).toContain(word);
    const s = run(bin, ['snapshot', '--help']);
    for (const c of ['create', 'list', 'ls', 'verify', 'forget', 'prune', 'export']) expect(s.stdout).toContain(c);
  });

  it('usage errors exit 2, failures exit 1 naming the path', () => {
    expect(run(bin, ['restore', '--snapshot', 'latest', '--target', '/tmp/x']).status).toBe(2);
    expect(run(bin, ['restore', '--repo', '/nope', '--snapshot', 'latest', '--target', '/tmp/x', '--mode', 'sideways']).status).toBe(2);
    const missing = run(bin, ['snapshot', 'list', '--repo', '/nonexistent/repo']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('RST_ERR_REPO_NOT_FOUND');
    expect(missing.stderr).toContain('/nonexistent/repo');
    const d = tempDir('cli-usage');
    run(bin, ['repo', 'init', '--repo', join(d, 'repo')]);
    const forget = run(bin, ['snapshot', 'forget', '--repo', join(d, 'repo')]);
    expect(forget.status).toBe(2);
    expect(forget.stderr).toContain('--keep');
    const again = run(bin, ['repo', 'init', '--repo', join(d, 'repo')]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('RST_ERR_REPO_EXISTS');
  });

  it('a tree goes through create, list, ls, export tar, forget and prune', () => {
    const d = tempDir('cli-tree');
    const repo = join(d, 'repo');
    const src = join(d, 'src');
    mkdirSync(join(src, 'etc'), { recursive: true });
    writeFileSync(join(src, 'etc', 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(src, 'etc', 'long-'.repeat(30)), 'a long name\n');
    symlinkSync('hosts', join(src, 'etc', 'hosts.link'));
    expect(run(bin, ['repo', 'init', '--repo', repo]).status).toBe(0);
    const created = run(bin, ['snapshot', 'create', '--repo', repo, '--source', src, '--kind', 'tree', '--host', 'web-01', '--instance', 'root', '--os-line', '4.2', '--os-version', '4.2.7', '--tag', 'nightly', '--json']);
    expect(created.status).toBe(0);
    writeFileSync(join(src, 'etc', 'hosts'), '127.0.0.1 localhost web-01\n');
    expect(run(bin, ['snapshot', 'create', '--repo', repo, '--source', src, '--kind', 'tree', '--host', 'web-01', '--instance', 'root']).status).toBe(0);
    const list = jsonOf(run(bin, ['snapshot', 'list', '--repo', repo, '--json']).stdout);
    expect(list).toEqual([
      expect.objectContaining({ host: 'web-01', instance: 'root', os: { line: '4.2', version: '4.2.7' }, tags: ['nightly'], parent: null }),
      expect.objectContaining({ host: 'web-01', tags: [] }),
    ]);
    const ls = run(bin, ['snapshot', 'ls', '--repo', repo, '--snapshot', 'latest']);
    expect(ls.stdout).toContain('etc/hosts.link -> hosts');
    // tar export, extracted by the system tar, is the source tree.
    const tarFile = join(d, 'snap.tar');
    expect(run(bin, ['snapshot', 'export', '--repo', repo, '--snapshot', 'latest', '--format', 'tar', '--output', tarFile]).status).toBe(0);
    const x = join(d, 'x');
    mkdirSync(x);
    execFileSync('tar', ['-xpf', tarFile, '-C', x]);
    expect(describeTree(x)).toEqual(describeTree(src));
    expect(run(bin, ['snapshot', 'export', '--repo', repo, '--snapshot', 'latest', '--format', 'raw']).status).toBe(1);
    // forget keeps the newest, prune reclaims the rest; verify stays clean.
    const f = run(bin, ['snapshot', 'forget', '--repo', repo, '--keep-last', '1', '--prune']);
    expect(f.status).toBe(0);
    expect(f.stdout).toMatch(/keep +[0-9a-f]{12} +last snapshot #1/);
    expect(f.stdout).toMatch(/remove [0-9a-f]{12} +matched no keep rule/);
    expect(jsonOf(run(bin, ['snapshot', 'list', '--repo', repo, '--json']).stdout)).toHaveLength(1);
    const v = run(bin, ['snapshot', 'verify', '--repo', repo, '--read-data']);
    expect(v.status).toBe(0);
    expect(v.stdout).toContain('no problems found');
  });

  it('an image exports raw, and restore prints its plan with --dry-run', () => {
    const d = tempDir('cli-image');
    const repo = join(d, 'repo');
    const img = Buffer.concat([Buffer.alloc(8192, 1), Buffer.alloc(16384), Buffer.alloc(1000, 2)]);
    writeFileSync(join(d, 'img'), img);
    run(bin, ['repo', 'init', '--repo', repo]);
    expect(run(bin, ['snapshot', 'create', '--repo', repo, '--source', join(d, 'img'), '--kind', 'image', '--host', 'h']).status).toBe(0);
    expect(run(bin, ['snapshot', 'export', '--repo', repo, '--snapshot', 'latest', '--format', 'raw', '--output', join(d, 'raw')]).status).toBe(0);
    expect(readFileSync(join(d, 'raw')).equals(img)).toBe(true);
    const plan = run(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', join(d, 'new.img'), '--dry-run']);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toContain('mode: full');
    expect(plan.stdout).toContain('would write 9192 bytes');
    const tampered = readFileSync(join(d, 'raw'));
    tampered[0] = 9;
    writeFileSync(join(d, 'damaged.img'), tampered);
    const delta = run(bin, ['restore', '--repo', repo, '--snapshot', 'latest', '--target', join(d, 'damaged.img')]);
    expect(delta.stdout).toContain('mode: delta');
    expect(delta.stdout).toContain('wrote 4096 bytes');
    expect(readFileSync(join(d, 'damaged.img')).equals(img)).toBe(true);
  });

  it('verify exits 1 and lists each problem with its code', () => {
    const d = tempDir('cli-verify');
    const repo = join(d, 'repo');
    run(bin, ['repo', 'init', '--repo', repo]);
    writeFileSync(join(d, 'img'), Buffer.alloc(10000, 3));
    run(bin, ['snapshot', 'create', '--repo', repo, '--source', join(d, 'img'), '--kind', 'image', '--host', 'h']);
    const snaps = execFileSync('ls', [join(repo, 'snapshots')], { encoding: 'utf8' }).trim().split('\n');
    const p = join(repo, 'snapshots', snaps[0] ?? '');
    writeFileSync(p, readFileSync(p, 'utf8').replace('"host":"h"', '"host":"x"'));
    const v = run(bin, ['snapshot', 'verify', '--repo', repo]);
    expect(v.status).toBe(1);
    expect(v.stdout).toContain('error RST_ERR_SNAPSHOT_ID_MISMATCH');
    const r = run(bin, ['restore', '--repo', repo, '--snapshot', snaps[0] ?? '', '--target', join(d, 'out')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('RST_ERR_SNAPSHOT_ID_MISMATCH');
  });
});
