/**
 * Parses logs on every core: a log is cut where pieces parse independently (split.ts), each piece
 * goes to a worker thread, and the results come back in input order, exactly as one thread would
 * have given them. `parseFile` streams a file of any size through the pool block by block, with a
 * bounded number of pieces in flight, so memory stays flat.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ParsedItem } from '../../parsers/event.js';
import { RecordReader, type Format, type LineCounts } from '../../parsers/reader.js';
import type { RlogSource } from '../../parsers/rlog/record.js';
import { splitForParallel } from './split.js';
import { renderPiece, type NdjsonPiece, type PieceOutput, type PieceResult, type StorePiece } from './piece-output.js';

export type { NdjsonPiece, PieceResult, StorePiece } from './piece-output.js';

export interface ParseTask {
  readonly format: Format;
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly line: number;
  readonly source: RlogSource;
  readonly readTime: string;
  readonly output: PieceOutput;
}

/** The compiled worker; from sources (tests) it is the one `npm run build` wrote to dist/. */
function workerUrl(): URL {
  const here = new URL('./parse-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/pipeline/ingest/parse-worker.js', import.meta.url);
}

function addCounts(into: LineCounts, from: LineCounts): void {
  into.records += from.records;
  into.continuations += from.continuations;
  into.ignored += from.ignored;
  into.deadLetters += from.deadLetters;
}

interface Waiting {
  readonly resolve: (r: PieceResult) => void;
  readonly reject: (e: Error) => void;
}

/**
 * Parse workers for a process that also writes a DuckDB store: one core is left to the writing
 * thread and DuckDB's own threads. On two cores, two workers were no faster than one (the store
 * bounds the import) and cost about 150 MiB more resident memory.
 */
export function workersBesideStore(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class ParsePool {
  private readonly workers: Worker[];
  /** Per worker, the tasks sent and not answered yet: a worker answers its tasks in order. */
  private readonly waiting: Waiting[][];
  private next = 0;

  constructor(readonly size: number = availableParallelism()) {
    this.workers = Array.from({ length: Math.max(1, size) }, () => new Worker(workerUrl()));
    this.waiting = this.workers.map(() => []);
    this.workers.forEach((worker, i) => {
      const queue = this.waiting[i] ?? [];
      worker.on('message', (result: PieceResult) => queue.shift()?.resolve(result));
      worker.on('error', (err: Error) => {
        for (const w of queue.splice(0)) w.reject(err);
      });
    });
  }

  /** Runs one piece on the next worker, round robin. */
  private run(task: ParseTask): Promise<PieceResult> {
    const i = this.next++ % this.workers.length;
    const worker = this.workers[i];
    const queue = this.waiting[i];
    if (worker === undefined || queue === undefined) throw new Error('parse pool has no worker');
    return new Promise((resolve, reject) => {
      queue.push({ resolve, reject });
      // A view would clone its whole underlying buffer: copy the piece and hand the copy over.
      const copy = new Uint8Array(task.bytes);
      worker.postMessage({ ...task, bytes: copy }, [copy.buffer]);
    });
  }

  /** Items of a whole input held in memory, in input order, and how its lines were accounted for. */
  async parse(bytes: Buffer, format: Format, source: RlogSource, readTime = new Date().toISOString()): Promise<{ items: ParsedItem[]; counts: LineCounts }> {
    const pieces = splitForParallel(bytes, format, source, this.workers.length);
    const results = await Promise.all(
      pieces.map((p) => this.run({ format, bytes: bytes.subarray(p.start, p.end), offset: p.start, line: p.line, source, readTime, output: 'items' })),
    );
    const counts: LineCounts = { records: 0, continuations: 0, ignored: 0, deadLetters: 0 };
    const items: ParsedItem[] = [];
    for (const r of results) {
      if (r.kind !== 'items') throw new Error('parse pool: a worker answered with text');
      for (const item of r.items) items.push(item);
      addCounts(counts, r.counts);
    }
    return { items, counts };
  }

  /**
   * Streams a file through the pool as NDJSON, piece by piece in input order. The input is taken
   * as complete (its last line counts without LF). Should a log hold no place to cut for
   * `maxCarryBytes` (a session longer than that), the rest is read on one thread.
   */
  async parseFile(
    path: string,
    format: Format,
    source: RlogSource,
    emit: (piece: NdjsonPiece) => Promise<void>,
    options: { blockBytes?: number; maxCarryBytes?: number; readTime?: string } = {},
  ): Promise<LineCounts> {
    return this.streamFile(path, format, source, 'ndjson', async (r) => {
      if (r.kind !== 'ndjson') throw new Error(`parse pool: a worker answered with ${r.kind}`);
      await emit(r);
    }, options);
  }

  /**
   * Streams a file through the pool as the DuckDB store's staged text (or as items, for a piece
   * holding an event the store would refuse), piece by piece in input order; `end` is the file
   * offset the piece ends at.
   */
  async stageFile(
    path: string,
    format: Format,
    source: RlogSource,
    emit: (piece: StorePiece, end: number) => Promise<void>,
    options: { blockBytes?: number; maxCarryBytes?: number; readTime?: string } = {},
  ): Promise<LineCounts> {
    return this.streamFile(path, format, source, 'staged', async (r, end) => {
      if (r.kind === 'ndjson') throw new Error('parse pool: a worker answered with text');
      await emit(r, end);
    }, options);
  }

  private async streamFile(
    path: string,
    format: Format,
    source: RlogSource,
    output: PieceOutput,
    emit: (piece: PieceResult, end: number) => Promise<void>,
    options: { blockBytes?: number; maxCarryBytes?: number; readTime?: string },
  ): Promise<LineCounts> {
    // Small blocks bound memory: a piece's NDJSON is several times the bytes it came from.
    const blockBytes = options.blockBytes ?? 4 << 20;
    const maxCarry = options.maxCarryBytes ?? 8 * blockBytes;
    const readTime = options.readTime ?? new Date().toISOString();
    const counts: LineCounts = { records: 0, continuations: 0, ignored: 0, deadLetters: 0 };
    const queue: { result: Promise<PieceResult>; end: number }[] = [];
    const drainTo = async (limit: number): Promise<void> => {
      while (queue.length > limit) {
        const next = queue.shift();
        if (next === undefined) break;
        const r = await next.result;
        addCounts(counts, r.counts);
        await emit(r, next.end);
      }
    };
    const handle = await open(path, 'r');
    try {
      let carry = Buffer.alloc(0);
      let carryOffset = 0;
      let carryLine = 1;
      for (;;) {
        const block = Buffer.allocUnsafe(blockBytes);
        const { bytesRead } = await handle.read(block, 0, blockBytes, carryOffset + carry.length);
        const eof = bytesRead === 0;
        const bytes = eof ? carry : Buffer.concat([carry, block.subarray(0, bytesRead)]);
        if (bytes.length === 0) break;
        const pieces = splitForParallel(bytes, format, source, eof ? this.workers.length : this.workers.length + 1);
        // Unless the file ended, the last piece may go on in the next block: it is carried.
        const dispatch = eof ? pieces : pieces.slice(0, -1);
        for (const p of dispatch) {
          const result = this.run({ format, bytes: bytes.subarray(p.start, p.end), offset: carryOffset + p.start, line: carryLine + p.line - 1, source, readTime, output });
          queue.push({ result, end: carryOffset + p.end });
          await drainTo(this.workers.length);
        }
        if (eof) break;
        const last = pieces[pieces.length - 1];
        if (last === undefined) break;
        carry = Buffer.from(bytes.subarray(last.start));
        carryOffset += last.start;
        carryLine += last.line - 1;
        if (carry.length > maxCarry) {
          await drainTo(0);
          await this.readRestOnOneThread(handle, carry, carryOffset, carryLine, format, source, readTime, output, emit, counts, blockBytes);
          return counts;
        }
      }
      await drainTo(0);
      return counts;
    } finally {
      await handle.close();
    }
  }

  private async readRestOnOneThread(
    handle: Awaited<ReturnType<typeof open>>,
    carry: Buffer,
    offset: number,
    line: number,
    format: Format,
    source: RlogSource,
    readTime: string,
    output: PieceOutput,
    emit: (piece: PieceResult, end: number) => Promise<void>,
    counts: LineCounts,
    blockBytes: number,
  ): Promise<void> {
    // The carry starts where a piece may start, so the reader starts there with a fresh context.
    const reader = new RecordReader(
      format,
      source,
      format === 'rlog' ? { format, rlog: { offset, line, session: null, previous: 'none', skipping: false } } : { format, ops: { offset, line } },
      () => readTime,
    );
    let position = offset + carry.length;
    const send = (items: ParsedItem[]): Promise<void> =>
      emit(renderPiece(items, { records: 0, continuations: 0, ignored: 0, deadLetters: 0 }, output), position);
    await send(reader.push(carry));
    const block = Buffer.allocUnsafe(blockBytes);
    for (;;) {
      const { bytesRead } = await handle.read(block, 0, blockBytes, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      await send(reader.push(block.subarray(0, bytesRead)));
    }
    await send(reader.end());
    addCounts(counts, reader.counts);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
