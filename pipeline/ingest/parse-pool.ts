/**
 * Parses a whole log on every core: the log is cut where pieces parse independently (split.ts),
 * each piece goes to a worker thread, and the items come back in input order, exactly as one
 * thread would have given them. For batch imports of large files; followers parse inline.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ParsedItem } from '../../parsers/event.js';
import type { Format, LineCounts } from '../../parsers/reader.js';
import type { RlogSource } from '../../parsers/rlog/record.js';
import { splitForParallel } from './split.js';

export interface ParseTask {
  readonly format: Format;
  readonly bytes: Uint8Array;
  readonly offset: number;
  readonly line: number;
  readonly source: RlogSource;
  readonly readTime: string;
}

interface TaskResult {
  readonly items: ParsedItem[];
  readonly counts: LineCounts;
}

/** The compiled worker; from sources (tests) it is the one `npm run build` wrote to dist/. */
function workerUrl(): URL {
  const here = new URL('./parse-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/pipeline/ingest/parse-worker.js', import.meta.url);
}

export class ParsePool {
  private readonly workers: Worker[];

  constructor(readonly size: number = availableParallelism()) {
    this.workers = Array.from({ length: Math.max(1, size) }, () => new Worker(workerUrl()));
  }

  private runOn(worker: Worker, task: ParseTask): Promise<TaskResult> {
    return new Promise((resolve, reject) => {
      const onMessage = (result: TaskResult): void => {
        worker.off('error', onError);
        resolve(result);
      };
      const onError = (err: Error): void => {
        worker.off('message', onMessage);
        reject(err);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      // A view would clone its whole underlying buffer: copy the piece and hand the copy over.
      const copy = new Uint8Array(task.bytes);
      worker.postMessage({ ...task, bytes: copy }, [copy.buffer]);
    });
  }

  /** Items of the whole input, in input order, and how its lines were accounted for. */
  async parse(bytes: Buffer, format: Format, source: RlogSource, readTime = new Date().toISOString()): Promise<TaskResult> {
    const pieces = splitForParallel(bytes, format, source, this.workers.length);
    const results = await Promise.all(
      pieces.map((piece, i) => {
        const worker = this.workers[i % this.workers.length];
        if (worker === undefined) throw new Error('parse pool has no worker');
        return this.runOn(worker, { format, bytes: bytes.subarray(piece.start, piece.end), offset: piece.start, line: piece.line, source, readTime });
      }),
    );
    const counts: LineCounts = { records: 0, continuations: 0, ignored: 0, deadLetters: 0 };
    const items: ParsedItem[] = [];
    for (const r of results) {
      for (const item of r.items) items.push(item);
      counts.records += r.counts.records;
      counts.continuations += r.counts.continuations;
      counts.ignored += r.counts.ignored;
      counts.deadLetters += r.counts.deadLetters;
    }
    return { items, counts };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
