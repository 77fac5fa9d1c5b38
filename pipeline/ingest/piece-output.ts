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
  | { readonly kind: 'ndjson'; readonly events: string; readonly deadLetters: string; readonly counts: LineCounts }
  | {
      readonly kind: 'staged';
      readonly staged: StagedEvents;
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
  if (output === 'items') return { kind: 'items', items, counts };
  if (output === 'ndjson') {
    let events = '';
    let deadLetters = '';
    for (const item of items) {
      if (item.kind === 'event') events += `${JSON.stringify(item.event)}\n`;
      else deadLetters += `${JSON.stringify(item.deadLetter)}\n`;
    }
    return { kind: 'ndjson', events, deadLetters, counts };
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
  if (!staged.ok) return { kind: 'items', items, counts };
  return { kind: 'staged', staged: staged.staged, received: events.length, deadLetters, counts };
}
