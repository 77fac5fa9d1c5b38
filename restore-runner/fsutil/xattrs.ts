/**
 * Extended attributes (and so POSIX ACLs, which Linux keeps in system.posix_acl_access and
 * system.posix_acl_default) of a whole tree, through Debian's `attr` tools: Node has no xattr
 * API, and one `getfattr -R` or `setfattr --restore` process for a tree costs less than one per
 * file. Names in their dump format are octal-escaped (`\ooo`); other bytes pass through raw.
 */
import { spawnSync } from 'node:child_process';
import type { RawPath, Xattr } from '../format/v1/manifest.js';

export type XattrRead =
  | { readonly ok: true; readonly byPath: ReadonlyMap<RawPath, readonly Xattr[]> }
  | { readonly ok: false; readonly reason: string };

const MAX_DUMP = 1024 * 1024 * 1024;

/** Undo getfattr's quoting: `\ooo` is one byte; everything else is itself. */
function unquote(s: string): RawPath {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Quote for setfattr: backslash, control bytes, space-like and `=` as `\ooo`. */
function quote(raw: RawPath): string {
  let out = '';
  for (const ch of raw) {
    const c = ch.charCodeAt(0);
    out += c <= 0x20 || c === 0x7f || ch === '\\' || ch === '=' ? `\\${c.toString(8).padStart(3, '0')}` : ch;
  }
  return out;
}

/** getfattr's name for a path under `.` (it drops the "./") to a raw relative path ("" for the root). */
function relOf(shown: RawPath): RawPath | undefined {
  if (shown === '.') return '';
  const rel = shown.startsWith('./') ? shown.slice(2) : shown;
  return rel === '' || rel.startsWith('/') ? undefined : rel;
}

/**
 * Every xattr readable under `root` (the root included), symlinks not followed. Not an error
 * when the tool is missing: the caller says that xattrs were not recorded and why.
 */
export function readTreeXattrs(root: string): XattrRead {
  const r = spawnSync('getfattr', ['-R', '-d', '-m', '-', '-e', 'base64', '-P', '-h', '.'], { cwd: root, maxBuffer: MAX_DUMP, encoding: 'latin1' });
  if (r.error !== undefined) return { ok: false, reason: `getfattr not runnable (${r.error.message}); install Debian's attr package` };
  // getfattr exits 1 when some file vanished or could not be read; what it did print stands.
  if (r.status !== 0 && r.stdout.length === 0 && r.stderr.length > 0) return { ok: false, reason: `getfattr failed: ${r.stderr.trim().slice(0, 200)}` };
  return { ok: true, byPath: parseDump(r.stdout) };
}

/** Parse getfattr's `-d -e base64` dump (latin1 text: one char per byte). */
export function parseDump(text: string): ReadonlyMap<RawPath, readonly Xattr[]> {
  const out = new Map<RawPath, Xattr[]>();
  let cur: Xattr[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      const rel = relOf(unquote(line.slice(8)));
      cur = rel === undefined ? undefined : [];
      if (rel !== undefined && cur !== undefined) out.set(rel, cur);
      continue;
    }
    if (cur === undefined || line === '') continue;
    const eq = line.indexOf('=');
    const name = unquote(eq < 0 ? line : line.slice(0, eq));
    const v = eq < 0 ? '' : line.slice(eq + 1);
    // -e base64 gives "0s<base64>"; an empty value may also print as "" (quoted text).
    const value = v.startsWith('0s') ? Buffer.from(v.slice(2), 'base64') : v === '""' || v === '' ? Buffer.alloc(0) : Buffer.from(v, 'latin1');
    cur.push({ name, value });
  }
  for (const list of out.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

export interface XattrChange {
  readonly path: RawPath;
  readonly set: readonly Xattr[];
  readonly remove: readonly RawPath[];
}

export type XattrWrite = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Apply changes under `root` (one setfattr for all sets; removals one call each, rare). */
export function writeTreeXattrs(root: string, changes: readonly XattrChange[]): XattrWrite {
  const dump: string[] = [];
  const problems: string[] = [];
  for (const c of changes) {
    const path = c.path === '' ? '.' : `./${c.path}`;
    for (const name of c.remove) {
      const r = spawnSync('setfattr', ['-h', '-x', Buffer.from(name, 'latin1').toString('utf8'), Buffer.from(path, 'latin1').toString('utf8')], { cwd: root, encoding: 'utf8' });
      if (r.error !== undefined) return { ok: false, reason: `setfattr not runnable (${r.error.message}); install Debian's attr package` };
      if (r.status !== 0) problems.push(r.stderr.trim());
    }
    if (c.set.length === 0) continue;
    dump.push(`# file: ${quote(path)}`);
    for (const x of c.set) dump.push(`${quote(x.name)}=0s${x.value.toString('base64')}`);
    dump.push('');
  }
  if (dump.length > 0) {
    const r = spawnSync('setfattr', ['-h', '--restore=-'], { cwd: root, input: Buffer.from(`${dump.join('\n')}\n`, 'latin1'), encoding: 'utf8', maxBuffer: MAX_DUMP });
    if (r.error !== undefined) return { ok: false, reason: `setfattr not runnable (${r.error.message}); install Debian's attr package` };
    if (r.status !== 0) problems.push(r.stderr.trim());
  }
  return problems.length === 0 ? { ok: true } : { ok: false, reason: problems.join('; ').slice(0, 500) };
}

/** Equal lists (both sorted by name). */
export function sameXattrs(a: readonly Xattr[] | undefined, b: readonly Xattr[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((e, i) => e.name === y[i]?.name && e.value.equals(y[i].value));
}

/** What turns `have` into `want`. */
export function xattrChange(path: RawPath, want: readonly Xattr[] | undefined, have: readonly Xattr[] | undefined): XattrChange {
  const w = want ?? [];
  const names = new Set(w.map((x) => x.name));
  const haveMap = new Map((have ?? []).map((x) => [x.name, x.value]));
  return {
    path,
    set: w.filter((x) => !(haveMap.get(x.name)?.equals(x.value) ?? false)),
    remove: (have ?? []).filter((x) => !names.has(x.name)).map((x) => x.name),
  };
}
