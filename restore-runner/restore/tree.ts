/**
 * Restore of a tree snapshot into a directory.
 *
 * 1. Plan: compare each snapshot node with what the target holds (files by size and SHA-256,
 *    symlinks by text, hard links by inode); refuse any path that would pass through a symlink
 *    in the target.
 * 2. Prove the packs of every chunk to be written (restore/prepare.ts). Nothing is written before.
 * 3. Write, in path order: directories, then files (temporary file, fsync, read back and hash,
 *    rename), symlinks and hard links (made under a temporary name, renamed into place).
 * 4. Set owners, modes and times, deepest first (the target directory itself last, from the
 *    root node); then extended attributes and ACLs, one `setfattr` for the tree (fsutil/xattrs.ts);
 *    remove extra entries with --delete. FIFOs and device nodes are made with mkfifo / mknod
 *    (device nodes only as root; otherwise they are left out and the report says so).
 * `D/.kintsugi-restore.json` marks the target incomplete until the end; running the restore again
 * resumes it (as a delta: what is already in place is kept).
 */
import { randomBytes, createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import {
  closeSync, fsync, ftruncateSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync,
  readlinkSync, readSync, realpathSync, renameSync, rmSync, symlinkSync, chmodSync, unlinkSync, writeSync, utimesSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { errnoOf, messageOf, rstError } from '../errors.js';
import type { Id } from '../format/v1/ids.js';
import { shortId } from '../format/v1/ids.js';
import { type DeviceNode, type FifoNode, type FileNode, type RawPath, rawToDisplay, rawToUtf8, ROOT_PATH, TREE_JOURNAL_NAME, type TreeNode, type Xattr } from '../format/v1/manifest.js';
import { deviceNumbers } from '../fsutil/device-numbers.js';
import { readTreeXattrs, sameXattrs, writeTreeXattrs, xattrChange } from '../fsutil/xattrs.js';
import { spawnSync } from 'node:child_process';
import { fsPath, joinRaw, parentRaw, rawFromArg } from '../fsutil/raw-path.js';
import { readManifest } from '../snapshot/content.js';
import { cancelled, ControlPoint, restoreBars, type RestoreControl } from './control.js';
import { pathSelector } from './glob.js';
import { readJournal, removeJournal, writeJournal } from './journal.js';
import { preverifyBlobs, type RestoreContext } from './prepare.js';
import type { RestoreReport } from './report.js';
import { assertInsideTarget } from './safe-path.js';
import { fsyncDir } from '../repository/files.js';

export interface TreeRestoreOptions {
  readonly target: string;
  readonly mode: 'auto' | 'full' | 'delta' | 'files';
  readonly paths?: readonly string[];
  readonly delete?: boolean;
  readonly dryRun?: boolean;
  readonly progress?: boolean;
  readonly control?: RestoreControl;
}

type Action = 'same' | 'write' | 'fix-meta';

interface Step {
  readonly node: TreeNode;
  /** For a hard link whose target was not selected: the file whose content it gets. */
  readonly content?: FileNode;
  action: Action;
}

const SPARSE_BLOCK = 4096;
const TMP_PREFIX = '.kintsugi-tmp-';
const MAX_PENDING_FSYNCS = 64;

function lstatOrUndefined(p: Buffer): BigIntStats | undefined {
  try {
    return lstatSync(p, { bigint: true });
  } catch (err: unknown) {
    const c = errnoOf(err);
    if (c === 'ENOENT' || c === 'ENOTDIR') return undefined;
    throw err;
  }
}

function hashFile(p: Buffer): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  const fd = openSync(p, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function isEmptyDir(p: string): boolean {
  try {
    return readdirSync(p).filter((n) => n !== TREE_JOURNAL_NAME).length === 0;
  } catch (err: unknown) {
    if (errnoOf(err) === 'ENOENT') return true;
    throw rstError('RST_ERR_TARGET_INVALID', p, messageOf(err));
  }
}

export async function restoreTree(ctx: RestoreContext, opts: TreeRestoreOptions): Promise<RestoreReport> {
  const { record, reader } = ctx;
  const dryRun = opts.dryRun ?? false;
  const targetArg = resolve(opts.target);
  const journalPath = `${targetArg}/${TREE_JOURNAL_NAME}`;
  const journal = readJournal(journalPath);
  const resuming = journal !== undefined && journal.snapshot === record.id;
  const ctl = new ControlPoint(opts.control, opts.progress === false ? null : restoreBars(() => mode));

  // 1. Mode.
  let mode: 'full' | 'delta' | 'files';
  let reason: string;
  const empty = isEmptyDir(targetArg);
  if (opts.mode === 'files' || (opts.mode === 'auto' && (opts.paths?.length ?? 0) > 0)) {
    if ((opts.paths?.length ?? 0) === 0) throw rstError('RST_ERR_USAGE', '--mode files needs at least one --path');
    mode = 'files';
    reason = opts.mode === 'files' ? '--mode files was asked for' : `--path given: only ${opts.paths?.join(', ') ?? ''}`;
  } else if (opts.mode === 'full') {
    if (!empty) throw rstError('RST_ERR_TARGET_INVALID', targetArg, 'it is not empty; a full restore needs an empty or new directory (use --mode delta)');
    mode = 'full';
    reason = '--mode full was asked for';
  } else if (opts.mode === 'delta') {
    mode = 'delta';
    reason = '--mode delta was asked for';
  } else if (resuming) {
    mode = 'delta';
    reason = `resuming the interrupted restore of ${shortId(record.id)} (${journalPath})`;
  } else if (empty) {
    mode = 'full';
    reason = 'the target does not exist or is empty';
  } else {
    mode = 'delta';
    reason = 'the target holds files, an earlier state: only the files that differ are written';
  }

  const nodes = readManifest(record, reader);
  const byPath = new Map<RawPath, TreeNode>(nodes.map((n) => [n.path, n]));
  let selected: readonly TreeNode[] = nodes;
  if (mode === 'files') {
    const sel = pathSelector(opts.paths ?? []);
    const want = new Set<RawPath>();
    for (const n of nodes) {
      if (!sel(rawToDisplay(n.path))) continue;
      want.add(n.path);
      for (let p = parentRaw(n.path); p !== undefined; p = parentRaw(p)) want.add(p);
    }
    if (want.size === 0) throw rstError('RST_ERR_SNAPSHOT_NOT_FOUND', `paths ${opts.paths?.join(', ') ?? ''}`, `snapshot ${shortId(record.id)}`, ctx.repo.dir);
    selected = nodes.filter((n) => want.has(n.path) && n.path !== ROOT_PATH);
  }
  const selectedSet = new Set(selected.map((n) => n.path));

  // The target is created only once everything is proven (step 4); until then it may not exist.
  const exists = lstatOrUndefined(fsPath(rawFromArg(targetArg))) !== undefined;
  let rootRaw: RawPath;
  try {
    rootRaw = rawFromArg(exists ? realpathSync(targetArg) : targetArg);
  } catch (err: unknown) {
    throw rstError('RST_ERR_TARGET_INVALID', targetArg, messageOf(err));
  }
  const abs = (p: RawPath): Buffer => fsPath(joinRaw(rootRaw, p));

  // 2. Plan (and refuse escapes) before anything is written.
  const notes: string[] = [];
  const isRoot = process.getuid?.() === 0;
  const anyXattrs = selected.some((n) => (n.xattrs?.length ?? 0) > 0);
  const haveBefore = mode !== 'full' && exists ? readTreeXattrs(targetArg) : undefined;
  if (anyXattrs && haveBefore !== undefined && !haveBefore.ok) throw rstError('RST_ERR_TARGET_INVALID', targetArg, `the snapshot holds extended attributes or ACLs: ${haveBefore.reason}`);
  const xattrsBefore = haveBefore?.ok === true ? haveBefore.byPath : new Map<RawPath, readonly Xattr[]>();
  const steps: Step[] = [];
  const written = new Set<RawPath>();
  let bytesToWrite = 0;
  let filesUnchanged = 0;
  for (const node of selected) {
    // Planning reads and hashes what the target holds: cancellable between files, nothing written yet.
    if (mode !== 'full' && (await ctl.stopHere())) throw cancelled(targetArg, 'nothing was written');
    if (node.path === ROOT_PATH) {
      // The target directory itself: only its metadata, never replaced.
      const st = lstatOrUndefined(fsPath(rootRaw));
      steps.push({ node, action: st !== undefined && metaMatches(node, st, xattrsBefore.get(ROOT_PATH)) ? 'same' : 'fix-meta' });
      continue;
    }
    if ((node.type === 'chardev' || node.type === 'blockdev') && !isRoot) {
      notes.push(`${rawToDisplay(node.path)}: device node left out (making one needs root)`);
      continue;
    }
    if ((node.type === 'fifo' || node.type === 'chardev' || node.type === 'blockdev') && rawToUtf8(joinRaw(rootRaw, node.path)) === undefined) {
      notes.push(`${rawToDisplay(node.path)}: special file left out (mkfifo/mknod take UTF-8 names only)`);
      continue;
    }
    assertInsideTarget(rootRaw, node.path);
    let content: FileNode | undefined;
    if (node.type === 'hardlink' && !selectedSet.has(node.linkTo)) {
      const f = byPath.get(node.linkTo);
      if (f?.type === 'file') content = f;
    }
    const st = mode === 'full' ? undefined : lstatOrUndefined(abs(node.path));
    let action: Action = 'write';
    if (st !== undefined) {
      switch (node.type) {
        case 'dir':
          action = st.isDirectory() ? 'fix-meta' : 'write';
          break;
        case 'file':
          action = st.isFile() && Number(st.size) === node.size && hashFile(abs(node.path)) === node.sha256 ? 'same' : 'write';
          break;
        case 'symlink':
          action = st.isSymbolicLink() && readlinkSync(abs(node.path), { encoding: 'buffer' }).toString('latin1') === node.target ? 'same' : 'write';
          break;
        case 'fifo':
          action = st.isFIFO() ? 'same' : 'write';
          break;
        case 'chardev':
        case 'blockdev': {
          const d = deviceNumbers(st.rdev);
          action = (node.type === 'chardev' ? st.isCharacterDevice() : st.isBlockDevice()) && d.major === node.major && d.minor === node.minor ? 'same' : 'write';
          break;
        }
        case 'hardlink': {
          if (content !== undefined) {
            action = st.isFile() && Number(st.size) === content.size && hashFile(abs(node.path)) === content.sha256 ? 'same' : 'write';
          } else {
            const other = lstatOrUndefined(abs(node.linkTo));
            action = other !== undefined && st.isFile() && other.ino === st.ino && other.dev === st.dev && !written.has(node.linkTo) ? 'same' : 'write';
          }
          break;
        }
      }
      if (action === 'same' && !metaMatches(node, st, xattrsBefore.get(node.path))) action = 'fix-meta';
    }
    if (action === 'write') written.add(node.path);
    if (action === 'same') filesUnchanged++;
    const f = node.type === 'file' ? node : content;
    if (action === 'write' && f !== undefined) bytesToWrite += f.size;
    steps.push(content === undefined ? { node, action } : { node, content, action });
  }
  const extras = mode === 'full' ? [] : findExtras(rootRaw, new Set(nodes.map((n) => n.path)));
  // Temporary files of an interrupted restore are ours: always removed; other extras only with --delete.
  const isOurTmp = (p: RawPath): boolean => (p.slice(p.lastIndexOf('/') + 1)).startsWith(TMP_PREFIX);
  const removing = extras.filter((e) => isOurTmp(e) || (opts.delete === true && mode === 'delta'));

  // 3. Prove the data of everything to be written.
  const chunkIds = new Set<Id>();
  for (const s of steps) {
    if (s.action !== 'write') continue;
    const f = s.node.type === 'file' ? s.node : s.content;
    if (f !== undefined) for (const c of f.chunks) chunkIds.add(c);
  }
  const packsVerified = preverifyBlobs(ctx, chunkIds);
  const filesWritten = steps.filter((s) => s.action === 'write' && (s.node.type === 'file' || s.content !== undefined)).length;
  const report = (bytesWritten: number, verified: boolean): RestoreReport => ({
    snapshot: record.id, kind: 'tree', target: targetArg, mode, reason, dryRun,
    bytesTotal: selected.reduce((s, n) => s + (n.type === 'file' ? n.size : 0), 0),
    bytesWritten, blocksWritten: 0, blocksTotal: 0, filesWritten, filesUnchanged,
    entriesRemoved: removing.filter((e) => !isOurTmp(e)).length, resumedFrom: resuming ? 0 : null, packsVerified, verifiedAfterWrite: verified,
    ...(notes.length > 0 ? { notes } : {}),
  });
  if (dryRun) {
    ctl.report({ phase: 'done', bytesDone: 0, bytesTotal: bytesToWrite, filesDone: 0, filesTotal: filesWritten });
    return report(bytesToWrite, false);
  }
  if (await ctl.stopHere()) throw cancelled(targetArg, 'nothing was written');

  // 4. Write.
  try {
    mkdirSync(targetArg, { recursive: true });
  } catch (err: unknown) {
    throw rstError('RST_ERR_TARGET_INVALID', targetArg, messageOf(err));
  }
  writeJournal(journalPath, { snapshot: record.id, mode, nextBlock: 0, bytesWritten: 0 });
  let bytesWritten = 0;
  let filesDone = 0;
  const progressNow = (phase: 'write' | 'done'): void => ctl.report({ phase, bytesDone: bytesWritten, bytesTotal: bytesToWrite, filesDone, filesTotal: filesWritten });
  // Between files every file is whole (old or new: temporary file, fsync, rename) and the journal
  // stays, so the next run resumes as a delta.
  const stopped = async (what: string): Promise<Error> => {
    await renames.drain(0);
    return cancelled(targetArg, `every file in it is whole, either as it was or as in snapshot ${shortId(record.id)} (${what}); ${journalPath} marks it incomplete until then`);
  };
  progressNow('write');
  const tmpFor = (p: RawPath): Buffer => {
    const dir = parentRaw(p);
    const name = `${TMP_PREFIX}${randomBytes(6).toString('hex')}`;
    return abs(dir === undefined ? name : `${dir}/${name}`);
  };
  const renames = new RenameQueue();
  for (const s of steps) {
    const n = s.node;
    if (s.action !== 'write') continue;
    if (await ctl.stopHere()) throw await stopped(`${filesDone} of ${filesWritten} files written; owners, modes and times not yet set`);
    assertInsideTarget(rootRaw, n.path);
    const dest = abs(n.path);
    const existing = lstatOrUndefined(dest);
    if (n.type === 'dir') {
      if (existing !== undefined) rmSync(dest, { recursive: true, force: true });
      mkdirSync(dest, { mode: 0o700 });
      continue;
    }
    if (existing?.isDirectory() === true) rmSync(dest, { recursive: true, force: true });
    const tmp = tmpFor(n.path);
    const f = n.type === 'file' ? n : s.content;
    if (f !== undefined) {
      const w = writeFileFromChunks(ctx, f, tmp, n.path);
      bytesWritten += w.written;
      filesDone++;
      renames.add(w.fd, tmp, dest);
      await renames.drain(MAX_PENDING_FSYNCS);
    } else if (n.type === 'symlink') {
      symlinkSync(fsPath(n.target), tmp);
      renameSync(tmp, dest);
    } else if (n.type === 'hardlink') {
      await renames.drain(0); // the file it links to must be in place
      linkSync(abs(n.linkTo), tmp);
      renameSync(tmp, dest);
    } else if (n.type === 'fifo' || n.type === 'chardev' || n.type === 'blockdev') {
      makeSpecial(n, tmp);
      renameSync(tmp, dest);
    }
    progressNow('write');
  }
  await renames.drain(0);
  if (await ctl.stopHere()) throw await stopped(`all ${filesWritten} files written; owners, modes and times not yet set${removing.length > 0 ? ', extra entries not removed' : ''}`);
  for (const e of removing) rmSync(abs(e), { recursive: true, force: true });

  // 5. Metadata, deepest first so that directory times stay as set.
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (s === undefined || s.action === 'same') continue;
    const n = s.node;
    if (n.type === 'hardlink' && s.content === undefined) continue; // shares the file's inode
    const p = abs(n.path);
    const t = Number(n.mtimeNs) / 1e9;
    if (isRoot) lchownSync(p, n.uid, n.gid);
    if (n.type === 'symlink') {
      lutimesSync(p, t, t);
    } else {
      chmodSync(p, n.mode);
      utimesSync(p, t, t);
    }
  }
  // 6. Extended attributes and ACLs, after chown (which clears security.capability) and chmod;
  // they change no mtime. Read again: new files may have inherited a default ACL.
  const changed = steps.filter((s) => s.action !== 'same' && !(s.node.type === 'hardlink' && s.content === undefined));
  const wantOf = (s: Step): readonly Xattr[] | undefined => (s.node.type === 'hardlink' ? s.content?.xattrs : s.node.xattrs);
  if (changed.length > 0 && (anyXattrs || xattrsBefore.size > 0 || mode === 'full')) {
    const now = readTreeXattrs(targetArg);
    if (now.ok) {
      const changes = changed.map((s) => xattrChange(s.node.path, wantOf(s), now.byPath.get(s.node.path))).filter((c) => c.set.length > 0 || c.remove.length > 0);
      const w = changes.length > 0 ? writeTreeXattrs(targetArg, changes) : { ok: true as const };
      if (!w.ok) throw rstError('RST_ERR_RESTORE_MISMATCH', targetArg, shortId(record.id), `extended attributes: ${w.reason}`);
    } else if (anyXattrs) throw rstError('RST_ERR_RESTORE_MISMATCH', targetArg, shortId(record.id), `extended attributes: ${now.reason}`);
  }
  removeJournal(journalPath);
  // Removing the journal touched the target directory: its own times go back on last.
  const rootStep = steps.find((s) => s.node.path === ROOT_PATH && s.action !== 'same');
  if (rootStep !== undefined) utimesSync(fsPath(rootRaw), Number(rootStep.node.mtimeNs) / 1e9, Number(rootStep.node.mtimeNs) / 1e9);
  fsyncDir(fsPath(rootRaw));
  progressNow('done');
  return report(bytesWritten, true);
}

/** Make a FIFO or device node at `tmp` (Node has no mknod). */
function makeSpecial(n: FifoNode | DeviceNode, tmp: Buffer): void {
  const path = tmp.toString('utf8');
  const r = n.type === 'fifo'
    ? spawnSync('mkfifo', ['-m', '600', path], { encoding: 'utf8' })
    : spawnSync('mknod', ['-m', '600', path, n.type === 'chardev' ? 'c' : 'b', String(n.major), String(n.minor)], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) throw rstError('RST_ERR_IO', rawToDisplay(n.path), r.error?.message ?? r.stderr.trim());
}

function metaMatches(n: TreeNode, st: BigIntStats, xattrs: readonly Xattr[] | undefined): boolean {
  if (n.type === 'hardlink') return true;
  if (!sameXattrs(n.xattrs, xattrs)) return false;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && (Number(st.uid) !== n.uid || Number(st.gid) !== n.gid)) return false;
  if (n.type !== 'symlink' && Number(st.mode & 0o7777n) !== n.mode) return false;
  if (n.type === 'dir') return true;
  // utimes takes the time as a double of seconds and libuv keeps microseconds: up to 2 µs off.
  const diff = st.mtimeNs - n.mtimeNs;
  return diff < 2000n && diff > -2000n;
}

/** Entries in the target that the snapshot does not have (deepest first). */
function findExtras(rootRaw: RawPath, keep: ReadonlySet<RawPath>): RawPath[] {
  const out: RawPath[] = [];
  const walk = (rel: RawPath): void => {
    let names: Buffer[];
    try {
      names = readdirSync(fsPath(joinRaw(rootRaw, rel)), { encoding: 'buffer' });
    } catch {
      return;
    }
    for (const nb of names) {
      const name = nb.toString('latin1');
      const child = rel === '' ? name : `${rel}/${name}`;
      if (child === TREE_JOURNAL_NAME) continue;
      if (!keep.has(child)) {
        out.push(child);
        continue;
      }
      const st = lstatOrUndefined(fsPath(joinRaw(rootRaw, child)));
      if (st?.isDirectory() === true) walk(child);
    }
  };
  walk('');
  return out.sort().reverse();
}

/**
 * fsync on libuv's thread pool, then rename into place: many files are made durable at once
 * (their fsyncs share journal commits) while each is still replaced whole or not at all.
 */
class RenameQueue {
  private readonly pending = new Set<Promise<void>>();
  private error: Error | undefined;

  add(fd: number, tmp: Buffer, dest: Buffer): void {
    const p = new Promise<void>((res) => {
      fsync(fd, (err) => {
        try {
          closeSync(fd);
          if (err !== null) throw err;
          renameSync(tmp, dest);
        } catch (e: unknown) {
          this.error ??= e instanceof Error ? e : new Error(String(e));
        }
        res();
      });
    });
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
  }

  /** Wait until at most `max` are pending; throws the first failure. */
  async drain(max: number): Promise<void> {
    while (this.pending.size > max) await Promise.race(this.pending);
    if (this.error !== undefined) throw this.error;
  }
}

/**
 * Write a file's chunks to `tmp` (all-zero 4 KiB blocks left as holes), read it back and hash it;
 * returns the open descriptor for the caller to fsync, and the bytes written.
 */
function writeFileFromChunks(ctx: RestoreContext, f: FileNode, tmp: Buffer, path: RawPath): { readonly fd: number; readonly written: number } {
  const zero = Buffer.alloc(SPARSE_BLOCK);
  const fd = openSync(tmp, 'wx', 0o600);
  let pos = 0;
  let written = 0;
  const writeRun = (data: Buffer, from: number, to: number): void => {
    let off = from;
    while (off < to) off += writeSync(fd, data, off, to - off, pos + off);
    written += to - from;
  };
  try {
    for (const c of f.chunks) {
      const data = ctx.reader.read(c, `file ${rawToDisplay(path)}`, false);
      let runStart = -1;
      for (let o = 0; o < data.length; o += SPARSE_BLOCK) {
        const end = Math.min(data.length, o + SPARSE_BLOCK);
        const hole = end - o === SPARSE_BLOCK && data.subarray(o, end).equals(zero);
        if (hole && runStart >= 0) {
          writeRun(data, runStart, o);
          runStart = -1;
        } else if (!hole && runStart < 0) runStart = o;
      }
      if (runStart >= 0) writeRun(data, runStart, data.length);
      pos += data.length;
    }
    ftruncateSync(fd, pos);
    if (pos !== f.size || hashFile(tmp) !== f.sha256) throw rstError('RST_ERR_RESTORE_MISMATCH', rawToDisplay(path), 'snapshot', 'content read back does not match');
  } catch (err: unknown) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  return { fd, written };
}
