/** Parsing on every core gives exactly what one reader gives, in the same order. */
import { afterAll, describe, expect, it } from 'vitest';
import { ParsePool } from '../../pipeline/ingest/parse-pool.js';
import { splitForParallel } from '../../pipeline/ingest/split.js';
import { rlogLines, opsLines } from '../../bench/parse/corpus.js';
import { SAMPLES, sampleBytes } from '../parsers/samples.js';
import { FIXED_NOW, readWhole } from '../parsers/read.js';

const pool = new ParsePool(3);
afterAll(() => pool.close());

describe('ParsePool', () => {
  it('cuts RLOG only before SESSION START records, and OPS at line ends', () => {
    const rlog = Buffer.from(`${rlogLines(7, 5000).join('\n')}\n`);
    const pieces = splitForParallel(rlog, 'rlog', {}, 4);
    expect(pieces.length).toBe(4);
    for (const p of pieces.slice(1)) expect(rlog.toString('latin1', p.start, p.start + 60)).toMatch(/^\[[^\]]+\] SESSION START /);
    const ops = Buffer.from(`${opsLines(7, 5000).join('\n')}\n`);
    for (const p of splitForParallel(ops, 'ops', {}, 4).slice(1)) expect(ops[p.start - 1]).toBe(0x0a);
  });

  it.each([
    ['rlog', Buffer.from(`${rlogLines(11, 20000).join('\n')}\n`)],
    ['ops', Buffer.from(`${opsLines(11, 20000).join('\n')}\n`)],
    ['rlog', Buffer.concat(Array.from({ length: 200 }, () => sampleBytes('quirks.rlog')))],
    ['ops', Buffer.concat(Array.from({ length: 50 }, () => Buffer.concat([sampleBytes('quirks.ops.jsonl'), Buffer.from('\n')])))],
  ] as const)('%s: the same items as one reader', async (format, bytes) => {
    const source = { path: 'big.log', host: 'cfg', timeZone: 'Europe/Berlin' };
    const parallel = await pool.parse(bytes, format, source, FIXED_NOW);
    const { items, reader } = readWhole(bytes, format, source);
    expect(parallel.items.length).toBe(items.length);
    expect(JSON.stringify(parallel.items)).toBe(JSON.stringify(items));
    expect(parallel.counts).toEqual(reader.counts);
  });

  it('handles inputs too small to cut', async () => {
    for (const s of SAMPLES) {
      const bytes = sampleBytes(s.name);
      const parallel = await pool.parse(bytes, s.format, s.source, FIXED_NOW);
      expect(JSON.stringify(parallel.items)).toBe(JSON.stringify(readWhole(bytes, s.format, s.source).items));
    }
  });
});
