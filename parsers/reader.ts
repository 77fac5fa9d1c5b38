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

export class RecordReader {
  private tail: Buffer = Buffer.alloc(0);
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
    return this.run(Buffer.alloc(0), true);
  }

  /**
   * Ends a record held back for continuation lines that are not coming (a follower calls this when
   * its file went quiet or was rotated away), but never an incomplete last line: that waits for
   * its LF. Reading can go on afterwards; a continuation that comes later is an orphan.
   */
  flushRecord(): ParsedItem[] {
    if (this.tail.length === 0 || this.tail[this.tail.length - 1] !== 0x0a) return [];
    return this.run(Buffer.alloc(0), true);
  }

  private run(chunk: Buffer, final: boolean): ParsedItem[] {
    const bytes = this.tail.length === 0 ? chunk : chunk.length === 0 ? this.tail : Buffer.concat([this.tail, chunk]);
    if (bytes.length === 0 && !final) return [];
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
    this.tail = consumed >= bytes.length ? Buffer.alloc(0) : Buffer.from(bytes.subarray(consumed));
    return items;
  }
}
