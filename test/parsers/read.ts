/** Test helpers: read whole inputs, or in pieces, with a fixed clock so outputs compare. */
import { RecordReader, type Format, type ReaderContext } from '../../parsers/reader.js';
import type { ParsedItem } from '../../parsers/event.js';
import type { RlogSource } from '../../parsers/rlog/record.js';

export const FIXED_NOW = '2026-11-22T00:00:00.000Z';

export function readWhole(bytes: Buffer, format: Format, source: RlogSource = {}): { items: ParsedItem[]; reader: RecordReader } {
  const reader = new RecordReader(format, source, undefined, () => FIXED_NOW);
  const items = [...reader.push(bytes), ...reader.end()];
  return { items, reader };
}

/** Feeds `bytes` cut at the given positions, as a follower would see appends. */
export function readInPieces(bytes: Buffer, cuts: readonly number[], format: Format, source: RlogSource = {}, context?: ReaderContext): ParsedItem[] {
  const reader = new RecordReader(format, source, context, () => FIXED_NOW);
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(bytes.length, c))))].sort((a, b) => a - b);
  const items: ParsedItem[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    items.push(...reader.push(bytes.subarray(from, p)));
    from = p;
  }
  items.push(...reader.end());
  return items;
}

/** Lines as the format references count them: LF-terminated, the last one even without LF. */
export function countLines(bytes: Buffer): number {
  if (bytes.length === 0) return 0;
  let n = 0;
  for (const b of bytes) if (b === 0x0a) n++;
  return bytes[bytes.length - 1] === 0x0a ? n : n + 1;
}
