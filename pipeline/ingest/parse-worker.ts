/**
 * A worker thread of the parse pool: parses one piece of a log (see split.ts) with the same pure
 * chunk parsers as everything else, and posts back either the items or their NDJSON text (text
 * crosses threads as one copy; a structured clone of many small objects costs more than parsing).
 */
import { parentPort } from 'node:worker_threads';
import type { ParsedItem } from '../../parsers/event.js';
import type { LineCounts } from '../../parsers/reader.js';
import { parseOpsChunk } from '../../parsers/ops/stream.js';
import { INITIAL_RLOG_CONTEXT, parseRlogChunk } from '../../parsers/rlog/stream.js';
import type { ParseTask, PieceResult } from './parse-pool.js';

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
  if (task.output === 'items') return { kind: 'items', items, counts };
  let events = '';
  let deadLetters = '';
  for (const item of items) {
    if (item.kind === 'event') events += `${JSON.stringify(item.event)}\n`;
    else deadLetters += `${JSON.stringify(item.deadLetter)}\n`;
  }
  return { kind: 'ndjson', events, deadLetters, counts };
}

parentPort?.on('message', (task: ParseTask) => {
  parentPort?.postMessage(run(task));
});
