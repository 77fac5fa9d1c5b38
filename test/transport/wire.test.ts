/**
 * The wire format: what the forwarder encodes, the worker decodes to the very items a follower of
 * the file makes (same ids); and whatever bytes and headers arrive, decoding gives an item the
 * store accepts, never an exception (no record may block its partition).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParsedItem } from '../../parsers/event.js';
import { RecordReader } from '../../parsers/reader.js';
import { toDeadLetterRecord, toEventRecord } from '../../pipeline/store/record.js';
import { decodeMessage, encodeItem, HEADER_FILE, HEADER_OFFSET, type OutMessage } from '../../pipeline/transport/wire.js';
import { opsText, rlogText } from './harness.js';

const NOW = '2026-11-22T00:00:00.000Z';

function read(format: 'rlog' | 'ops', text: string): ParsedItem[] {
  const reader = new RecordReader(format, { path: `/var/log/${format}`, host: 'db-default' }, undefined, () => NOW);
  return [...reader.push(Buffer.from(text)), ...reader.end()];
}

function roundTrip(m: OutMessage, offset: number): ParsedItem {
  return decodeMessage(m.role, `t.${m.role}`, 0, { offset: String(offset), value: Buffer.from(m.value), headers: m.headers }, NOW);
}

function storable(item: ParsedItem): boolean {
  return item.kind === 'event' ? toEventRecord(item.event, 0, NOW).ok : toDeadLetterRecord(item.deadLetter, 0, NOW).ok;
}

describe('wire format', () => {
  it('3.2 items travel as documents and come back equal', () => {
    const items = read('rlog', rlogText(0, 600));
    expect(items.some((i) => i.kind === 'dead-letter')).toBe(true);
    items.forEach((item, n) => {
      const m = encodeItem(item);
      expect(m.role).toBe('events');
      expect(m.headers['kintsugi-wire']).toBe('1');
      if (item.kind === 'event') expect(m.key).toBe(item.event.host.name);
      expect(roundTrip(m, n)).toEqual(item);
    });
  });

  it('4.2 events travel raw with their file position, and come back as the follower made them', () => {
    const items = read('ops', opsText(1, 400));
    let raw = 0;
    items.forEach((item, n) => {
      const m = encodeItem(item);
      if (item.kind === 'event') {
        raw++;
        expect(m.role).toBe('ops');
        expect(m.value).toBe(item.event.event.original);
        expect(m.headers[HEADER_FILE]).toBe('/var/log/ops');
        expect(m.headers[HEADER_OFFSET]).toBe(String(item.event.log?.offset));
      } else expect(m.role).toBe('events');
      expect(roundTrip(m, n)).toEqual(item);
    });
    expect(raw).toBeGreaterThan(300);
  });

  it('raw 4.2 records from a host (no file headers) get ids stable across redeliveries', () => {
    const value = Buffer.from('{"ts":"2026-03-14T02:00:01Z","host":"web-1","op":"restore.file","status":"ok"}');
    const a = decodeMessage('ops', 'ops', 3, { offset: '17', value }, NOW);
    const b = decodeMessage('ops', 'ops', 3, { offset: '17', value }, '2026-11-23T00:00:00.000Z');
    expect(a.kind).toBe('event');
    expect(a).toEqual(b);
    const dead = (offset: string): ParsedItem => decodeMessage('events', 'ev', 1, { offset, value: Buffer.from('nope') }, NOW);
    const idOf = (item: ParsedItem): string => (item.kind === 'dead-letter' ? item.deadLetter.event.id : item.event.event.id);
    expect(dead('5').kind).toBe('dead-letter');
    expect(idOf(dead('5'))).toBe(idOf(dead('5')));
    expect(idOf(dead('5'))).not.toBe(idOf(dead('6')));
  });

  it('any bytes and headers decode to something the store accepts, on either topic', () => {
    const header = fc.dictionary(fc.constantFrom('kintsugi-wire', 'kintsugi-file', 'kintsugi-offset', 'x'), fc.oneof(fc.string(), fc.constantFrom('1', '2', '12')));
    const value = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(j)),
      fc.constantFrom('{"event":{"kind":"pipeline_error","id":"x"}}', '{"event":{"id":"x","kind":"event"},"@timestamp":"2026-01-01T00:00:00Z","host":{"name":1},"recovery":{}}', '{"schema":2}').map((s) => Buffer.from(s)),
    );
    fc.assert(
      fc.property(fc.constantFrom('events' as const, 'ops' as const), value, header, fc.nat(), (role, v, headers, offset) => {
        const item = decodeMessage(role, 'topic', 0, { offset: String(offset), value: v, headers }, NOW);
        expect(storable(item)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
