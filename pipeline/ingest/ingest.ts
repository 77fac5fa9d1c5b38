/**
 * Batch import of whole files (plain or .gz) into the store, or into the running service that
 * holds it. Safe to run twice: ids are stable and stores write idempotently, so a second run
 * counts duplicates and stores nothing new.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { DeadLetter, ParsedItem, RecoveryEvent } from '../../parsers/event.js';
import { RecordReader, type Format } from '../../parsers/reader.js';
import type { RlogSource } from '../../parsers/rlog/record.js';
import type { WriteCounts } from '../store/event-store.js';
import type { StagedEvents } from '../store/staged-events.js';
import type { DuckDbEventStore } from '../store/duckdb-store.js';
import type { ParsePool } from './parse-pool.js';

type Written = { events: WriteCounts; deadLetters: WriteCounts };

export interface BatchWriter {
  write(events: readonly RecoveryEvent[], deadLetters: readonly DeadLetter[]): Promise<Written>;
  /**
   * Events the parse workers already checked and staged (a local DuckDB store); `received` counts
   * them before repeated ids were dropped. Without it, files are parsed on this thread.
   */
  writeStaged?(parts: readonly StagedEvents[], deadLetters: readonly DeadLetter[], received: number): Promise<Written>;
}

/** A writer into a store this process holds. */
export function storeWriter(store: DuckDbEventStore): BatchWriter {
  return {
    write: async (events, dead) => {
      const r = await store.writeBatch(events, dead);
      if (!r.ok) throw r.error;
      return { events: r.events, deadLetters: r.deadLetters };
    },
    writeStaged: async (parts, dead, received) => {
      const r = await store.writeStaged(parts, dead, received);
      if (!r.ok) throw r.error;
      return { events: r.events, deadLetters: r.deadLetters };
    },
  };
}

export interface IngestTotals {
  files: number;
  bytes: number;
  records: number;
  eventsStored: number;
  deadLettersStored: number;
  duplicates: number;
}

export interface IngestProgress {
  readonly file: string;
  readonly bytesRead: number;
  readonly fileBytes: number;
  readonly totals: IngestTotals;
}

// Bounded so that one batch in flight keeps the heap small (a batch of 20,000 held 160 MB).
const BATCH_ITEMS = 5_000;
/**
 * Staged events are UTF-8 texts, not object graphs (20,000 events hold about 20 MB): larger
 * batches mean fewer commits and fewer duplicate checks, each of which reads every stored id.
 */
const STAGED_BATCH_ITEMS = 20_000;

export async function ingestFiles(
  files: readonly string[],
  format: Format,
  source: Omit<RlogSource, 'path'>,
  writer: BatchWriter,
  onProgress: (p: IngestProgress) => void = () => undefined,
  pool?: ParsePool,
): Promise<IngestTotals> {
  const totals: IngestTotals = { files: 0, bytes: 0, records: 0, eventsStored: 0, deadLettersStored: 0, duplicates: 0 };
  const add = (result: Written, records: number): void => {
    totals.records += records;
    totals.eventsStored += result.events.inserted;
    totals.deadLettersStored += result.deadLetters.inserted;
    totals.duplicates += result.events.duplicates + result.deadLetters.duplicates;
  };
  for (const file of files) {
    const fileBytes = statSync(file).size;
    if (pool !== undefined && writer.writeStaged !== undefined && !file.endsWith('.gz')) {
      await stageFile(file, fileBytes, format, source, writer, writer.writeStaged.bind(writer), pool, add, (bytesRead) => onProgress({ file, bytesRead, fileBytes, totals }));
      totals.files++;
      totals.bytes += fileBytes;
      continue;
    }
    const raw = createReadStream(file, { highWaterMark: 4 << 20 });
    let bytesRead = 0;
    raw.on('data', (d: Buffer | string) => (bytesRead += d.length));
    const input: Readable = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const reader = new RecordReader(format, { ...source, path: file });
    let pending: ParsedItem[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const events: RecoveryEvent[] = [];
      const dead: DeadLetter[] = [];
      for (const item of pending) {
        if (item.kind === 'event') events.push(item.event);
        else dead.push(item.deadLetter);
      }
      pending = [];
      add(await writer.write(events, dead), events.length + dead.length);
      onProgress({ file, bytesRead, fileBytes, totals });
    };
    for await (const chunk of input) {
      if (!Buffer.isBuffer(chunk)) continue;
      for (const item of reader.push(chunk)) pending.push(item);
      if (pending.length >= BATCH_ITEMS) await flush();
    }
    for (const item of reader.end()) pending.push(item);
    await flush();
    totals.files++;
    totals.bytes += fileBytes;
  }
  return totals;
}

/**
 * One file through the parse workers, which hand back staged text: this thread only gathers
 * them into batches and writes. One write runs while the workers parse on and the next batch
 * gathers, so parsing and storing overlap.
 */
async function stageFile(
  file: string,
  fileBytes: number,
  format: Format,
  source: Omit<RlogSource, 'path'>,
  writer: BatchWriter,
  writeStaged: NonNullable<BatchWriter['writeStaged']>,
  pool: ParsePool,
  add: (result: Written, records: number) => void,
  progress: (bytesRead: number) => void,
): Promise<void> {
  let parts: StagedEvents[] = [];
  let dead: DeadLetter[] = [];
  let rows = 0;
  let received = 0;
  let writing: Promise<void> = Promise.resolve();
  const write = async (end: number): Promise<void> => {
    if (received === 0 && dead.length === 0) return;
    const batch = { parts, dead, received };
    parts = [];
    dead = [];
    rows = 0;
    received = 0;
    // The write before this one must be committed first: one in flight, in file order.
    await writing;
    writing = writeStaged(batch.parts, batch.dead, batch.received).then((result) => {
      add(result, batch.received + batch.dead.length);
      progress(Math.min(end, fileBytes));
    });
    // Its failure is seen by the next await of it; until then it must not count as unhandled.
    writing.catch(() => undefined);
  };
  let lastEnd = 0;
  await pool.stageFile(file, format, { ...source, path: file }, async (piece, end) => {
    lastEnd = end;
    if (piece.kind === 'items') {
      // A piece with an event the store refuses: written alone, so that its error is the store's.
      await write(end);
      await writing;
      const events: RecoveryEvent[] = [];
      const deadLetters: DeadLetter[] = [];
      for (const item of piece.items) {
        if (item.kind === 'event') events.push(item.event);
        else deadLetters.push(item.deadLetter);
      }
      add(await writer.write(events, deadLetters), events.length + deadLetters.length);
      return;
    }
    parts.push(...piece.parts);
    for (const d of piece.deadLetters) dead.push(d);
    rows += piece.rows;
    received += piece.received;
    if (rows + dead.length >= STAGED_BATCH_ITEMS) await write(end);
  });
  await write(lastEnd);
  await writing;
}
