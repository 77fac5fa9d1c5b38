/**
 * A worker thread of the parse pool: parses one piece of a log (see split.ts) with the same pure
 * chunk parsers as everything else, and posts back the items, their NDJSON text or the store's
 * staged text (piece-output.ts; text crosses threads as one copy, while a structured clone of
 * many small objects costs more than parsing).
 */
import { parentPort } from 'node:worker_threads';
import type { ParsedItem } from '../../parsers/event.js';
import type { LineCounts } from '../../parsers/reader.js';
import { parseOpsChunk } from '../../parsers/ops/stream.js';
import { INITIAL_RLOG_CONTEXT, parseRlogChunk } from '../../parsers/rlog/stream.js';
import type { ParseTask } from './parse-pool.js';
import { renderPiece, type PieceResult } from './piece-output.js';

function parse(task: ParseTask): { items: ParsedItem[]; counts: LineCounts } {
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  if (task.format === 'rlog') {
    const r = parseRlogChunk(bytes, { ...INITIAL_RLOG_CONTEXT, offset: task.offset, line: task.line }, task.source, true, task.readTime);
    return { items: r.items, counts: { ...r.tally } };
  }
  const r = parseOpsChunk(bytes, { offset: task.offset, line: task.line }, task.source, true, task.readTime);
  return { items: r.items, counts: { ...r.tally, continuations: 0 } };
}

function run(task: ParseTask): PieceResult {
  const { items, counts } = parse(task);
  return renderPiece(items, counts, task.output);
}

parentPort?.on('message', (task: ParseTask) => {
  const result = run(task);
  // The staged texts are handed over, not copied.
  parentPort?.postMessage(result, result.kind === 'staged' ? result.staged.texts.map((t) => t.buffer) : []);
});
