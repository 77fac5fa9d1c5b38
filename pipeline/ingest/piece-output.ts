/**
 * What the parse pool hands back for a piece of a log, made on the thread that parsed it: the
 * items themselves, their NDJSON text (`kintsugi parse`), or the text the DuckDB store stages
 * (`kintsugi ingest`: checking, `JSON.stringify` and packing done off the writing thread).
 */
import type { DeadLetter, ParsedItem, RecoveryEvent } from '../../parsers/event.js';
import type { LineCounts } from '../../parsers/reader.js';
import { stageEvents, type StagedEvents } from '../store/staged-events.js';

export type PieceOutput = 'items' | 'ndjson' | 'staged';

export type PieceResult =
  | { readonly kind: 'items'; readonly items: ParsedItem[]; readonly counts: LineCounts }
  | {
      readonly kind: 'ndjson';
      /** UTF-8 NDJSON in input order, one text per slice that had any: handed across threads, not copied. */
      readonly events: readonly Uint8Array[];
      readonly deadLetters: readonly Uint8Array[];
      readonly counts: LineCounts;
    }
  | {
      readonly kind: 'staged';
      /** In piece order; `DuckDbEventStore.writeStaged` takes them as they are. */
      readonly parts: readonly StagedEvents[];
      readonly rows: number;
      /** Events parsed, before an id repeated in the piece was dropped. */
      readonly received: number;
      readonly deadLetters: DeadLetter[];
      readonly counts: LineCounts;
    };

export type NdjsonPiece = Extract<PieceResult, { kind: 'ndjson' }>;
export type StagedPiece = Extract<PieceResult, { kind: 'staged' }>;
/** A piece for a store: staged text, or items when they did not pass the store's checks. */
export type StorePiece = StagedPiece | Extract<PieceResult, { kind: 'items' }>;

export function renderPiece(items: ParsedItem[], counts: LineCounts, output: PieceOutput): PieceResult {
  return joinPieces([renderPart(items, output)], counts, () => items);
}

/** One slice of a piece rendered as the piece will be; `items` when a store check failed. */
export type PiecePart =
  | { readonly kind: 'items'; readonly items: ParsedItem[] }
  | { readonly kind: 'ndjson'; readonly events: Uint8Array; readonly deadLetters: Uint8Array }
  | { readonly kind: 'staged'; readonly staged: StagedEvents; readonly received: number; readonly deadLetters: DeadLetter[] };

const utf8 = new TextEncoder();

export function renderPart(items: ParsedItem[], output: PieceOutput): PiecePart {
  if (output === 'items') return { kind: 'items', items };
  if (output === 'ndjson') {
    let events = '';
    let deadLetters = '';
    for (const item of items) {
      if (item.kind === 'event') events += `${JSON.stringify(item.event)}\n`;
      else deadLetters += `${JSON.stringify(item.deadLetter)}\n`;
    }
    // Encoded at once: the slice's strings die young, where strings kept for the whole piece were
    // promoted to the old generation, and the bytes cross to the writing thread without a copy.
    return { kind: 'ndjson', events: utf8.encode(events), deadLetters: utf8.encode(deadLetters) };
  }
  const events: RecoveryEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const item of items) {
    if (item.kind === 'event') events.push(item.event);
    else deadLetters.push(item.deadLetter);
  }
  // `event.ingested` is stamped here, a moment before the store commits: the store keeps a
  // writer's stamp, and this one is within a batch's write time of the store's own clock.
  const staged = stageEvents(events, new Date().toISOString());
  // An event the store would refuse goes back as items: the store's writeBatch reports it.
  if (!staged.ok) return { kind: 'items', items };
  return { kind: 'staged', staged: staged.staged, received: events.length, deadLetters };
}

/**
 * The parts of a piece, in order, as one result. When a part came back as items although the
 * piece was to be staged (an event the store refuses), the whole piece goes back as items, which
 * `allItems` gives (the caller parses it again: the parts no longer hold them).
 */
export function joinPieces(parts: readonly PiecePart[], counts: LineCounts, allItems: () => ParsedItem[]): PieceResult {
  const first = parts[0];
  if (first === undefined) return { kind: 'items', items: [], counts };
  if (first.kind === 'ndjson') {
    const events: Uint8Array[] = [];
    const deadLetters: Uint8Array[] = [];
    for (const p of parts) {
      if (p.kind !== 'ndjson') throw new Error('joinPieces: parts of different kinds');
      if (p.events.length > 0) events.push(p.events);
      if (p.deadLetters.length > 0) deadLetters.push(p.deadLetters);
    }
    return { kind: 'ndjson', events, deadLetters, counts };
  }
  if (parts.some((p) => p.kind === 'items')) {
    return { kind: 'items', items: parts.length === 1 && first.kind === 'items' ? first.items : allItems(), counts };
  }
  const staged: StagedEvents[] = [];
  const deadLetters: DeadLetter[] = [];
  let rows = 0;
  let received = 0;
  for (const p of parts) {
    if (p.kind !== 'staged') throw new Error('joinPieces: parts of different kinds');
    if (p.staged.rows > 0) staged.push(p.staged);
    rows += p.staged.rows;
    received += p.received;
    for (const d of p.deadLetters) deadLetters.push(d);
  }
  return { kind: 'staged', parts: staged, rows, received, deadLetters, counts };
}

/** The buffers a piece's result can hand over to another thread: those it alone holds whole. */
export function transferables(result: PieceResult): ArrayBuffer[] {
  const texts = result.kind === 'staged' ? result.parts.flatMap((p) => p.texts) : result.kind === 'ndjson' ? [...result.events, ...result.deadLetters] : [];
  const out: ArrayBuffer[] = [];
  for (const t of texts) if (t.byteOffset === 0 && t.byteLength === t.buffer.byteLength && t.buffer instanceof ArrayBuffer) out.push(t.buffer);
  return out;
}
