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
import { encodeManifest, type FileNode, type RawPath, rawToDisplay, ROOT_PATH, type TreeNode, type Xattr } from '../format/v1/manifest.js';
import { deviceNumbers } from '../fsutil/device-numbers.js';
import { readTreeXattrs } from '../fsutil/xattrs.js';
import { BLOB_DATA, BLOB_META } from '../format/v1/pack.js';
import { BlobReader } from '../repository/blob-reader.js';
import { PackWriter } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { fsPath, joinRaw, rawFromArg } from '../fsutil/raw-path.js';
import { commitSnapshot } from './commit.js';
import { readManifest } from './content.js';
import type { CreateOptions, CreateResult } from './create-options.js';
import { buildPayload, findParent } from './create-options.js';
import { createProgress, SILENT_PROGRESS } from '../progress.js';

interface Walked {
  readonly path: RawPath;
  readonly st: BigIntStats;
  readonly target?: RawPath;
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
        out.push({ path: childRel, st });
        stack.push(childRel);
      } else if (st.isFile()) {
        out.push({ path: childRel, st });
      } else if (st.isSymbolicLink()) {
        out.push({ path: childRel, st, target: readlinkSync(fsPath(childAbs), { encoding: 'buffer' }).toString('latin1') });
      } else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
        out.push({ path: childRel, st });
      } else {
        onSkip(childRel);
      }
    }
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
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
  const parentFiles = new Map<RawPath, FileNode>();
  if (parent !== null) {
    for (const n of readManifest(parent, reader)) if (n.type === 'file') parentFiles.set(n.path, n);
  }
  reader.close();

  let skipped = 0;
  const notes: string[] = [];
  const walked = walk(rootRaw, () => skipped++);
  if (skipped > 0) notes.push(`${skipped} socket(s) skipped: a socket is made by the program that listens on it`);
  const xattrs = readTreeXattrs(source);
  if (!xattrs.ok) notes.push(`extended attributes and ACLs not recorded: ${xattrs.reason}`);
  const xattrsOf = (p: RawPath): { readonly xattrs?: readonly Xattr[] } => {
    const list = xattrs.ok ? xattrs.byPath.get(p) : undefined;
    return list === undefined || list.length === 0 ? {} : { xattrs: list };
  };
  const totalBytes = walked.reduce((s, w) => s + (w.st.isFile() ? Number(w.st.size) : 0), 0);
  const progress = opts.progress === false ? SILENT_PROGRESS : createProgress('snapshot', totalBytes);
  const writer = new PackWriter(repo, index);
  const chunker = new Chunker(repo.config.chunker);
  const firstOfInode = new Map<string, RawPath>();
  const rootSt = lstatSync(source, { bigint: true });
  const nodes: TreeNode[] = [
    { path: ROOT_PATH, type: 'dir', mode: Number(rootSt.mode & 0o7777n), uid: Number(rootSt.uid), gid: Number(rootSt.gid), mtimeNs: rootSt.mtimeNs, ...xattrsOf(ROOT_PATH) },
  ];
  let files = 0;
  let dirs = 0;
  let bytes = 0;
  let unchanged = 0;
  let done = 0;
  for (const w of walked) {
    const base = { path: w.path, mode: Number(w.st.mode & 0o7777n), uid: Number(w.st.uid), gid: Number(w.st.gid), mtimeNs: w.st.mtimeNs, ...xattrsOf(w.path) };
    if (w.st.isFIFO()) {
      nodes.push({ ...base, type: 'fifo' });
      continue;
    }
    if (w.st.isCharacterDevice() || w.st.isBlockDevice()) {
      nodes.push({ ...base, type: w.st.isBlockDevice() ? 'blockdev' : 'chardev', ...deviceNumbers(w.st.rdev) });
      continue;
    }
    if (w.target !== undefined) {
      nodes.push({ ...base, type: 'symlink', target: w.target });
      continue;
    }
    if (w.st.isDirectory()) {
      dirs++;
      nodes.push({ ...base, type: 'dir' });
      continue;
    }
    if (w.st.nlink > 1n) {
      const key = `${w.st.dev}:${w.st.ino}`;
      const first = firstOfInode.get(key);
      if (first !== undefined) {
        // xattrs belong to the inode: the file node that comes first carries them.
        nodes.push({ path: base.path, mode: base.mode, uid: base.uid, gid: base.gid, mtimeNs: base.mtimeNs, type: 'hardlink', linkTo: first });
        continue;
      }
      firstOfInode.set(key, w.path);
    }
    files++;
    const size = Number(w.st.size);
    bytes += size;
    const prev = parentFiles.get(w.path);
    if (prev !== undefined && prev.size === size && prev.mtimeNs === w.st.mtimeNs && prev.chunks.every((c) => writer.has(c))) {
      unchanged++;
      nodes.push({ ...base, type: 'file', size, sha256: prev.sha256, chunks: prev.chunks });
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
      nodes.push({ ...base, type: 'file', size: read, sha256: whole.digest('hex'), chunks });
    }
    done += size;
    progress.update(done);
  }
  const tree = chunker.split(encodeManifest(nodes)).map((piece) => writer.addPlain(BLOB_META, piece));
  const stats = writer.finish();
  progress.done();
  const payload = buildPayload(repo, opts, source, parent, { kind: 'tree', tree }, {
    files, dirs, bytes, filesUnchanged: unchanged, skipped, blocks: 0, holes: 0, blobsAdded: stats.blobsAdded, bytesAdded: stats.bytesAdded,
  });
  const id = commitSnapshot(repo, payload, opts.signingKey);
  return { id, payload, notes };
}
