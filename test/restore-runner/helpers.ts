/** Shared helpers for the restore-runner tests: temp dirs, repositories, tree comparison. */
import { mkdtempSync, rmSync, readdirSync, lstatSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Repository } from '../../restore-runner/repository/repository.js';

const made: string[] = [];

export function tempDir(label = 'rst'): string {
  const d = mkdtempSync(join(tmpdir(), `kintsugi-${label}-`));
  made.push(d);
  return d;
}

afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A small repository (small chunks and packs so that tests exercise many of each). */
export function smallRepo(dir: string): Repository {
  return Repository.init(dir, { chunker: { minSize: 1024, avgSize: 4096, maxSize: 16384 }, packSize: 64 * 1024 });
}

export interface Entry {
  readonly type: 'file' | 'dir' | 'symlink';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs: number;
  readonly content?: string;
  readonly target?: string;
  readonly ino: number;
}

/** Everything observable about a tree, keyed by raw (latin1) relative path; inodes renumbered. */
export function describeTree(root: string): Record<string, Omit<Entry, 'ino'> & { readonly linkGroup: number }> {
  const out: Record<string, Omit<Entry, 'ino'> & { linkGroup: number }> = {};
  const inodes = new Map<number, number>();
  const walk = (relRaw: string): void => {
    const absBuf = Buffer.from(relRaw === '' ? Buffer.from(root).toString('latin1') : `${Buffer.from(root).toString('latin1')}/${relRaw}`, 'latin1');
    for (const nb of readdirSync(absBuf, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const name = nb.toString('latin1');
      if (name === '.kintsugi-restore.json') continue;
      const rel = relRaw === '' ? name : `${relRaw}/${name}`;
      const p = Buffer.from(`${Buffer.from(root).toString('latin1')}/${rel}`, 'latin1');
      const st = lstatSync(p);
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: Math.floor(st.mtimeMs) };
      if (st.isDirectory()) {
        out[rel] = { ...base, type: 'dir', linkGroup: 0 };
        walk(rel);
      } else if (st.isSymbolicLink()) {
        out[rel] = { type: 'symlink', uid: st.uid, gid: st.gid, mode: 0, mtimeMs: base.mtimeMs, target: readlinkSync(p, { encoding: 'buffer' }).toString('latin1'), linkGroup: 0 };
      } else {
        let g = 0;
        if (st.nlink > 1) {
          g = inodes.get(st.ino) ?? inodes.size + 1;
          inodes.set(st.ino, g);
        }
        out[rel] = { ...base, type: 'file', content: readFileSync(p).toString('latin1'), linkGroup: g };
      }
    }
  };
  walk('');
  return out;
}

import type { KeyObject } from 'node:crypto';
import { encodeManifest, type TreeNode } from '../../restore-runner/format/v1/manifest.js';
import { BLOB_DATA, BLOB_META } from '../../restore-runner/format/v1/pack.js';
import { sha256Hex } from '../../restore-runner/format/v1/ids.js';
import { PackWriter } from '../../restore-runner/repository/pack-writer.js';
import { commitSnapshot } from '../../restore-runner/snapshot/commit.js';

/** A signed tree snapshot with a hand-made manifest (for hostile-input tests). */
export function craftTreeSnapshot(repo: Repository, key: KeyObject, nodes: readonly TreeNode[], contents: readonly Buffer[] = []): string {
  const { index } = repo.loadIndex();
  const w = new PackWriter(repo, index);
  for (const c of contents) w.add(BLOB_DATA, sha256Hex(c), c);
  const tree = [w.addPlain(BLOB_META, encodeManifest(nodes))];
  w.finish();
  return commitSnapshot(
    repo,
    {
      version: 1, repository: repo.config.id, kind: 'tree', time: new Date().toISOString(), host: 'evil', instance: null, os: null, parent: null,
      tags: [], source: '/evil', tree, image: null,
      summary: { files: 0, dirs: 0, bytes: 0, filesUnchanged: 0, skipped: 0, blocks: 0, holes: 0, blobsAdded: 0, bytesAdded: 0 },
    },
    key,
  );
}

export function fileNode(path: string, content: Buffer): TreeNode {
  const id = sha256Hex(content);
  return { path, type: 'file', mode: 0o644, uid: 0, gid: 0, mtimeNs: 1_000_000_000n, size: content.length, sha256: id, chunks: content.length === 0 ? [] : [id] };
}

export function dirNode(path: string): TreeNode {
  return { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeNs: 1_000_000_000n };
}

import { encodeSnapshot, type SnapshotDocument } from '../../restore-runner/format/v1/snapshot.js';

/** Put a snapshot file into snapshots/ behind the writer's back (no log entry): an attacker's move. */
export function plantSnapshot(repo: Repository, doc: SnapshotDocument): string {
  const bytes = encodeSnapshot(doc);
  const id = sha256Hex(bytes);
  writeFileSync(repo.snapshotPath(id), bytes);
  return id;
}
