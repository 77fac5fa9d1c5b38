/**
 * A streaming reader over either format: feed it chunks of a file as they come, take the items.
 * It keeps the bytes the pure chunk parsers did not consume yet (an incomplete line, a record that
 * may still get continuation lines) and exposes the checkpointable context of what it consumed.
 */
import type { ParsedItem } from './event.js';
import { INITIAL_OPS_CONTEXT, parseOpsChunk, type OpsContext } from './ops/stream.js';
import { INITIAL_RLOG_CONTEXT, parseRlogChunk, type RlogContext } from './rlog/stream.js';
import type { RlogSource } from './rlog/record.js';

export const FORMATS = ['rlog', 'ops'] as const;
export type Format = (typeof FORMATS)[number];

export type ReaderContext =
  | { readonly format: 'rlog'; readonly rlog: RlogContext }
  | { readonly format: 'ops'; readonly ops: OpsContext };

export interface LineCounts {
  records: number;
  continuations: number;
  ignored: number;
  deadLetters: number;
}

export function initialContext(format: Format): ReaderContext {
  return format === 'rlog' ? { format, rlog: INITIAL_RLOG_CONTEXT } : { format, ops: INITIAL_OPS_CONTEXT };
}

export function contextOffset(context: ReaderContext): number {
  return context.format === 'rlog' ? context.rlog.offset : context.ops.offset;
}

const EMPTY = Buffer.alloc(0);
/** Lines of a chunk read after the held-back bytes before the chunk is read in place. */
const MAX_BRIDGED_LINES = 4;

export class RecordReader {
  private tail: Buffer = EMPTY;
  private ctx: ReaderContext;
  readonly counts: LineCounts = { records: 0, continuations: 0, ignored: 0, deadLetters: 0 };

  constructor(
    readonly format: Format,
    private readonly source: RlogSource,
    context?: ReaderContext,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {
    this.ctx = context ?? initialContext(format);
    if (this.ctx.format !== format) throw new Error(`checkpoint context is for ${this.ctx.format}, the source is ${format}`);
  }

  /** The context at the end of what has been consumed: checkpoint it with `consumedOffset`. */
  get context(): ReaderContext {
    return this.ctx;
  }

  get consumedOffset(): number {
    return contextOffset(this.ctx);
  }

  /** Bytes held back, waiting for more input. */
  get pendingBytes(): number {
    return this.tail.length;
  }

  push(chunk: Buffer): ParsedItem[] {
    return this.run(chunk, false);
  }

  /** The input is complete: its last line counts even without LF. */
  end(): ParsedItem[] {
    return this.run(EMPTY, true);
  }

  /**
   * Ends a record held back for continuation lines that are not coming (a follower calls this when
   * its file went quiet or was rotated away), but never an incomplete last line: that waits for
   * its LF. Reading can go on afterwards; a continuation that comes later is an orphan.
   */
  flushRecord(): ParsedItem[] {
    if (this.tail.length === 0 || this.tail[this.tail.length - 1] !== 0x0a) return [];
    return this.run(EMPTY, true);
  }

  private run(chunk: Buffer, final: boolean): ParsedItem[] {
    if (this.tail.length === 0 || chunk.length === 0) return this.parse(this.tail.length === 0 ? chunk : this.tail, final);
    // The held-back bytes go first, with the chunk's lines one at a time, until what is held back
    // again lies inside the chunk: the chunk is then read in place, where copying it after the
    // held-back bytes would copy all the input once more. Records with long runs of continuation
    // lines across the boundary take the copy.
    const items: ParsedItem[][] = [];
    let rest = chunk;
    for (let bridged = 0; bridged < MAX_BRIDGED_LINES && this.tail.length > 0; bridged++) {
      const lf = rest.indexOf(0x0a);
      if (lf === -1 || lf + 1 === rest.length) break;
      items.push(this.parse(Buffer.concat([this.tail, rest.subarray(0, lf + 1)]), false));
      if (this.tail.length <= lf + 1) {
        rest = rest.subarray(lf + 1 - this.tail.length);
        this.tail = EMPTY;
      } else rest = rest.subarray(lf + 1);
    }
    items.push(this.parse(this.tail.length === 0 ? rest : Buffer.concat([this.tail, rest]), final));
    // concat, not flat(): flat() walked the items one by one (4 % of reading OPS).
    return items.length === 1 ? (items[0] ?? []) : ([] as ParsedItem[]).concat(...items);
  }

  /** `bytes` start at the consumed offset: what the context does not consume becomes the tail. */
  private parse(bytes: Buffer, final: boolean): ParsedItem[] {
    if (bytes.length === 0 && !final) {
      this.tail = EMPTY;
      return [];
    }
    const readTime = this.now();
    let items: ParsedItem[];
    let consumed: number;
    if (this.ctx.format === 'rlog') {
      const r = parseRlogChunk(bytes, this.ctx.rlog, this.source, final, readTime);
      this.ctx = { format: 'rlog', rlog: r.context };
      ({ items, consumed } = r);
      this.counts.records += r.tally.records;
      this.counts.continuations += r.tally.continuations;
      this.counts.ignored += r.tally.ignored;
      this.counts.deadLetters += r.tally.deadLetters;
    } else {
      const r = parseOpsChunk(bytes, this.ctx.ops, this.source, final, readTime);
      this.ctx = { format: 'ops', ops: r.context };
      ({ items, consumed } = r);
      this.counts.records += r.tally.records;
      this.counts.ignored += r.tally.ignored;
      this.counts.deadLetters += r.tally.deadLetters;
    }
    // Copy the tail: a subarray would pin the whole chunk in memory.
    this.tail = consumed >= bytes.length ? EMPTY : Buffer.from(bytes.subarray(consumed));
    return items;
  }
}
