/**
 * OPS 4.2 NDJSON bytes to events and dead letters, chunk by chunk: the same pure, resumable shape
 * as the RLOG reader (see ../rlog/stream.ts), without sessions. Also reads single records, as they
 * come from Kafka (`parseOpsRecord`).
 */
import type { DeadLetter, KafkaOrigin, OpsDeadLetterReason, ParsedItem } from '../event.js';
import { stableId, stableIdOfText } from '../id.js';
import { originalText } from '../text.js';
import { normalizeOps, type OpsSource } from './normalize.js';
import { readOps } from './schema.js';

export interface OpsContext {
  readonly offset: number;
  readonly line: number;
}

export const INITIAL_OPS_CONTEXT: OpsContext = { offset: 0, line: 1 };

export interface OpsChunkResult {
  readonly items: ParsedItem[];
  readonly context: OpsContext;
  readonly consumed: number;
  readonly tally: { records: number; ignored: number; deadLetters: number };
}

const LF = 0x0a;
const CR = 0x0d;
const MAX_ORIGINAL_BYTES = 65_536;

export interface OpsOrigin {
  readonly offset?: number;
  readonly line?: number;
  readonly kafka?: KafkaOrigin;
}

/** The 1-based column JSON.parse stopped at, from its message ("... at position 65"). */
function errorColumn(err: unknown): number {
  const m = err instanceof Error ? /position (\d+)/.exec(err.message) : null;
  return m?.[1] !== undefined ? Number(m[1]) + 1 : 1;
}

function deadLetter(raw: Buffer, reason: OpsDeadLetterReason, message: string, origin: OpsOrigin, source: OpsSource, readTime: string, column?: number): ParsedItem {
  const where = [origin.line !== undefined ? `line ${origin.line}` : '', column !== undefined ? `column ${column}` : ''].filter((w) => w !== '').join(', ');
  const dl: DeadLetter = {
    '@timestamp': readTime,
    event: {
      id: stableId(`ops-dead\n${origin.kafka ? `${origin.kafka.topic}/${origin.kafka.partition}/${origin.kafka.offset}` : String(origin.offset ?? '')}\n`, raw),
      kind: 'pipeline_error',
      dataset: 'recovery.v42',
      original: originalText(raw, MAX_ORIGINAL_BYTES),
    },
    ...(source.path !== undefined || origin.offset !== undefined
      ? { log: { ...(source.path !== undefined ? { file: { path: source.path } } : {}), ...(origin.offset !== undefined ? { offset: origin.offset } : {}) } }
      : {}),
    ...(origin.kafka !== undefined ? { kafka: origin.kafka } : {}),
    error: { type: reason, message: where === '' ? message : `${where}: ${message}` },
  };
  return { kind: 'dead-letter', deadLetter: dl };
}

/**
 * One record to an event or a dead letter: `text` is `bytes[start, end)` decoded, the raw bytes
 * are cut out only for a dead letter.
 */
function recordItem(text: string, bytes: Buffer, start: number, end: number, origin: OpsOrigin, source: OpsSource, readTime: string): ParsedItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err: unknown) {
    return deadLetter(bytes.subarray(start, end), 'not-json', `not a JSON value (${err instanceof Error ? err.message : String(err)})`, origin, source, readTime, errorColumn(err));
  }
  const result = readOps(value);
  if (!result.ok) return deadLetter(bytes.subarray(start, end), result.reason, result.message, origin, source, readTime);
  const r = result.record;
  // v2 events carry their own id, which parent links refer to; v1 events are identified by content.
  const id = r.schema === 2 ? r.eventId : stableIdOfText('ops-v1\n', text);
  return { kind: 'event', event: normalizeOps(r, id, origin.offset, text, source) };
}

/** One record's bytes (no line end) to an event or a dead letter. */
export function parseOpsRecord(raw: Buffer, origin: OpsOrigin, source: OpsSource, readTime: string): ParsedItem {
  return recordItem(raw.toString('utf8'), raw, 0, raw.length, origin, source, readTime);
}

export function parseOpsChunk(chunk: Buffer, context: OpsContext, source: OpsSource, final: boolean, readTime: string): OpsChunkResult {
  const items: ParsedItem[] = [];
  const tally = { records: 0, ignored: 0, deadLetters: 0 };
  let pos = 0;
  if (context.offset === 0) {
    if (!final && chunk.length < 3 && [0xef, 0xbb, 0xbf].slice(0, chunk.length).every((b, i) => chunk[i] === b)) {
      return { items, context, consumed: 0, tally };
    }
    if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) pos = 3;
  }
  let line = context.line;
  while (pos < chunk.length) {
    let lf = chunk.indexOf(LF, pos);
    let next: number;
    if (lf === -1) {
      if (!final) break;
      lf = chunk.length;
      next = lf;
    } else next = lf + 1;
    const end = lf > pos && chunk[lf - 1] === CR ? lf - 1 : lf;
    let isBlank = true;
    for (let i = pos; i < end; i++) {
      const c = chunk[i];
      if (c !== 0x20 && c !== 0x09 && c !== CR) {
        isBlank = false;
        break;
      }
    }
    if (isBlank) tally.ignored++;
    else {
      const item = recordItem(chunk.toString('utf8', pos, end), chunk, pos, end, { offset: context.offset + pos, line }, source, readTime);
      items.push(item);
      if (item.kind === 'event') tally.records++;
      else tally.deadLetters++;
    }
    line++;
    pos = next;
  }
  return { items, context: { offset: context.offset + pos, line }, consumed: pos, tally };
}
