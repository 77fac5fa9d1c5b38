/**
 * Older generations compressed with gzip (`recovery.log.2.gz`): read once, through their
 * checkpoint, so that a generation already read as a plain file (same first line, same identity)
 * yields only what was not read yet — usually nothing.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { ParsedItem } from '../parsers/event.js';
import { RecordReader } from '../parsers/reader.js';
import type { CheckpointStore } from './checkpoint.js';
import { CollectorError } from './errors.js';
import { FINGERPRINT_LIMIT, fingerprintOf } from './identity.js';
import type { Sink } from './sink.js';
import { parserSource, type SourceConfig } from './source.js';

export interface GzipResult {
  readonly fingerprint: string | null;
  readonly items: number;
  readonly skippedBytes: number;
}

/** Reads one .gz file into the sink, batch by batch, checkpointing after each commit. */
export async function readGzip(path: string, config: SourceConfig, checkpoints: CheckpointStore, sink: Sink, batchBytes = 4 << 20): Promise<GzipResult> {
  const stream = createReadStream(path).pipe(createGunzip());
  let head: Buffer[] = [];
  let headBytes = 0;
  let fingerprint: string | null = null;
  let reader: RecordReader | null = null;
  let position = 0;
  let skip = 0;
  let skipped = 0;
  let items = 0;
  let pending: ParsedItem[] = [];
  let pendingBytes = 0;

  const commit = async (): Promise<void> => {
    if (reader === null || fingerprint === null) return;
    await sink.write(pending);
    items += pending.length;
    pending = [];
    pendingBytes = 0;
    checkpoints.set({ source: config.name, fingerprint, path, offset: reader.consumedOffset, context: reader.context, updated: new Date().toISOString() });
    await checkpoints.flush();
  };

  const finish = async (): Promise<void> => {
    if (reader === null) return;
    for (const item of reader.end()) pending.push(item);
    await commit();
  };

  const feed = async (chunk: Buffer): Promise<void> => {
    if (reader === null) return;
    // Bytes before the checkpoint were committed already.
    if (skip > 0) {
      const n = Math.min(skip, chunk.length);
      skip -= n;
      skipped += n;
      position += n;
      chunk = chunk.subarray(n);
      if (chunk.length === 0) return;
    }
    position += chunk.length;
    for (const item of reader.push(chunk)) pending.push(item);
    pendingBytes += chunk.length;
    if (pendingBytes >= batchBytes) await commit();
  };

  const start = async (whole: Buffer, complete: boolean): Promise<void> => {
    fingerprint = fingerprintOf(whole, complete);
    if (fingerprint === null) return;
    const saved = checkpoints.get(config.name, fingerprint);
    reader = new RecordReader(config.format, parserSource(config, path), saved?.context);
    skip = saved?.offset ?? 0;
    await feed(whole);
  };

  try {
    for await (const data of stream) {
      if (!Buffer.isBuffer(data)) continue;
      if (reader === null && fingerprint === null && headBytes < FINGERPRINT_LIMIT) {
        head.push(data);
        headBytes += data.length;
        const whole = Buffer.concat(head);
        if (fingerprintOf(whole) !== null) {
          head = [];
          await start(whole, false);
        }
        continue;
      }
      await feed(data);
    }
    if (reader === null && head.length > 0) await start(Buffer.concat(head), true);
    await finish();
  } catch (err: unknown) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError('COL_ERR_GZIP', path, err instanceof Error ? err.message : String(err));
  }
  return { fingerprint, items, skippedBytes: skipped };
}
