/** A piece's slices joined into one result (pipeline/ingest/piece-output.ts), as the parse workers do. */
import { describe, expect, it } from 'vitest';
import type { ParsedItem } from '../../parsers/event.js';
import { joinPieces, renderPart, transferables } from '../../pipeline/ingest/piece-output.js';
import { readWhole } from '../parsers/read.js';
import { sampleBytes } from '../parsers/samples.js';

const items = readWhole(sampleBytes('quirks.rlog'), 'rlog', { host: 'h' }).items;
const counts = { records: 1, continuations: 2, ignored: 3, deadLetters: 4 };
const halves = (): [ParsedItem[], ParsedItem[]] => [items.slice(0, 5), items.slice(5)];

describe('joinPieces', () => {
  it('joins NDJSON slices in order, into the text of the whole piece', () => {
    const [a, b] = halves();
    const joined = joinPieces([renderPart(a, 'ndjson'), renderPart(b, 'ndjson')], counts, () => items);
    if (joined.kind !== 'ndjson') throw new Error(`expected ndjson, got ${joined.kind}`);
    // One UTF-8 text per slice that had any, in order: together, the NDJSON of the whole piece.
    const text = (parts: readonly Uint8Array[]): string => Buffer.concat(parts).toString('utf8');
    const ndjsonOf = (kind: 'event' | 'dead-letter'): string => items.flatMap((i) => (i.kind !== kind ? [] : [`${JSON.stringify(i.kind === 'event' ? i.event : i.deadLetter)}\n`])).join('');
    expect(joined.events).toHaveLength(2);
    expect([text(joined.events), text(joined.deadLetters)]).toEqual([ndjsonOf('event'), ndjsonOf('dead-letter')]);
    expect(joined.counts).toEqual(counts);
  });

  it('keeps staged slices as parts, in order, with their rows, received counts and dead letters', () => {
    const [a, b] = halves();
    const joined = joinPieces([renderPart(a, 'staged'), renderPart(b, 'staged')], counts, () => items);
    if (joined.kind !== 'staged') throw new Error(`expected staged, got ${joined.kind}`);
    const events = items.filter((i) => i.kind === 'event').length;
    expect([joined.parts.length, joined.rows, joined.received]).toEqual([2, events, events]);
    expect(joined.deadLetters).toEqual(items.flatMap((i) => (i.kind === 'dead-letter' ? [i.deadLetter] : [])));
    expect(joined.parts.flatMap((p) => JSON.parse(p.ids) as string[])).toEqual(items.flatMap((i) => (i.kind === 'event' ? [i.event.event.id] : [])));
  });

  it('gives the whole piece back as items when one slice could not be staged', () => {
    const [a, b] = halves();
    let asked = 0;
    const joined = joinPieces([renderPart(a, 'staged'), { kind: 'items', items: b }], counts, () => {
      asked++;
      return items;
    });
    expect(joined).toEqual({ kind: 'items', items, counts });
    expect(asked).toBe(1);
  });
});

describe('transferables', () => {
  it('hands over every text of a piece, staged or NDJSON, and nothing of items', () => {
    const [a, b] = halves();
    const staged = joinPieces([renderPart(a, 'staged'), renderPart(b, 'staged')], counts, () => items);
    const ndjson = joinPieces([renderPart(a, 'ndjson'), renderPart(b, 'ndjson')], counts, () => items);
    if (staged.kind !== 'staged' || ndjson.kind !== 'ndjson') throw new Error('unexpected kinds');
    expect(transferables(staged)).toHaveLength(staged.parts.flatMap((p) => p.texts).length);
    expect(transferables(ndjson)).toHaveLength(ndjson.events.length + ndjson.deadLetters.length);
    expect(transferables(joinPieces([renderPart(items, 'items')], counts, () => items))).toEqual([]);
    // A view into a larger buffer is left to be copied: handing its buffer over would take the rest too.
    const view = new Uint8Array(new ArrayBuffer(16), 4, 8);
    expect(transferables({ kind: 'ndjson', events: [view], deadLetters: [], counts })).toEqual([]);
  });
});
