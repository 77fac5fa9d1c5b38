/**
 * The repository on disk (FORMAT.md, "Repository layout"): opening, reading and writing its
 * content-addressed files. Everything above this module goes through `Repository`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { join, resolve } from 'node:path';
import { errnoOf, messageOf, rstError } from '../errors.js';
import { decodeConfig, encodeConfig, type ChunkerParams, type RepoConfig, REPO_FORMAT, REPO_VERSION } from '../format/v1/config.js';
import { decodeIndex, encodeIndex, type IndexedPack } from '../format/v1/index-file.js';
import { type Id, isId, sha256Hex } from '../format/v1/ids.js';
import { encodeSnapshot, type SnapshotDocument } from '../format/v1/snapshot.js';
import { fsyncDir, tmpName, writeAtomic } from './files.js';
import { generateSigningKey, keyIdOf, loadPrivateKey, loadPublicKey } from './keys.js';
import { MasterIndex } from './master-index.js';

export interface InitOptions {
  readonly signingKeyPath?: string;
  readonly chunker?: Partial<ChunkerParams>;
  readonly blockSize?: number;
  readonly packSize?: number;
  /** Fixed values for golden tests only. */
  readonly fixed?: { readonly id: string; readonly createdAt: string };
}

export type IndexProblem = { readonly type: 'index-corrupt'; readonly indexId: string; readonly reason: string };

export class Repository {
  private constructor(
    readonly dir: string,
    readonly config: RepoConfig,
  ) {}

  static init(dirArg: string, opts: InitOptions = {}): Repository {
    const dir = resolve(dirArg);
    if (existsSync(dir) && readdirSync(dir).length > 0) throw rstError('RST_ERR_REPO_EXISTS', dir);
    for (const sub of ['', 'keys', 'data', 'index', 'snapshots', 'locks', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    const keys = generateSigningKey();
    writeFileSync(join(dir, 'keys', 'public.pem'), keys.publicPem, { mode: 0o644 });
    const signingPath = opts.signingKeyPath === undefined ? join(dir, 'keys', 'signing.pem') : resolve(opts.signingKeyPath);
    writeFileSync(signingPath, keys.privatePem, { mode: 0o600, flag: 'wx' });
    chmodSync(signingPath, 0o600);
    const config: RepoConfig = {
      format: REPO_FORMAT,
      version: REPO_VERSION,
      id: opts.fixed?.id ?? randomBytes(16).toString('hex'),
      createdAt: opts.fixed?.createdAt ?? new Date().toISOString(),
      hash: 'sha256',
      compression: 'zstd',
      keyId: keyIdOf(loadPublicKey(join(dir, 'keys', 'public.pem'))),
      chunker: {
        minSize: opts.chunker?.minSize ?? 256 * 1024,
        avgSize: opts.chunker?.avgSize ?? 1024 * 1024,
        maxSize: opts.chunker?.maxSize ?? 4 * 1024 * 1024,
        gearSeed: opts.chunker?.gearSeed ?? randomBytes(16).toString('hex'),
      },
      blockSize: opts.blockSize ?? 4096,
      packSize: opts.packSize ?? 16 * 1024 * 1024,
    };
    writeAtomic(tmpName(join(dir, 'tmp'), 'config'), join(dir, 'config'), [Buffer.from(encodeConfig(config))]);
    fsyncDir(dir);
    return new Repository(dir, config);
  }

  static open(dirArg: string): Repository {
    const dir = resolve(dirArg);
    const cfgPath = join(dir, 'config');
    let text: string;
    try {
      text = readFileSync(cfgPath, 'utf8');
    } catch (err: unknown) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') throw rstError('RST_ERR_REPO_NOT_FOUND', dir, dir);
      throw rstError('RST_ERR_IO', cfgPath, messageOf(err));
    }
    const r = decodeConfig(text);
    if (!r.ok) {
      if (r.kind === 'version') throw rstError('RST_ERR_REPO_VERSION', cfgPath, r.reason);
      throw rstError('RST_ERR_CONFIG_MALFORMED', cfgPath, r.reason);
    }
    for (const sub of ['data', 'index', 'snapshots', 'locks', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    return new Repository(dir, r.config);
  }

  get tmpDir(): string {
    return join(this.dir, 'tmp');
  }
  get publicKeyPath(): string {
    return join(this.dir, 'keys', 'public.pem');
  }
  get defaultSigningKeyPath(): string {
    return join(this.dir, 'keys', 'signing.pem');
  }
  packPath(id: Id): string {
    return join(this.dir, 'data', id.slice(0, 2), id);
  }
  indexPath(id: Id): string {
    return join(this.dir, 'index', id);
  }
  snapshotPath(id: Id): string {
    return join(this.dir, 'snapshots', id);
  }
  /** A snapshot written and logged but not yet renamed into snapshots/ (FORMAT.md, "Read and write ordering"). */
  pendingSnapshotPath(id: Id): string {
    return join(this.tmpDir, `snapshot-${id}`);
  }
  get logPath(): string {
    return join(this.dir, 'snapshot-log');
  }

  /** Writers refuse a version 1 repository: it has no snapshot log to extend. */
  assertWritable(): void {
    if (this.config.version === 1) throw rstError('RST_ERR_REPO_READ_ONLY', this.dir, this.dir);
  }

  /** The key a restorer trusts: the given file, or the repository's own public key. */
  trustedKey(trustKeyPath?: string): KeyObject {
    return loadPublicKey(trustKeyPath ?? this.publicKeyPath);
  }

  signingKey(path?: string): KeyObject {
    return loadPrivateKey(path ?? this.defaultSigningKeyPath);
  }

  private listIds(sub: string): Id[] {
    return readdirSync(join(this.dir, sub)).filter(isId).sort();
  }

  listSnapshotIds(): Id[] {
    return this.listIds('snapshots');
  }
  listIndexIds(): Id[] {
    return this.listIds('index');
  }
  /** Every file in data/ (names that are not IDs are returned too, as leftovers). */
  listPackFiles(): { readonly id: string; readonly path: string }[] {
    const out: { id: string; path: string }[] = [];
    const data = join(this.dir, 'data');
    for (const d of readdirSync(data).sort()) {
      const sub = join(data, d);
      if (!statSync(sub).isDirectory()) continue;
      for (const f of readdirSync(sub).sort()) out.push({ id: f, path: join(sub, f) });
    }
    return out;
  }
  listTmpFiles(): string[] {
    return readdirSync(this.tmpDir).map((f) => join(this.tmpDir, f));
  }

  /** `forget`: only the snapshot document (or its pending copy) goes; its data stays until `prune`. */
  removeSnapshot(id: Id): void {
    for (const p of [this.snapshotPath(id), this.pendingSnapshotPath(id)]) {
      try {
        unlinkSync(p);
      } catch (err: unknown) {
        if (errnoOf(err) !== 'ENOENT') throw rstError('RST_ERR_IO', p, messageOf(err));
      }
    }
    fsyncDir(join(this.dir, 'snapshots'));
  }

  /** The snapshot's file, or its pending copy in tmp/ when a writer stopped after logging it. */
  readSnapshotFile(id: Id): Buffer {
    try {
      return readFileSync(this.snapshotPath(id));
    } catch (err: unknown) {
      if (errnoOf(err) !== 'ENOENT') throw err;
      return readFileSync(this.pendingSnapshotPath(id));
    }
  }

  hasPendingSnapshot(id: Id): boolean {
    return existsSync(this.pendingSnapshotPath(id)) && !existsSync(this.snapshotPath(id));
  }

  /** The log's bytes; an absent log is an empty one. */
  readLogFile(): Buffer {
    try {
      return readFileSync(this.logPath);
    } catch (err: unknown) {
      if (errnoOf(err) === 'ENOENT') return Buffer.alloc(0);
      throw rstError('RST_ERR_IO', this.logPath, messageOf(err));
    }
  }

  writeLogFile(bytes: Uint8Array): void {
    writeAtomic(tmpName(this.tmpDir, 'log'), this.logPath, [bytes]);
  }

  /** Load every index file; damaged ones are reported, not fatal. */
  loadIndex(): { readonly index: MasterIndex; readonly problems: readonly IndexProblem[]; readonly files: ReadonlyMap<Id, readonly IndexedPack[]> } {
    const index = new MasterIndex();
    const problems: IndexProblem[] = [];
    const files = new Map<Id, readonly IndexedPack[]>();
    for (const id of this.listIndexIds()) {
      const bytes = readFileSync(this.indexPath(id));
      if (sha256Hex(bytes) !== id) {
        problems.push({ type: 'index-corrupt', indexId: id, reason: 'content does not hash to the file name' });
        continue;
      }
      const r = decodeIndex(bytes);
      if (!r.ok) {
        problems.push({ type: 'index-corrupt', indexId: id, reason: r.reason });
        continue;
      }
      files.set(id, r.packs);
      for (const p of r.packs) index.addPack(p);
    }
    return { index, problems, files };
  }

  saveIndex(packs: readonly IndexedPack[]): Id {
    const bytes = encodeIndex(packs);
    const id = sha256Hex(bytes);
    writeAtomic(tmpName(this.tmpDir, 'index'), this.indexPath(id), [bytes]);
    return id;
  }

  /** Write a snapshot document to its pending name in tmp/ (durable, not yet visible). */
  stageSnapshot(doc: SnapshotDocument): Id {
    const bytes = encodeSnapshot(doc);
    const id = sha256Hex(bytes);
    writeAtomic(tmpName(this.tmpDir, 'snapshot'), this.pendingSnapshotPath(id), [bytes]);
    return id;
  }

  /** Rename a logged pending snapshot into snapshots/. */
  publishSnapshot(id: Id): void {
    renameSync(this.pendingSnapshotPath(id), this.snapshotPath(id));
    fsyncDir(join(this.dir, 'snapshots'));
  }

  /** Read `length` bytes at `offset` of a pack. */
  readPackRange(packId: Id, offset: number, length: number): Buffer {
    const fd = openSync(this.packPath(packId), 'r');
    try {
      return readFully(fd, offset, length);
    } finally {
      closeSync(fd);
    }
  }
}

export function readFully(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}
