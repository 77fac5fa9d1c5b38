/**
 * Checkpoints: for every file a source has read, how far its records are committed to the store
 * and the parser context at that point (format in collectors/README.md, "Checkpoint file"). The
 * whole table is one JSON file, replaced atomically (write, fsync, rename, fsync the folder), so a
 * crash leaves the old table or the new one, never a torn one.
 */
import { mkdirSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReaderContext } from '../parsers/reader.js';
import { CollectorError } from './errors.js';

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  readonly source: string;
  readonly fingerprint: string;
  /** The path the file was last read under (informational: identity is the fingerprint). */
  readonly path: string;
  /** Bytes of the file (decompressed, for .gz) whose records are committed. */
  readonly offset: number;
  readonly context: ReaderContext;
  readonly updated: string;
}

function key(source: string, fingerprint: string): string {
  return `${source}/${fingerprint}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isContext(v: unknown): v is ReaderContext {
  if (!isObject(v)) return false;
  if (v['format'] === 'rlog') {
    const c = v['rlog'];
    return isObject(c) && typeof c['offset'] === 'number' && typeof c['line'] === 'number' && typeof c['skipping'] === 'boolean' &&
      (c['previous'] === 'none' || c['previous'] === 'record' || c['previous'] === 'malformed') &&
      (c['session'] === null || (isObject(c['session']) && typeof c['session']['id'] === 'string' && typeof c['session']['host'] === 'string' && typeof c['session']['version'] === 'string'));
  }
  if (v['format'] === 'ops') {
    const c = v['ops'];
    return isObject(c) && typeof c['offset'] === 'number' && typeof c['line'] === 'number';
  }
  return false;
}

function isCheckpoint(v: unknown): v is Checkpoint {
  return isObject(v) && typeof v['source'] === 'string' && typeof v['fingerprint'] === 'string' && typeof v['path'] === 'string' &&
    typeof v['offset'] === 'number' && Number.isSafeInteger(v['offset']) && v['offset'] >= 0 && typeof v['updated'] === 'string' && isContext(v['context']);
}

export class CheckpointStore {
  private readonly entries = new Map<string, Checkpoint>();
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<CheckpointStore> {
    const store = new CheckpointStore(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err: unknown) {
      if (isObject(err) && err['code'] === 'ENOENT') return store;
      throw new CollectorError('COL_ERR_CHECKPOINT_CORRUPT', file, err instanceof Error ? err.message : String(err));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err: unknown) {
      throw new CollectorError('COL_ERR_CHECKPOINT_CORRUPT', file, `not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!isObject(parsed) || parsed['version'] !== CHECKPOINT_VERSION || !Array.isArray(parsed['files'])) {
      throw new CollectorError('COL_ERR_CHECKPOINT_CORRUPT', file, `expected {"version": ${CHECKPOINT_VERSION}, "files": [...]}`);
    }
    for (const [i, entry] of parsed['files'].entries()) {
      if (!isCheckpoint(entry)) throw new CollectorError('COL_ERR_CHECKPOINT_CORRUPT', file, `files[${i}] is not a checkpoint`);
      store.entries.set(key(entry.source, entry.fingerprint), entry);
    }
    return store;
  }

  get(source: string, fingerprint: string): Checkpoint | undefined {
    return this.entries.get(key(source, fingerprint));
  }

  all(): Checkpoint[] {
    return [...this.entries.values()];
  }

  /** Records a new position; `flush` makes it durable. */
  set(checkpoint: Checkpoint): void {
    this.entries.set(key(checkpoint.source, checkpoint.fingerprint), checkpoint);
    this.dirty = true;
  }

  /** Writes the table if it changed; concurrent calls are serialized. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const body = `${JSON.stringify({ version: CHECKPOINT_VERSION, files: this.all() }, null, 1)}\n`;
    const tmp = `${this.file}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
      const dir = await open(dirname(this.file), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (err: unknown) {
      this.dirty = true;
      throw new CollectorError('COL_ERR_CHECKPOINT_WRITE', this.file, err instanceof Error ? err.message : String(err));
    }
  }
}
