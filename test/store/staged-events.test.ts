/**
 * The staging text of the DuckDB store (pipeline/store/staged-events.ts, format version 1): a
 * golden row, the escaped form, and any field values through DuckDB and back as the memory store
 * keeps them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecoveryEvent } from '../../parsers/event.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { ESCAPED, RS, stageEvents, STAGE_ROWS, US } from '../../pipeline/store/staged-events.js';

const root = mkdtempSync(join(tmpdir(), 'kintsugi-staged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function event(id: string, fields: { host?: string | undefined; module?: string | undefined; message?: string | undefined } = {}): RecoveryEvent {
  return {
    '@timestamp': '2026-01-02T03:04:05.678Z',
    event: { id, kind: 'event', category: ['file'], type: ['info'], action: 'check.file', outcome: 'failure', dataset: 'recovery.v42', ingested: '2026-11-22T00:00:00.000Z' },
    host: { name: fields.host ?? 'db-07', os: { version: '4.2.1' } },
    recovery: { os_line: '4.2', instance: 'default', status: 'corrupt', ...(fields.module !== undefined ? { module: fields.module } : {}) },
    ...(fields.message !== undefined ? { message: fields.message } : {}),
  };
}

function text(e: RecoveryEvent): string {
  const r = stageEvents([e], 'unused');
  if (!r.ok) throw r.error;
  expect(r.staged.texts).toHaveLength(1);
  return new TextDecoder().decode(r.staged.texts[0]);
}

describe('staged events, format version 1', () => {
  it('packs a row as ix, ts_ms, flags, the 15 fields and the document (golden)', () => {
    const e = event('id-1', { module: 'ext4', message: 'bad ✗' });
    const nulls = (1 << 4) | (1 << 8) | (1 << 11) | (1 << 12) | (1 << 14); // kernel, code, correlation, parent, path
    const fields = ['id-1', 'db-07', 'default', 'ext4', '', 'check.file', 'corrupt', 'failure', '', 'recovery.v42', '4.2', '', '', 'bad ✗', ''];
    expect(text(e)).toBe(['0', String(Date.parse('2026-01-02T03:04:05.678Z')), String(nulls), ...fields, JSON.stringify(e)].join(US));
  });

  it('escapes a row whose fields hold a separator: its fields as one JSON array', () => {
    const e = event('id-2', { host: `a${US}b`, message: `x${RS}y` });
    const parts = text(e).split(US);
    expect(Number(parts[2]) & ESCAPED).toBe(ESCAPED);
    expect(parts).toHaveLength(5);
    expect(JSON.parse(parts[3] ?? '')).toEqual(['id-2', `a${US}b`, 'default', null, null, 'check.file', 'corrupt', 'failure', null, 'recovery.v42', '4.2', null, null, `x${RS}y`, null]);
    expect(parts[4]).toBe(JSON.stringify(e));
  });

  it('cuts a batch into texts of STAGE_ROWS rows, each numbered from 0', () => {
    const r = stageEvents(Array.from({ length: STAGE_ROWS + 2 }, (_, i) => event(`n-${i}`)), 'unused');
    if (!r.ok) throw r.error;
    expect(r.staged.texts.map((t) => new TextDecoder().decode(t).split(RS).map((row) => row.split(US)[0]))).toEqual([
      Array.from({ length: STAGE_ROWS }, (_, i) => String(i)),
      ['0', '1'],
    ]);
    expect(JSON.parse(r.staged.ids)).toHaveLength(STAGE_ROWS + 2);
  });

  it('stores any field values exactly as the memory store keeps them', async () => {
    const duck = await DuckDbEventStore.open({ dataDir: join(root, 'prop'), threads: 1 });
    const memory = new MemoryEventStore();
    // Strings with the separators, controls, NUL and astral characters more often than chance.
    const text = fc.string({ unit: fc.oneof(fc.constantFrom(US, RS, '\n', '\u0000', '🦀', 'é'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 12 });
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.record({ host: text, module: fc.option(text, { nil: undefined }), message: fc.option(text, { nil: undefined }) }), { minLength: 1, maxLength: 6 }), async (rows) => {
          run++;
          const events = rows.map((f, i) => event(`p${run}-${i}`, f));
          expect(await duck.writeBatch(events, [])).toEqual(await memory.writeBatch(events, []));
          const filter = { from: '2026-01-01T00:00:00Z' };
          const since = await duck.eventsSince(0, 1_000_000);
          const mine = since.ok ? since.events.filter((s) => s.event.event.id.startsWith(`p${run}-`)).map((s) => s.event) : null;
          expect(mine).toEqual(events);
          expect(await duck.countBy('host', filter)).toEqual(await memory.countBy('host', filter));
        }),
        { numRuns: 25 },
      );
    } finally {
      await duck.close();
    }
  });
});
