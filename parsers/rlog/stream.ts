/**
 * RLOG 3.2 bytes to events and dead letters, chunk by chunk (rlog-3.2.md, "Bytes and lines",
 * "Continuation lines", "Sessions and hosts").
 *
 * `parseRlogChunk` is a pure function: bytes that start at `context.offset`, the context, and the
 * source configuration in; items, the new context and how many bytes it consumed out. The
 * caller keeps the bytes past `consumed` (an incomplete last line, or a record that may still get
 * continuation lines) and hands them in again with the next chunk. The context is plain JSON, so a
 * follower can checkpoint it with the offset and resume mid-file with the right session.
 */
import type { DeadLetter, ParsedItem, RlogDeadLetterReason } from '../event.js';
import { stableId, stableIdOfText } from '../id.js';
import { originalText, displayText } from '../text.js';

const NO_CONTINUATION: readonly string[] = Object.freeze([]);
import { parseRecordLine } from './line.js';
import { normalizeRecord, sessionOfRecord, type RlogSession, type RlogSource } from './record.js';
import type { LineAst, TimestampToken } from './ast.js';
import { toInstant } from './timestamp.js';

export const MAX_LINE_BYTES = 65_536;

export interface RlogContext {
  /** File offset of the first byte the next chunk must start with. */
  readonly offset: number;
  /** 1-based number of the line that starts at `offset`. */
  readonly line: number;
  readonly session: RlogSession | null;
  /** The nearest line before `offset` that was not a continuation or empty. */
  readonly previous: 'none' | 'record' | 'malformed';
  /** Inside an over-long line that was already reported: skip to its LF. */
  readonly skipping: boolean;
}

export const INITIAL_RLOG_CONTEXT: RlogContext = { offset: 0, line: 1, session: null, previous: 'none', skipping: false };

/** How the lines of the consumed bytes were accounted for. */
export interface LineTally {
  records: number;
  continuations: number;
  ignored: number;
  deadLetters: number;
}

export interface ChunkResult {
  readonly items: ParsedItem[];
  readonly context: RlogContext;
  readonly consumed: number;
  readonly tally: LineTally;
}

interface Pending {
  readonly start: number;
  readonly line: number;
  readonly ast: LineAst;
  /** Where the line's text starts, past leading NULs. */
  readonly textStart: number;
  rawEnd: number;
  /** The record line as a byte string, reused for its id and original when it has no continuation. */
  readonly text: string;
  continuation: string[] | null;
  lines: number;
  ignored: number;
  /** The context as it was before this record: where a resume must start. */
  readonly beforeSession: RlogSession | null;
  readonly beforePrevious: RlogContext['previous'];
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const NUL = 0x00;

function isBlank(chunk: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = chunk[i];
    if (c !== SP && c !== TAB && c !== CR && c !== 0x0b && c !== 0x0c) return false;
  }
  return true;
}

function hasBom(chunk: Buffer): boolean {
  return chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
}

function couldBeBom(chunk: Buffer): boolean {
  const bom = [0xef, 0xbb, 0xbf];
  for (let i = 0; i < chunk.length && i < 3; i++) if (chunk[i] !== bom[i]) return false;
  return chunk.length < 3;
}

export function parseRlogChunk(chunk: Buffer, context: RlogContext, source: RlogSource, final: boolean, readTime: string): ChunkResult {
  const base = context.offset;
  const items: ParsedItem[] = [];
  const tally: LineTally = { records: 0, continuations: 0, ignored: 0, deadLetters: 0 };
  const zone = source.timeZone ?? 'UTC';

  let pos = 0;
  if (base === 0 && !final && couldBeBom(chunk)) {
    return { items, context, consumed: 0, tally };
  }
  if (base === 0 && hasBom(chunk)) pos = 3;

  let line = context.line;
  let session = context.session;
  let previous = context.previous;
  let skipping = context.skipping;
  let pending: Pending | null = null;
  // Everything before `safe` is final: a resume starts there with `safeContext`.
  let safe = pos;
  let safeLine = line;
  let safeSession = session;
  let safePrevious = previous;
  const markSafe = (): void => {
    safe = pos;
    safeLine = line;
    safeSession = session;
    safePrevious = previous;
  };

  const deadLetter = (start: number, end: number, reason: RlogDeadLetterReason, column: number, message: string, lineNo: number, ts?: TimestampToken): void => {
    // An over-long line is known by its first bytes, whether its end had arrived or not.
    const raw = chunk.subarray(start, reason === 'line-too-long' ? Math.min(end, start + MAX_LINE_BYTES) : end);
    const offset = base + start;
    let timestamp = readTime;
    if (ts !== undefined) {
      const instant = toInstant(ts, zone);
      if (instant.ok) timestamp = new Date(instant.ms).toISOString();
    }
    const dl: DeadLetter = {
      '@timestamp': timestamp,
      event: {
        id: stableId(`rlog-dead\n${source.host ?? ''}\n${offset}\n`, raw),
        kind: 'pipeline_error',
        dataset: 'recovery.v32',
        original: originalText(raw, MAX_LINE_BYTES),
      },
      log: source.path !== undefined ? { file: { path: source.path }, offset } : { offset },
      error: { type: reason, message: `line ${lineNo}, column ${column}: ${message}` },
      ...(session !== null ? { recovery: { rlog_session: session } } : {}),
    };
    items.push({ kind: 'dead-letter', deadLetter: dl });
    tally.deadLetters++;
  };

  const flush = (): void => {
    if (pending === null) return;
    const p: Pending = pending;
    pending = null;
    const offset = base + p.start;
    // A one-line record without leading NULs is its line: no second conversion of its bytes.
    const oneLine = p.continuation === null && p.textStart === p.start;
    const rawText = oneLine ? p.text : chunk.toString('latin1', p.start, p.rawEnd);
    const own = sessionOfRecord(p.ast, session);
    const result = normalizeRecord(
      {
        ast: p.ast,
        offset,
        id: stableIdOfText(`rlog\n${own?.host ?? source.host ?? ''}\n${own?.id ?? ''}\n${offset}\n`, rawText),
        // A record line is its timestamp (ASCII, or the lexer would not have taken it) and its body.
        original: oneLine && p.ast.body.ascii ? rawText : displayText(rawText),
        continuation: p.continuation ?? NO_CONTINUATION,
      },
      session,
      source,
    );
    tally.continuations += p.lines - 1;
    tally.ignored += p.ignored;
    if (result.ok) {
      items.push({ kind: 'event', event: result.event });
      session = result.session;
      tally.records++;
    } else {
      // The continuations of a record whose timestamp cannot be read go down with it.
      deadLetter(p.start, p.rawEnd, 'bad-timestamp', result.column + p.textStart - p.start, result.message, p.line);
    }
  };

  while (pos < chunk.length || (final && pos < chunk.length)) {
    let lf = chunk.indexOf(LF, pos);
    let next: number;
    if (lf === -1) {
      if (!final) {
        if (!skipping && chunk.length - pos > MAX_LINE_BYTES + 1) {
          // An over-long line is known to be one before its LF arrives: report it now and skip
          // the rest, so that memory stays flat on a file with no line ends at all.
          flush();
          deadLetter(pos, chunk.length, 'line-too-long', MAX_LINE_BYTES + 1, `the line is longer than ${MAX_LINE_BYTES} bytes`, line);
          previous = 'malformed';
          skipping = true;
          pos = chunk.length;
          markSafe();
        } else if (skipping) {
          pos = chunk.length;
          if (pending === null) markSafe();
        }
        break;
      }
      lf = chunk.length;
      next = chunk.length;
    } else {
      next = lf + 1;
    }
    const lineNo = line;
    line++;
    if (skipping) {
      skipping = false;
      pos = next;
      if (pending === null) markSafe();
      continue;
    }
    const end = lf > pos && chunk[lf - 1] === CR ? lf - 1 : lf;
    let text = pos;
    while (text < end && chunk[text] === NUL) text++;

    if (isBlank(chunk, text, end)) {
      if (pending !== null) pending.ignored++;
      else tally.ignored++;
    } else if (end - pos > MAX_LINE_BYTES) {
      flush();
      deadLetter(pos, end, 'line-too-long', MAX_LINE_BYTES + 1, `the line is longer than ${MAX_LINE_BYTES} bytes`, lineNo);
      previous = 'malformed';
    } else {
      // The line as a byte string: one conversion, searched for NULs and read by the grammar.
      const lineText = chunk.toString('latin1', text, end);
      const nul = lineText.indexOf('\0');
      if (nul !== -1) {
        flush();
        deadLetter(pos, end, 'nul-byte', text + nul - pos + 1, `a NUL byte inside the line (NULs are allowed only at its start)`, lineNo);
        previous = 'malformed';
      } else if ((chunk[text] === SP && chunk[text + 1] === SP) || chunk[text] === TAB) {
        if (pending !== null) {
          let from = text;
          while (from < end && (chunk[from] === SP || chunk[from] === TAB)) from++;
          (pending.continuation ??= []).push(displayText(lineText.slice(from - text)));
          pending.rawEnd = end;
          pending.lines++;
        } else {
          deadLetter(pos, end, 'orphan-continuation', 1,
            `an indented continuation line with no record before it (${previous === 'none' ? 'the start of the file' : 'the line before is malformed'})`, lineNo);
        }
      } else {
        flush();
        const parsed = parseRecordLine(lineText);
        if (parsed.ok) {
          pending = { start: pos, line: lineNo, ast: parsed.ast, textStart: text, rawEnd: end, text: lineText, continuation: null, lines: 1, ignored: 0, beforeSession: session, beforePrevious: previous };
          previous = 'record';
        } else {
          deadLetter(pos, end, parsed.reason, parsed.column + text - pos, parsed.message, lineNo, parsed.timestamp);
          previous = 'malformed';
        }
      }
    }
    pos = next;
    if (pending === null) markSafe();
  }

  if (final) {
    flush();
    pos = chunk.length;
    markSafe();
  } else if (pending !== null) {
    const p: Pending = pending;
    safe = p.start;
    safeLine = p.line;
    safeSession = p.beforeSession;
    safePrevious = p.beforePrevious;
  }
  return {
    items,
    context: { offset: base + safe, line: safeLine, session: safeSession, previous: safePrevious, skipping: final ? false : skipping && safe === chunk.length },
    consumed: safe,
    tally,
  };
}
