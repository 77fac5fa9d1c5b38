/**
 * A worker thread of the parse pool: parses one piece of a log (see split.ts) and posts the items
 * back. Runs the same pure chunk parsers as everything else.
 */
import { parentPort } from 'node:worker_threads';
import type { ParsedItem } from '../../parsers/event.js';
import { parseOpsChunk } from '../../parsers/ops/stream.js';
import { INITIAL_RLOG_CONTEXT, parseRlogChunk } from '../../parsers/rlog/stream.js';
import type { ParseTask } from './parse-pool.js';

function run(task: ParseTask): { items: ParsedItem[]; counts: { records: number; continuations: number; ignored: number; deadLetters: number } } {
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  if (task.format === 'rlog') {
    const r = parseRlogChunk(bytes, { ...INITIAL_RLOG_CONTEXT, offset: task.offset, line: task.line }, task.source, true, task.readTime);
    return { items: r.items, counts: { ...r.tally } };
  }
  const r = parseOpsChunk(bytes, { offset: task.offset, line: task.line }, task.source, true, task.readTime);
  return { items: r.items, counts: { ...r.tally, continuations: 0 } };
}

parentPort?.on('message', (task: ParseTask) => {
  parentPort?.postMessage(run(task));
});
