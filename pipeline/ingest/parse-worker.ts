/**
 * A worker thread of the parse pool: parses one piece of a log (see split.ts) with the same pure
 * chunk parsers as everything else, and posts back the items, their NDJSON text or the store's
 * staged text (piece-output.ts; text crosses threads as one copy, while a structured clone of
 * many small objects costs more than parsing).
 */
import { parentPort } from 'node:worker_threads';
import type { ParsedItem } from '../../parsers/event.js';
import { RecordReader, type ReaderContext } from '../../parsers/reader.js';
import { INITIAL_RLOG_CONTEXT } from '../../parsers/rlog/stream.js';
import type { ParseTask } from './parse-pool.js';
import { joinPieces, renderPart, transferables, type PiecePart, type PieceResult } from './piece-output.js';

/**
 * A piece is parsed and rendered in slices of this size: the events of a slice die young once
 * rendered to text, where a 4 MiB piece's tens of thousands, all alive at once, were promoted out
 * of the young generation (garbage collection took about a quarter of parse time).
 */
export const SLICE_BYTES = 64 * 1024;

function readerFor(task: ParseTask): RecordReader {
  const context: ReaderContext =
    task.format === 'rlog' ? { format: 'rlog', rlog: { ...INITIAL_RLOG_CONTEXT, offset: task.offset, line: task.line } } : { format: 'ops', ops: { offset: task.offset, line: task.line } };
  return new RecordReader(task.format, task.source, context, () => task.readTime);
}

/** The whole piece's items at once (the slow path, for a piece the store will refuse). */
function parseWhole(task: ParseTask, bytes: Buffer): ParsedItem[] {
  const reader = readerFor(task);
  return [...reader.push(bytes), ...reader.end()];
}

function run(task: ParseTask): PieceResult {
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const reader = readerFor(task);
  const parts: PiecePart[] = [];
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) parts.push(renderPart(reader.push(bytes.subarray(at, at + SLICE_BYTES)), task.output));
  parts.push(renderPart(reader.end(), task.output));
  return joinPieces(parts, { ...reader.counts }, () => parseWhole(task, bytes));
}

parentPort?.on('message', (task: ParseTask) => {
  const result = run(task);
  // The texts are handed over, not copied.
  parentPort?.postMessage(result, transferables(result));
});
