/**
 * Tree metadata beyond files: extended attributes (user.*, and security.* where readable), POSIX
 * ACLs (system.posix_acl_*), FIFOs, device nodes (as root), sockets (skipped with a note) and
 * the source directory's own mode, owner and times. Real trees, real setfattr/setfacl (Debian's
 * attr and acl, installed with apt-get when missing).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDump, readTreeXattrs } from '../../restore-runner/fsutil/xattrs.js';
import { restore } from '../../restore-runner/restore/restore.js';
import { createTreeSnapshot } from '../../restore-runner/snapshot/create-tree.js';
import { readManifest } from '../../restore-runner/snapshot/content.js';
import { openSnapshotForRead, withContext } from '../../restore-runner/restore/prepare.js';
import { smallRepo, tempDir } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const has = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).error === undefined;

let toolsMissing: string | undefined;
beforeAll(() => {
  if ((!has('getfattr') || !has('setfacl')) && isRoot && has('apt-get')) {
    spawnSync('apt-get', ['install', '-y', '-q', 'attr', 'acl'], { stdio: 'ignore', timeout: 180_000 });
  }
  if (!has('getfattr') || !has('setfattr') || !has('setfacl')) toolsMissing = 'getfattr/setfattr/setfacl not installed and apt-get could not install attr and acl';
}, 200_000);

function skipped(): boolean {
  if (toolsMissing === undefined) return false;
  console.warn(`skipped: ${toolsMissing}`);
  return true;
}

const sh = (cmd: string, args: readonly string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

/** Everything getfattr sees, with paths relative to the root. */
function xattrDump(root: string): Record<string, Record<string, string>> {
  const r = readTreeXattrs(root);
  if (!r.ok) throw new Error(r.reason);
  const out: Record<string, Record<string, string>> = {};
  for (const [p, list] of r.byPath) out[p] = Object.fromEntries(list.map((x) => [x.name, x.value.toString('base64')]));
  return out;
}

function meta(p: string): { mode: number; uid: number; gid: number; mtimeMs: number; kind: string; rdev: number } {
  const st = lstatSync(p);
  const kind = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'chardev' : st.isSocket() ? 'socket' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: Math.floor(st.mtimeMs), kind, rdev: st.rdev };
}

function makeSource(dir: string): string {
  const src = join(dir, 'src');
  mkdirSync(join(src, 'etc', 'shared'), { recursive: true });
  writeFileSync(join(src, 'etc', 'app.conf'), 'key = value\n');
  writeFileSync(join(src, 'etc', 'secret'), 'top secret\n');
  sh('setfattr', ['-n', 'user.origin', '-v', 'kintsugi test', join(src, 'etc', 'app.conf')]);
  sh('setfattr', ['-n', 'user.binary', '-v', '0sAAEC/w==', join(src, 'etc', 'app.conf')]);
  sh('setfattr', ['-n', 'user.empty', join(src, 'etc', 'app.conf')]);
  sh('setfattr', ['-n', 'user.dir-note', '-v', 'on a directory', join(src, 'etc')]);
  sh('setfattr', ['-n', 'user.root-note', '-v', 'on the root', src]);
  sh('setfacl', ['-m', 'u:1234:r,g:4321:rw', join(src, 'etc', 'secret')]);
  sh('setfacl', ['-d', '-m', 'g:99:rx', join(src, 'etc', 'shared')]);
  sh('mkfifo', [join(src, 'etc', 'pipe')]);
  if (isRoot) sh('mknod', [join(src, 'etc', 'null-copy'), 'c', '1', '3']);
  // A socket: bound by a short-lived process, its file stays.
  sh('python3', ['-c', `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(join(src, 'etc', 'sock'))})`]);
  chmodSync(src, 0o751);
  if (isRoot) chownSync(src, 123, 456);
  utimesSync(join(src, 'etc'), 1_600_000_000, 1_600_000_000);
  utimesSync(src, 1_500_000_000, 1_500_000_000);
  return src;
}

describe('tree metadata', () => {
  it('xattrs, ACLs, FIFOs, device nodes and the root directory survive snapshot and full restore; sockets are skipped with a note', async () => {
    if (skipped()) return;
    const dir = tempDir('meta');
    const repo = smallRepo(join(dir, 'repo'));
    const src = makeSource(dir);
    const before = xattrDump(src);
    expect(Object.keys(before['etc/secret'] ?? {})).toContain('system.posix_acl_access');
    expect(Object.keys(before['etc/shared'] ?? {})).toContain('system.posix_acl_default');
    const s = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: repo.signingKey(), progress: false });
    expect(s.payload.summary.skipped).toBe(1);
    expect(s.notes?.join('\n')).toMatch(/1 socket\(s\) skipped/);
    const nodes = withContext(openSnapshotForRead(repo, s.id, repo.trustedKey()), (ctx) => readManifest(ctx.record, ctx.reader));
    expect(nodes[0]).toMatchObject({ path: '', type: 'dir', mode: 0o751 });
    expect(nodes.find((n) => n.path === 'etc/pipe')?.type).toBe('fifo');
    if (isRoot) expect(nodes.find((n) => n.path === 'etc/null-copy')).toMatchObject({ type: 'chardev', major: 1, minor: 3 });

    const out = join(dir, 'out');
    const r = await restore(repo, { snapshot: s.id, target: out, mode: 'full', trustedKey: repo.trustedKey(), progress: false });
    expect(r.mode).toBe('full');
    expect(xattrDump(out)).toEqual(before);
    expect(sh('getfacl', ['-cp', join(out, 'etc', 'secret')])).toBe(sh('getfacl', ['-cp', join(src, 'etc', 'secret')]));
    expect(sh('getfacl', ['-cp', join(out, 'etc', 'shared')])).toBe(sh('getfacl', ['-cp', join(src, 'etc', 'shared')]));
    for (const p of ['', 'etc', 'etc/pipe', 'etc/app.conf', 'etc/secret', ...(isRoot ? ['etc/null-copy'] : [])]) {
      expect({ p, ...meta(join(out, p)) }).toEqual({ p, ...meta(join(src, p)) });
    }
    expect(() => lstatSync(join(out, 'etc', 'sock'))).toThrow(/ENOENT/);
  });

  it('a delta restore puts back changed xattrs, ACLs and root metadata without rewriting file data', async () => {
    if (skipped()) return;
    const dir = tempDir('meta');
    const repo = smallRepo(join(dir, 'repo'));
    const src = makeSource(dir);
    const s = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: repo.signingKey(), progress: false });
    const out = join(dir, 'out');
    await restore(repo, { snapshot: s.id, target: out, mode: 'full', trustedKey: repo.trustedKey(), progress: false });
    const want = xattrDump(out);
    sh('setfattr', ['-x', 'user.origin', join(out, 'etc', 'app.conf')]);
    sh('setfattr', ['-n', 'user.intruder', '-v', 'x', join(out, 'etc', 'app.conf')]);
    sh('setfattr', ['-n', 'user.binary', '-v', 'changed', join(out, 'etc', 'app.conf')]);
    sh('setfacl', ['-b', join(out, 'etc', 'secret')]);
    chmodSync(join(out, 'etc', 'secret'), 0o644);
    chmodSync(out, 0o700);
    expect(xattrDump(out)).not.toEqual(want);
    const r = await restore(repo, { snapshot: s.id, target: out, mode: 'delta', trustedKey: repo.trustedKey(), progress: false });
    expect(r).toMatchObject({ mode: 'delta', bytesWritten: 0, filesWritten: 0 });
    expect(xattrDump(out)).toEqual(want);
    expect(meta(out)).toEqual(meta(src));
    expect(sh('getfacl', ['-cp', join(out, 'etc', 'secret')])).toBe(sh('getfacl', ['-cp', join(src, 'etc', 'secret')]));
    // Nothing left to fix: a second delta finds every non-directory entry the same
    // (app.conf, secret, pipe, and the device node as root); the first had two to fix.
    const again = await restore(repo, { snapshot: s.id, target: out, mode: 'delta', trustedKey: repo.trustedKey(), progress: false });
    expect(again.filesUnchanged).toBe(isRoot ? 4 : 3);
    expect(r.filesUnchanged).toBe(again.filesUnchanged - 2);
  });

  it('a changed xattr alone (no new mtime) is in the next snapshot', () => {
    if (skipped()) return;
    const dir = tempDir('meta');
    const repo = smallRepo(join(dir, 'repo'));
    const src = makeSource(dir);
    createTreeSnapshot(repo, { source: src, host: 'h', signingKey: repo.signingKey(), progress: false });
    sh('setfattr', ['-n', 'user.origin', '-v', 'changed', join(src, 'etc', 'app.conf')]);
    const s2 = createTreeSnapshot(repo, { source: src, host: 'h', signingKey: repo.signingKey(), progress: false });
    expect(s2.payload.summary.filesUnchanged).toBe(s2.payload.summary.files);
    const nodes = withContext(openSnapshotForRead(repo, s2.id, repo.trustedKey()), (ctx) => readManifest(ctx.record, ctx.reader));
    const x = nodes.find((n) => n.path === 'etc/app.conf')?.xattrs?.find((a) => a.name === 'user.origin');
    expect(x?.value.toString()).toBe('changed');
  });
});

describe('getfattr dump parsing', () => {
  it('reads octal-escaped names, raw high bytes, empty values', () => {
    const text = Buffer.from('# file: ./a\\012b\\134c\n user.x=0sAAE=\nuser.e=0s\n\n# file: \xff\n user.y=0sMQ==\n\n# file: .\nuser.r=""\n', 'latin1').toString('latin1').replace(/\n /g, '\n');
    const m = parseDump(text);
    expect([...m.keys()]).toEqual(['a\nb\\c', '\xff', '']);
    expect(m.get('a\nb\\c')?.map((x) => [x.name, x.value.toString('hex')])).toEqual([['user.e', ''], ['user.x', '0001']]);
    expect(m.get('')?.[0]?.value.length).toBe(0);
  });
});
