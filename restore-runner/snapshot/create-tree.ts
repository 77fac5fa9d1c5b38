/**
 * Snapshot of a directory tree: walk, chunk new or changed files (content-defined), reuse the
 * parent's chunks for files whose size and mtime did not change, store the manifest as meta
 * blobs, then the index, then the signed snapshot (FORMAT.md, "Read and write ordering").
 */
import type { BigIntStats } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { errnoOf, messageOf, rstError } from '../errors.js';
import { Chunker } from '../chunking/cdc.js';
import type { Id } from '../format/v1/ids.js';
import { encodeNode, type ManifestLines, manifestOfLines, type RawPath, rawToDisplay, ROOT_PATH, sameNode, type TreeNode, type Xattr } from '../format/v1/manifest.js';
import { deviceNumbers } from '../fsutil/device-numbers.js';
import { readTreeXattrs, readXattrsOf } from '../fsutil/xattrs.js';
import { BLOB_DATA, BLOB_META } from '../format/v1/pack.js';
import { BlobReader } from '../repository/blob-reader.js';
import { PackWriter } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { fsPath, joinRaw, rawFromArg } from '../fsutil/raw-path.js';
import { commitSnapshot } from './commit.js';
import { readManifestWithHeader } from './content.js';
import type { SnapshotRecord } from './load.js';
import type { CreateOptions, CreateResult } from './create-options.js';
import { buildPayload, findParent } from './create-options.js';
import { createProgress, SILENT_PROGRESS } from '../progress.js';

/** Linux stamps ctime from a clock that may lag by a tick; a second covers it with room. */
const CTIME_MARGIN_NS = 1_000_000_000n;

/**
 * What the snapshot keeps of an entry's lstat: a BigIntStats holds 18 bigints, about 1 KB of
 * heap, and a tree of 55,000 entries held them all until its manifest was written (70 MB).
 */
interface Walked {
  readonly path: RawPath;
  readonly type: 'dir' | 'file' | 'symlink' | 'fifo' | 'chardev' | 'blockdev';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly size: number;
  /** `dev:ino` of a file with more than one link (hard links), else ''. */
  readonly inode: string;
  readonly rdev: bigint;
  readonly target?: RawPath;
}

function walkedOf(path: RawPath, st: BigIntStats, type: Walked['type'], target?: RawPath): Walked {
  const w = {
    path,
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    size: Number(st.size),
    inode: type === 'file' && st.nlink > 1n ? `${st.dev}:${st.ino}` : '',
    rdev: type === 'chardev' || type === 'blockdev' ? st.rdev : 0n,
  };
  return target === undefined ? w : { ...w, target };
}

/** Everything but sockets (they are made by the process that listens, not restored). */
function walk(rootRaw: RawPath, onSkip: (p: RawPath) => void): Walked[] {
  const out: Walked[] = [];
  const stack: RawPath[] = [''];
  while (stack.length > 0) {
    const rel = stack.pop() ?? '';
    const abs = joinRaw(rootRaw, rel);
    let names: Buffer[];
    try {
      names = readdirSync(fsPath(abs), { encoding: 'buffer' });
    } catch (err: unknown) {
      throw rstError('RST_ERR_SOURCE_UNREADABLE', rawToDisplay(abs), messageOf(err));
    }
    for (const nb of names) {
      const name = nb.toString('latin1');
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const childAbs = joinRaw(rootRaw, childRel);
      const st = lstatSync(fsPath(childAbs), { bigint: true });
      if (st.isDirectory()) {
        out.push(walkedOf(childRel, st, 'dir'));
        stack.push(childRel);
      } else if (st.isFile()) {
        out.push(walkedOf(childRel, st, 'file'));
      } else if (st.isSymbolicLink()) {
        out.push(walkedOf(childRel, st, 'symlink', readlinkSync(fsPath(childAbs), { encoding: 'buffer' }).toString('latin1')));
      } else if (st.isFIFO()) {
        out.push(walkedOf(childRel, st, 'fifo'));
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        out.push(walkedOf(childRel, st, st.isBlockDevice() ? 'blockdev' : 'chardev'));
      } else {
        onSkip(childRel);
      }
    }
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

interface Parent {
  readonly nodes: Map<RawPath, TreeNode>;
  /** Node lines to write again: the line's index in `manifest`. */
  readonly lines: ReadonlyMap<RawPath, number>;
  readonly manifest: ManifestLines | undefined;
  /** When the parent's scan began, when its ctimes can be trusted (version 2, not in the future). */
  readonly scanNs: bigint | undefined;
}

/** The parent's nodes by path (a function of its own, so that nothing else holds them). */
function readParent(parent: SnapshotRecord | null, reader: BlobReader): Parent {
  const nodes = new Map<RawPath, TreeNode>();
  // A node equal to its parent's is written as the parent's line, not encoded again. Only lines
  // of version 2 manifests are reused: the ones this writer's `encodeNode` wrote.
  const lines = new Map<RawPath, number>();
  if (parent === null) return { nodes, lines, manifest: undefined, scanNs: undefined };
  const m = readManifestWithHeader(parent, reader);
  for (const [i, n] of m.nodes.entries()) {
    nodes.set(n.path, n);
    if (m.version === 2) lines.set(n.path, i);
  }
  // Version 1 manifests hold no xattrs to reuse.
  // A parent time in the future (a caller-given time) says nothing about ctimes: no reuse.
  const t = BigInt(Date.parse(parent.payload.time)) * 1_000_000n;
  const scanNs = m.version === 2 && t <= BigInt(Date.now()) * 1_000_000n ? t : undefined;
  return { nodes, lines, manifest: m.version === 2 ? m.lines : undefined, scanNs };
}

export function createTreeSnapshot(repo: Repository, opts: CreateOptions): CreateResult {
  repo.assertWritable();
  const source = resolve(opts.source);
  const rootRaw = rawFromArg(source);
  try {
    if (!lstatSync(source).isDirectory()) throw rstError('RST_ERR_SOURCE_UNREADABLE', source, 'not a directory (use --kind image for a file or device)');
  } catch (err: unknown) {
    if (errnoOf(err) !== undefined) throw rstError('RST_ERR_SOURCE_UNREADABLE', source, messageOf(err));
    throw err;
  }
  const { index } = repo.loadIndex();
  const reader = new BlobReader(repo, index);
  const parent = findParent(repo, opts, 'tree', source);
  // The snapshot's time is when its scan began: a later snapshot compares ctimes against it.
  const started = opts.time ?? new Date();
  const { nodes: parentNodes, lines: parentLines, manifest: parentManifest, scanNs: parentScanNs } = readParent(parent, reader);
  reader.close();

  let skipped = 0;
  const notes: string[] = [];
  const walked = walk(rootRaw, () => skipped++);
  if (skipped > 0) notes.push(`${skipped} socket(s) skipped: a socket is made by the program that listens on it`);
  const rootSt = lstatSync(source, { bigint: true });
  // xattrs: an entry whose ctime (which every xattr change moves) is older than the parent's
  // scan, less a margin for the kernel's coarse clock, keeps the parent's; the others are read.
  const reuseBefore = parentScanNs === undefined ? undefined : parentScanNs - CTIME_MARGIN_NS;
  const reusable = (path: RawPath, ctimeNs: bigint): boolean => {
    if (reuseBefore === undefined || ctimeNs >= reuseBefore) return false;
    const prev = parentNodes.get(path);
    return prev !== undefined && prev.type !== 'hardlink';
  };
  const reuse = new Set<RawPath>();
  if (reusable(ROOT_PATH, rootSt.ctimeNs)) reuse.add(ROOT_PATH);
  for (const w of walked) if (reusable(w.path, w.ctimeNs)) reuse.add(w.path);
  const toRead = [...(reuse.has(ROOT_PATH) ? [] : [ROOT_PATH]), ...walked.filter((w) => !reuse.has(w.path)).map((w) => w.path)];
  let xattrs = toRead.length === walked.length + 1 ? readTreeXattrs(source) : readXattrsOf(source, toRead);
  if (!xattrs.ok && toRead.length <= walked.length) xattrs = readTreeXattrs(source);
  if (!xattrs.ok) notes.push(`extended attributes and ACLs not recorded: ${xattrs.reason}`);
  const fresh = xattrs.ok ? xattrs.byPath : undefined;
  const xattrsOf = (p: RawPath): readonly Xattr[] | undefined => {
    const list = fresh === undefined ? undefined : reuse.has(p) && !fresh.has(p) ? parentNodes.get(p)?.xattrs : fresh.get(p);
    return list === undefined || list.length === 0 ? undefined : list;
  };
  const totalBytes = walked.reduce((s, w) => s + (w.type === 'file' ? w.size : 0), 0);
  const progress = opts.progress === false ? SILENT_PROGRESS : createProgress('snapshot', totalBytes);
  const writer = new PackWriter(repo, index);
  const chunker = new Chunker(repo.config.chunker);
  const firstOfInode = new Map<string, RawPath>();
  const lines: (string | number)[] = [];
  const nodes = {
    push(node: TreeNode): void {
      const before = parentNodes.get(node.path);
      const line = before === undefined ? undefined : parentLines.get(node.path);
      lines.push(line !== undefined && before !== undefined && sameNode(node, before) ? line : encodeNode(node));
      // Nodes come in path order and each is looked up once: what is behind is let go.
      parentNodes.delete(node.path);
    },
  };
  const rootXattrs = xattrsOf(ROOT_PATH);
  const root = { path: ROOT_PATH, type: 'dir' as const, mode: Number(rootSt.mode & 0o7777n), uid: Number(rootSt.uid), gid: Number(rootSt.gid), mtimeNs: rootSt.mtimeNs };
  nodes.push(rootXattrs === undefined ? root : { ...root, xattrs: rootXattrs });
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  let unchanged = 0;
  let done = 0;
  for (const w of walked) {
    const xattrs = xattrsOf(w.path);
    const meta = { path: w.path, mode: w.mode, uid: w.uid, gid: w.gid, mtimeNs: w.mtimeNs };
    const base = xattrs === undefined ? meta : { ...meta, xattrs };
    if (w.type === 'fifo') {
      nodes.push({ ...base, type: 'fifo' });
      continue;
    }
    if (w.type === 'chardev' || w.type === 'blockdev') {
      nodes.push({ ...base, type: w.type, ...deviceNumbers(w.rdev) });
      continue;
    }
    if (w.type === 'symlink') {
      nodes.push({ ...base, type: 'symlink', target: w.target ?? '' });
      continue;
    }
    if (w.type === 'dir') {
      dirs++;
      nodes.push({ ...base, type: 'dir' });
      continue;
    }
    if (w.inode !== '') {
      const first = firstOfInode.get(w.inode);
      if (first !== undefined) {
        // xattrs belong to the inode: the file node that comes first carries them.
        nodes.push({ path: base.path, mode: base.mode, uid: base.uid, gid: base.gid, mtimeNs: base.mtimeNs, type: 'hardlink', linkTo: first });
        continue;
      }
      firstOfInode.set(w.inode, w.path);
    }
    files++;
    const size = w.size;
    bytes += size;
    const p0 = parentNodes.get(w.path);
    const prev = p0?.type === 'file' ? p0 : undefined;
    if (prev !== undefined && prev.size === size && prev.mtimeNs === w.mtimeNs && prev.chunks.every((c) => writer.has(c))) {
      unchanged++;
      nodes.push(fileNode(w, xattrs, size, prev.sha256, prev.chunks));
    } else {
      const whole = createHash('sha256');
      const chunks: Id[] = [];
      let read: number;
      try {
        read = chunker.chunkFile(fsPath(joinRaw(rootRaw, w.path)), (c) => {
          whole.update(c);
          chunks.push(writer.addPlain(BLOB_DATA, c));
        });
      } catch (err: unknown) {
        throw rstError('RST_ERR_SOURCE_UNREADABLE', rawToDisplay(joinRaw(rootRaw, w.path)), messageOf(err));
      }
      nodes.push(fileNode(w, xattrs, read, whole.digest('hex'), chunks));
    }
    done += size;
    progress.update(done);
  }
  const tree = chunker.split(manifestOfLines(lines, parentManifest)).map((piece) => writer.addPlain(BLOB_META, piece));
  const stats = writer.finish();
  progress.done();
  const payload = buildPayload(repo, { ...opts, time: started }, source, parent, { kind: 'tree', tree }, {
    files, dirs, bytes, filesUnchanged: unchanged, skipped, blocks: 0, holes: 0, blobsAdded: stats.blobsAdded, bytesAdded: stats.bytesAdded,
  });
  const id = commitSnapshot(repo, payload, opts.signingKey);
  return { id, payload, notes };
}

/** A file node, written out: most nodes are files, and spreading a base object was most of making one. */
function fileNode(w: Walked, xattrs: readonly Xattr[] | undefined, size: number, sha256: Id, chunks: readonly Id[]): TreeNode {
  return xattrs === undefined
    ? { path: w.path, mode: w.mode, uid: w.uid, gid: w.gid, mtimeNs: w.mtimeNs, type: 'file', size, sha256, chunks }
    : { path: w.path, mode: w.mode, uid: w.uid, gid: w.gid, mtimeNs: w.mtimeNs, xattrs, type: 'file', size, sha256, chunks };
}
