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

describe('ParsePool.parseFile', () => {
  // 1 MiB blocks make pieces that the workers parse in several slices (parse-worker.ts SLICE_BYTES).
  it.each([
    ['rlog', 64 * 1024],
    ['ops', 64 * 1024],
    ['rlog', 1 << 20],
    ['ops', 1 << 20],
  ] as const)('%s: streams a file through blocks of %i bytes, as NDJSON equal to one reader', async (format, blockBytes) => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const lines = format === 'rlog' ? rlogLines(5, 30000) : opsLines(5, 30000);
    const bytes = Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), sampleBytes(format === 'rlog' ? 'quirks.rlog' : 'quirks.ops.jsonl')]);
    const file = join(mkdtempSync(join(tmpdir(), 'kintsugi-pool-')), 'log');
    writeFileSync(file, bytes);
    const source = { path: file, host: 'cfg' };
    let events = '';
    let dead = '';
    const counts = await pool.parseFile(file, format, source, async (piece) => {
      events += Buffer.concat(piece.events).toString('utf8');
      dead += Buffer.concat(piece.deadLetters).toString('utf8');
    }, { blockBytes, readTime: FIXED_NOW });
    const { items, reader } = readWhole(bytes, format, source);
    expect(events).toBe(items.flatMap((i) => (i.kind === 'event' ? [`${JSON.stringify(i.event)}\n`] : [])).join(''));
    expect(dead).toBe(items.flatMap((i) => (i.kind === 'dead-letter' ? [`${JSON.stringify(i.deadLetter)}\n`] : [])).join(''));
    expect(counts).toEqual(reader.counts);
  });

  it('falls back to one thread when a log has nowhere to cut, with the same result', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    // One endless session: no SESSION START after the first line.
    const body = Array.from({ length: 20000 }, (_, i) => `[2026-01-01 00:00:00] CHECK /lib/modules/3.2.7/m${i}.ko OK`);
    const bytes = Buffer.from(`[2026-01-01 00:00:00] SESSION START version=3.2.7 host=h session=s\n${body.join('\n')}\n`);
    const file = join(mkdtempSync(join(tmpdir(), 'kintsugi-pool-')), 'log');
    writeFileSync(file, bytes);
    let events = '';
    await pool.parseFile(file, 'rlog', { path: file }, async (piece) => {
      events += Buffer.concat(piece.events).toString('utf8');
    }, { blockBytes: 64 * 1024, maxCarryBytes: 256 * 1024, readTime: FIXED_NOW });
    const { items } = readWhole(bytes, 'rlog', { path: file });
    expect(events).toBe(items.flatMap((i) => (i.kind === 'event' ? [`${JSON.stringify(i.event)}\n`] : [])).join(''));
  });
});
