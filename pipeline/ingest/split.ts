/**
 * Where a log can be cut so that each piece parses on its own, exactly as it would inside the
 * whole: OPS lines are independent, so any line end will do; an RLOG piece must start at a
 * SESSION START record, whose own fields do not depend on what came before and after which no
 * continuation of an earlier record can follow. Whether a line is one is asked of the parser
 * itself, not of a pattern beside it.
 */
import type { Format } from '../../parsers/reader.js';
import { INITIAL_RLOG_CONTEXT, parseRlogChunk } from '../../parsers/rlog/stream.js';
import type { RlogSource } from '../../parsers/rlog/record.js';

export interface Piece {
  readonly start: number;
  readonly end: number;
  /** 1-based number of the piece's first line in the whole input. */
  readonly line: number;
}

/** How far past a target a SESSION START is looked for before the piece is left whole. */
const SEARCH_LIMIT_BYTES = 4 * 1024 * 1024;

function isSessionStart(bytes: Buffer, start: number, end: number, source: RlogSource): boolean {
  if (bytes[start] !== 0x5b /* [ */) return false;
  const { items } = parseRlogChunk(bytes.subarray(start, end), { ...INITIAL_RLOG_CONTEXT, offset: 1 }, source, true, '');
  const first = items[0];
  return items.length === 1 && first?.kind === 'event' && first.event.event.action === 'session.start';
}

function cutNear(bytes: Buffer, target: number, format: Format, source: RlogSource): number | null {
  let pos = bytes.indexOf(0x0a, target - 1);
  while (pos !== -1 && pos < target + SEARCH_LIMIT_BYTES) {
    const start = pos + 1;
    if (start >= bytes.length) return null;
    const lf = bytes.indexOf(0x0a, start);
    const end = lf === -1 ? bytes.length : lf;
    if (format === 'ops' || isSessionStart(bytes, start, end, source)) return start;
    pos = lf;
  }
  return null;
}

function countLines(bytes: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a, from); i !== -1 && i < to; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

export function splitForParallel(bytes: Buffer, format: Format, source: RlogSource, pieces: number): Piece[] {
  const cuts: number[] = [0];
  for (let k = 1; k < pieces; k++) {
    const target = Math.floor((bytes.length * k) / pieces);
    const last = cuts[cuts.length - 1] ?? 0;
    if (target <= last) continue;
    const cut = cutNear(bytes, target, format, source);
    if (cut !== null && cut > last) cuts.push(cut);
  }
  const result: Piece[] = [];
  let line = 1;
  for (let i = 0; i < cuts.length; i++) {
    const start = cuts[i] ?? 0;
    const end = cuts[i + 1] ?? bytes.length;
    result.push({ start, end, line });
    line += countLines(bytes, start, end);
  }
  return result;
}
