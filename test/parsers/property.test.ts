/**
 * Property and fuzz tests of both readers: random bytes and mutated sample lines never throw,
 * every line is accounted for, and any way of cutting the input into chunks, or of resuming from
 * a checkpoint, gives exactly what reading it whole gives.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecordReader, type Format } from '../../parsers/reader.js';
import { leadingTimestamp, rlogLexer } from '../../parsers/rlog/lexer.js';
import { isoTime } from '../../parsers/iso-time.js';
import { SAMPLES, sampleBytes } from './samples.js';
import { FIXED_NOW, countLines, readInPieces, readWhole } from './read.js';

const sampleLines = SAMPLES.flatMap((s) => sampleBytes(s.name).toString('latin1').split('\n')).filter((l) => l.length < 2000);

/** Bytes that look like the formats: sample lines, their fragments, and noise. */
const formatish = fc
  .array(
    fc.oneof(
      fc.constantFrom(...sampleLines).map((l) => Buffer.from(`${l}\n`, 'latin1')),
      fc.constantFrom('\n', '\r\n', '  ', '\t', '\0\0', '\xef\xbb\xbf', '[', ']', '"', '\\x', '(', ')', '{fallback} ', 'SESSION START ', 'CHECK ', '{', '}', ':', ',')
        .map((s) => Buffer.from(s, 'latin1')),
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    ),
    { maxLength: 40 },
  )
  .map((parts) => Buffer.concat(parts));

/** A sample line with random bytes replaced, inserted or removed. */
const mutatedLine = fc
  .tuple(fc.constantFrom(...sampleLines), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { maxLength: 6 }))
  .map(([line, edits]) => {
    const bytes = [...Buffer.from(line, 'latin1')];
    for (const [at, value, how] of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (how === 'set') bytes[i] = value;
      else if (how === 'insert') bytes.splice(i, 0, value);
      else bytes.splice(i, 1);
    }
    return Buffer.from([...bytes, 0x0a]);
  });

const inputs = fc.oneof(formatish, fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)), fc.array(mutatedLine, { maxLength: 20 }).map((l) => Buffer.concat(l)));
const formats = fc.constantFrom<Format>('rlog', 'ops');

function itemKey(items: ReturnType<typeof readWhole>['items']): string {
  return JSON.stringify(items);
}

describe('readers on arbitrary input', () => {
  it('never throw, and account for every line: record, continuation, empty, or dead letter', () => {
    fc.assert(
      fc.property(inputs, formats, (bytes, format) => {
        const { items, reader } = readWhole(bytes, format, { path: 'fuzz' });
        const c = reader.counts;
        const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
        const lines = countLines(bom ? bytes.subarray(3) : bytes);
        expect(c.records + c.continuations + c.ignored + c.deadLetters).toBe(lines);
        expect(items.length).toBe(c.records + c.deadLetters);
        for (const item of items) {
          if (item.kind === 'dead-letter') {
            expect(item.deadLetter.error.message.length).toBeGreaterThan(0);
            expect(typeof item.deadLetter.log?.offset).toBe('number');
          } else {
            expect(Number.isNaN(Date.parse(item.event['@timestamp']))).toBe(false);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('give the same items whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(inputs, formats, fc.array(fc.nat({ max: 2000 }), { maxLength: 8 }), (bytes, format, cuts) => {
        const whole = readWhole(bytes, format, { path: 'f' }).items;
        const pieces = readInPieces(bytes, cuts, format, { path: 'f' });
        expect(itemKey(pieces)).toBe(itemKey(whole));
      }),
      { numRuns: 300 },
    );
  });

  it('give the same items when resumed from a checkpoint (offset + context) in a new process', () => {
    fc.assert(
      fc.property(inputs, formats, fc.nat({ max: 2000 }), (bytes, format, cut) => {
        const whole = readWhole(bytes, format, { path: 'f' }).items;
        const first = new RecordReader(format, { path: 'f' }, undefined, () => FIXED_NOW);
        const before = first.push(bytes.subarray(0, Math.min(cut, bytes.length)));
        // The checkpoint goes through JSON, as it does on disk.
        const saved: unknown = JSON.parse(JSON.stringify({ offset: first.consumedOffset, context: first.context }));
        const { offset, context } = saved as { offset: number; context: typeof first.context };
        const after = readInPieces(bytes.subarray(offset), [], format, { path: 'f' }, context);
        expect(itemKey([...before, ...after])).toBe(itemKey(whole));
      }),
      { numRuns: 300 },
    );
  });
});

describe('every shared sample', () => {
  it.each(SAMPLES)('$name reads the same byte by byte as whole', ({ name, format, source }) => {
    const bytes = sampleBytes(name);
    const cuts = Array.from({ length: bytes.length }, (_, i) => i);
    expect(itemKey(readInPieces(bytes, cuts, format, source))).toBe(itemKey(readWhole(bytes, format, source).items));
  });
});

describe('OPS v1 time', () => {
  // A canonical `ts` is kept as written; any other way of writing the same instant is rewritten: both must give toISOString's text.
  const forms: ReadonlyArray<(iso: string) => string> = [
    (iso) => iso,
    (iso) => iso.replace('T', 't'),
    (iso) => iso.replace('Z', 'z'),
    (iso) => iso.replace('Z', '000Z'),
    (iso) => iso.replace('Z', '+00:00'),
    (iso) => iso.replace(/\.\d{3}Z$/, (frac) => (frac === '.000Z' ? 'Z' : frac)),
  ];
  it('@timestamp is the instant written as toISOString writes it, whatever form ts takes', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(100, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), fc.nat({ max: forms.length - 1 }), (ms, form) => {
        const iso = new Date(ms).toISOString();
        const ts = forms[form]?.(iso) ?? iso;
        const [item] = readWhole(Buffer.from(`${JSON.stringify({ ts, host: 'h', op: 'check.file', status: 'ok' })}\n`), 'ops', {}).items;
        expect(item?.kind === 'event' ? item.event['@timestamp'] : item).toBe(iso);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('RLOG form B time', () => {
  // A timestamp in toISOString's form is kept as written; any other way of writing the same instant is rewritten.
  const at = (ms: number, offsetMinutes: number): string => {
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return new Date(ms + offsetMinutes * 60_000).toISOString().replace('Z', offset);
  };
  const forms: ReadonlyArray<(iso: string, ms: number) => string> = [
    (iso) => iso,
    (iso) => iso.replace('Z', '417Z'),
    (iso) => iso.replace('Z', '+00:00'),
    (iso) => iso.replace(/\.\d{3}Z$/, (frac) => (frac === '.000Z' ? 'Z' : frac)),
    (_, ms) => at(ms, 120),
    (_, ms) => at(ms, -330),
  ];
  it('@timestamp is the instant written as toISOString writes it, whatever form the timestamp takes', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('0000-01-02T00:00:00Z'), max: Date.parse('9999-12-30T23:59:59.999Z') }), fc.nat({ max: forms.length - 1 }), (ms, form) => {
        const iso = new Date(ms).toISOString();
        const ts = forms[form]?.(iso, ms) ?? iso;
        const [item] = readWhole(Buffer.from(`[${ts}] CHECK /etc/fstab OK\n`), 'rlog', {}).items;
        expect(item?.kind === 'event' ? item.event['@timestamp'] : item).toBe(iso);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('RLOG leading timestamp', () => {
  // line.ts takes a line's timestamp without running the lexer: it must be the lexer's first token.
  const timestampish = fc
    .tuple(
      fc.constantFrom('[2026-03-14 01:11:10]', '[2026-03-14T01:11:10.412Z]', '[2026-03-14T01:11:10+02:00]', '[2026-03-14T01:11:10.1234567Z]', '[2026-3-14 01:11:10]', '[2026-03-14 01:11:10', '[]', ''),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      fc.constantFrom(' CHECK /etc/fstab OK', '', ']', ' [x]'),
    )
    .map(([ts, edits, rest]) => {
      const chars = [...ts];
      for (const [i, c] of edits) if (chars.length > 0) chars[i % chars.length] = String.fromCharCode(c);
      return chars.join('') + rest;
    });
  it('is the token the lexer reads first, when that is a form A or B timestamp', () => {
    fc.assert(
      fc.property(fc.oneof(timestampish, mutatedLine.map((b) => b.toString('latin1').replace(/\n$/, ''))), (line) => {
        rlogLexer.reset(line);
        const first = rlogLexer.next();
        const expected = first !== undefined && (first.type === 'tsA' || first.type === 'tsB') ? { type: first.type, text: first.text } : undefined;
        const got = leadingTimestamp(line);
        expect(got === undefined ? undefined : { type: got.type, text: got.text }).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('isoTime', () => {
  it('writes any instant as toISOString does, in any order of calls', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: 1.7e12, max: 1.7e12 + 5000 })), { minLength: 1, maxLength: 20 }), (instants) => {
        for (const ms of instants) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });
});
