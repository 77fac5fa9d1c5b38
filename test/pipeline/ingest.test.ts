/** `kintsugi ingest` through the parse workers stores exactly what the one-thread path stores. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { opsLines, rlogLines } from '../../bench/parse/corpus.js';
import { ingestFiles, storeWriter } from '../../pipeline/ingest/ingest.js';
import { ParsePool } from '../../pipeline/ingest/parse-pool.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import type { EventStore } from '../../pipeline/store/event-store.js';
import { sampleBytes } from '../parsers/samples.js';

const root = mkdtempSync(join(tmpdir(), 'kintsugi-ingest-'));
const pool = new ParsePool(2);
afterAll(async () => {
  await pool.close();
  rmSync(root, { recursive: true, force: true });
});

/**
 * Every stored event in write order and every dead letter by id, without the times of reading
 * (a dead letter without a time of its own takes it) and of storing.
 */
async function contents(store: EventStore): Promise<unknown> {
  const since = await store.eventsSince(0, 1_000_000);
  const dead = await store.queryDeadLetters({}, { limit: 0 });
  if (!since.ok || !dead.ok) throw new Error('read failed');
  const events = since.events.map((e) => ({ ...e.event, event: { ...e.event.event, ingested: null } }));
  const deadLetters = dead.deadLetters
    .map((d) => ({ ...d, '@timestamp': null, event: { ...d.event, ingested: null } }))
    .sort((x, y) => (x.event.id < y.event.id ? -1 : 1));
  return { events, deadLetters };
}

describe('ingestFiles', () => {
  it.each(['rlog', 'ops'] as const)('%s: parse workers staging the events store what one thread stores, twice safely', async (format) => {
    const lines = format === 'rlog' ? rlogLines(3, 3_000) : opsLines(3, 3_000);
    const quirks = sampleBytes(format === 'rlog' ? 'quirks.rlog' : 'quirks.ops.jsonl');
    const file = join(root, `${format}.log`);
    writeFileSync(file, Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), quirks]));
    const one = await DuckDbEventStore.open({ dataDir: join(root, `${format}-one`), threads: 1 });
    const many = await DuckDbEventStore.open({ dataDir: join(root, `${format}-pool`), threads: 1 });
    try {
      const a = await ingestFiles([file], format, { host: 'h' }, { write: storeWriter(one).write });
      const b = await ingestFiles([file], format, { host: 'h' }, storeWriter(many), undefined, pool);
      expect(b).toEqual(a);
      expect(await contents(many)).toEqual(await contents(one));
      const again = await ingestFiles([file], format, { host: 'h' }, storeWriter(many), undefined, pool);
      expect(again).toMatchObject({ records: a.records, eventsStored: 0, deadLettersStored: 0, duplicates: a.records });
      expect(await contents(many)).toEqual(await contents(one));
    } finally {
      await one.close();
      await many.close();
    }
  });
});
