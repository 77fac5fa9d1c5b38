/**
 * Follows the files of one source: appends as they come, rotation by rename and by copytruncate,
 * `.gz` generations present at start, restarts from checkpoints (collectors/README.md).
 *
 * Each poll: find the files the globs match, tell them apart by fingerprint (identity.ts), read
 * what each has past its position, hand the items to the sink, and only once the sink has
 * committed them move the file's checkpoint. A crash between commit and checkpoint re-reads some
 * records; their ids are stable, so the store keeps them once.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { glob } from 'tinyglobby';
import { inSpanSync } from '../pipeline/telemetry/spans.js';
import type { ParsedItem } from '../parsers/event.js';
import { initialContext, RecordReader } from '../parsers/reader.js';
import type { CheckpointStore } from './checkpoint.js';
import { CollectorError } from './errors.js';
import { readGzip } from './gzip.js';
import { fingerprintFile } from './identity.js';
import type { Sink } from './sink.js';
import { parserSource, SILENT_LOG, type Log, type SourceConfig } from './source.js';

export interface FollowerOptions {
  readonly pollIntervalMs?: number;
  /** Bytes read from one file before its items are committed. */
  readonly batchBytes?: number;
  /** A record waiting for continuation lines is ended after the file was quiet this long. */
  readonly idleFlushMs?: number;
  readonly log?: Log;
}

interface Tracked {
  readonly fingerprint: string;
  path: string;
  handle: FileHandle;
  ino: number;
  /** Next byte of the file to read. */
  position: number;
  reader: RecordReader;
  lastGrowth: number;
}

interface Candidate {
  readonly path: string;
  readonly handle: FileHandle;
  readonly ino: number;
  readonly size: number;
}

export class FileFollower {
  private readonly tracked = new Map<string, Tracked>();
  private readonly log: Log;
  private readonly pollIntervalMs: number;
  private readonly batchBytes: number;
  private readonly idleFlushMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private sizes = new Map<string, number>();

  constructor(
    readonly config: SourceConfig,
    private readonly checkpoints: CheckpointStore,
    private readonly sink: Sink,
    options: FollowerOptions = {},
  ) {
    this.log = options.log ?? SILENT_LOG;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    // About 10,000 records: one batch in flight keeps the heap small.
    this.batchBytes = options.batchBytes ?? 1 << 20;
    this.idleFlushMs = options.idleFlushMs ?? 5000;
  }

  /** Bytes the matched files hold past what is committed: the follower's lag. */
  lagBytes(): number {
    let lag = 0;
    for (const t of this.tracked.values()) lag += Math.max(0, (this.sizes.get(t.fingerprint) ?? t.position) - t.reader.consumedOffset);
    return lag;
  }

  /** Reads the `.gz` generations the globs match, once, then follows the plain files. */
  async start(): Promise<void> {
    for (const path of await this.matches()) {
      if (!path.endsWith('.gz')) continue;
      try {
        const r = await readGzip(path, this.config, this.checkpoints, this.sink, this.batchBytes);
        this.log.info({ source: this.config.name, path, items: r.items, skippedBytes: r.skippedBytes }, 'read gzip generation');
      } catch (err: unknown) {
        this.log.error({ source: this.config.name, path, err: String(err) }, 'gzip generation skipped');
      }
    }
    const loop = async (): Promise<void> => {
      if (this.stopped) return;
      this.running = this.pollOnce().catch((err: unknown) => {
        this.log.error({ source: this.config.name, err: err instanceof Error ? err.message : String(err) }, 'poll failed; retrying');
      });
      await this.running;
      this.running = null;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.pollIntervalMs);
    };
    await loop();
  }

  /** Stops polling, lets the current poll finish (its checkpoints flushed), closes the files. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.running !== null) await this.running;
    await this.checkpoints.flush();
    for (const t of this.tracked.values()) await t.handle.close().catch(() => undefined);
    this.tracked.clear();
  }

  private async matches(): Promise<string[]> {
    return (await glob([...this.config.paths], { absolute: true, onlyFiles: true })).sort();
  }

  private async discover(): Promise<Map<string, Candidate[]>> {
    const byFingerprint = new Map<string, Candidate[]>();
    for (const path of await this.matches()) {
      if (path.endsWith('.gz')) continue;
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (err: unknown) {
        // Rotated away between the glob and the open: the next poll sees the new state.
        this.log.warn({ source: this.config.name, path, err: String(err) }, 'cannot open');
        continue;
      }
      const stat = await handle.stat();
      const fingerprint = await fingerprintFile(handle);
      if (fingerprint === null) {
        await handle.close();
        continue;
      }
      const list = byFingerprint.get(fingerprint) ?? [];
      list.push({ path, handle, ino: stat.ino, size: stat.size });
      byFingerprint.set(fingerprint, list);
    }
    return byFingerprint;
  }

  /** One round: discover, read, commit, checkpoint. */
  async pollOnce(): Promise<void> {
    const found = await this.discover();
    const keep = new Set<FileHandle>();
    for (const [fingerprint, candidates] of found) {
      const current = this.tracked.get(fingerprint);
      // The same inode still holds the file: go on with it (a rename changes only its path).
      const same = current === undefined ? undefined : candidates.find((c) => c.ino === current.ino);
      // Otherwise the largest copy (a copytruncate copy holds what the truncated original had).
      const best = same ?? candidates.reduce((a, b) => (b.size > a.size ? b : a));
      if (current === undefined) {
        const saved = this.checkpoints.get(this.config.name, fingerprint);
        const context = saved?.context ?? initialContext(this.config.format);
        const offset = saved?.offset ?? 0;
        this.tracked.set(fingerprint, {
          fingerprint,
          path: best.path,
          handle: best.handle,
          ino: best.ino,
          position: offset,
          reader: new RecordReader(this.config.format, parserSource(this.config, best.path), context),
          lastGrowth: Date.now(),
        });
        keep.add(best.handle);
        if (saved === undefined) this.log.info({ source: this.config.name, path: best.path }, 'following new file');
        else this.log.info({ source: this.config.name, path: best.path, offset }, 'resuming file from checkpoint');
      } else {
        if (current.ino !== best.ino) {
          this.log.info({ source: this.config.name, from: current.path, to: best.path }, 'file replaced by its copy (copytruncate): reading on in the copy');
          await current.handle.close().catch(() => undefined);
          current.handle = best.handle;
          current.ino = best.ino;
        }
        if (current.path !== best.path) current.path = best.path;
        keep.add(current.handle);
      }
      for (const c of candidates) if (!keep.has(c.handle)) await c.handle.close();
    }

    for (const t of [...this.tracked.values()]) {
      await this.readFile(t);
      // A file no glob matches any more (rotated away, deleted) was read to its end: let it go.
      if (!found.has(t.fingerprint)) {
        await this.commit(t, t.reader.flushRecord());
        await t.handle.close().catch(() => undefined);
        this.tracked.delete(t.fingerprint);
      }
    }
    await this.checkpoints.flush();
  }

  private async readFile(t: Tracked): Promise<void> {
    const stat = await t.handle.stat();
    this.sizes.set(t.fingerprint, stat.size);
    if (stat.size < t.position) {
      // Truncated, and it still starts with the same line: it was rewritten; read it again from 0.
      this.log.warn({ source: this.config.name, path: t.path, size: stat.size, position: t.position }, 'file truncated: reading from the start');
      t.reader = new RecordReader(this.config.format, parserSource(this.config, t.path));
      t.position = 0;
    }
    const buffer = Buffer.alloc(Math.min(this.batchBytes, 1 << 20));
    let items: ParsedItem[] = [];
    let batch = 0;
    let grew = false;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await t.handle.read(buffer, 0, buffer.length, t.position));
      } catch (err: unknown) {
        throw new CollectorError('COL_ERR_READ', t.path, err instanceof Error ? err.message : String(err));
      }
      if (bytesRead === 0) break;
      grew = true;
      t.position += bytesRead;
      const parsed = inSpanSync('parse', { 'kintsugi.source': this.config.name, 'kintsugi.format': this.config.format, 'kintsugi.bytes': bytesRead }, (span) => {
        const out = t.reader.push(buffer.subarray(0, bytesRead));
        span.setAttribute('kintsugi.items', out.length);
        return out;
      });
      for (const item of parsed) items.push(item);
      batch += bytesRead;
      if (batch >= this.batchBytes) {
        await this.commit(t, items);
        items = [];
        batch = 0;
      }
    }
    const now = Date.now();
    if (grew) t.lastGrowth = now;
    if (now - t.lastGrowth >= this.idleFlushMs) for (const item of t.reader.flushRecord()) items.push(item);
    await this.commit(t, items);
  }

  private async commit(t: Tracked, items: readonly ParsedItem[]): Promise<void> {
    if (items.length > 0) await this.sink.write(items);
    const saved = this.checkpoints.get(this.config.name, t.fingerprint);
    if (saved !== undefined && saved.offset === t.reader.consumedOffset && saved.path === t.path) return;
    this.checkpoints.set({
      source: this.config.name,
      fingerprint: t.fingerprint,
      path: t.path,
      offset: t.reader.consumedOffset,
      context: t.reader.context,
      updated: new Date().toISOString(),
    });
  }
}
