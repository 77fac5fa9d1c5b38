/**
 * Golden tests on every shared sample: every schema field is compared but event.id,
 * event.ingested and event.original (samples/README.md); dead letters by offset and reason.
 */
import { describe, expect, it } from 'vitest';
import { RecordReader } from '../../parsers/reader.js';
import type { ParsedItem } from '../../parsers/event.js';
import { SAMPLES, ndjson, sampleBytes } from './samples.js';

function withoutUncompared(event: unknown): unknown {
  const copy: unknown = JSON.parse(JSON.stringify(event));
  if (typeof copy === 'object' && copy !== null && 'event' in copy && typeof copy.event === 'object' && copy.event !== null) {
    const e = copy.event as Record<string, unknown>;
    delete e['id'];
    delete e['ingested'];
    delete e['original'];
  }
  return copy;
}

function parseWhole(bytes: Buffer, format: 'rlog' | 'ops', source: (typeof SAMPLES)[number]['source']): ParsedItem[] {
  const reader = new RecordReader(format, source);
  return [...reader.push(bytes), ...reader.end()];
}

describe.each(SAMPLES)('sample $name', ({ name, format, source }) => {
  const items = parseWhole(sampleBytes(name), format, source);

  it('gives the expected events, in input order', () => {
    const events = items.flatMap((i) => (i.kind === 'event' ? [withoutUncompared(i.event)] : []));
    expect(events).toEqual(ndjson(`${name}.events.ndjson`));
  });

  it('gives the expected dead letters, with offset and reason', () => {
    const dead = items.flatMap((i) =>
      i.kind === 'dead-letter' ? [{ log: { file: { path: i.deadLetter.log?.file?.path }, offset: i.deadLetter.log?.offset }, error: { type: i.deadLetter.error.type } }] : [],
    );
    expect(dead).toEqual(ndjson(`${name}.dead.ndjson`));
  });

  it('gives every dead letter a message that names the line and column, and keeps the raw bytes', () => {
    for (const item of items) {
      if (item.kind !== 'dead-letter') continue;
      expect(item.deadLetter.error.message).toMatch(/^line \d+(, column \d+)?: \S/);
      expect(item.deadLetter.event.original.length).toBeGreaterThan(0);
    }
  });
});
