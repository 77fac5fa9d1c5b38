import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbEventStore, STORE_FILE_NAME } from '../../pipeline/store/duckdb-store.js';
import { GROUP_FIELDS, type EventStore } from '../../pipeline/store/event-store.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import type { RecoveryEvent } from '../../parsers/event.js';
import { STAGE_ROWS, stageEvents } from '../../pipeline/store/staged-events.js';
import { sampleEvents } from './samples.js';
import { storeSuite } from './store.suite.js';

const root = mkdtempSync(join(tmpdir(), 'kintsugi-store-'));
const dirs = new Map<EventStore, string>();
let n = 0;

afterAll(() => rmSync(root, { recursive: true, force: true }));

storeSuite('duckdb', {
  async create(now) {
    const dataDir = join(root, `data-${n++}`);
    const store = await DuckDbEventStore.open({ dataDir, now, threads: 2 });
    dirs.set(store, dataDir);
    return store;
  },
  async reopen(store, now) {
    const dataDir = dirs.get(store);
    if (dataDir === undefined) throw new Error('reopen of a store this harness did not create');
    await store.close();
    const again = await DuckDbEventStore.open({ dataDir, now, threads: 2 });
    dirs.set(again, dataDir);
    return again;
  },
});

describe('DuckDB store file', () => {
  it('lives at <data>/kintsugi.duckdb, created with its folder', async () => {
    const dataDir = join(root, 'nested', 'data');
    const store = await DuckDbEventStore.open({ dataDir });
    expect(store.path).toBe(join(dataDir, STORE_FILE_NAME));
    await store.close();
  });

  it('refuses a file another process holds with PIP_ERR_STORE_LOCKED, naming the file', async () => {
    const dataDir = join(root, 'locked');
    const first = await DuckDbEventStore.open({ dataDir });
    await first.writeBatch(sampleEvents(), []);
    await first.close();
    const path = join(dataDir, STORE_FILE_NAME);
    const holder: ChildProcess = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { DuckDBInstance } = await import('@duckdb/node-api');
         await DuckDBInstance.create(${JSON.stringify(path)});
         console.log('ready');
         setInterval(() => {}, 1000);`,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout?.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) resolve();
        });
        holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
      });
      const error = await DuckDbEventStore.open({ dataDir }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'PIP_ERR_STORE_LOCKED', retriable: true, details: { path } });
      expect(String(error)).toContain('kintsugi serve');
    } finally {
      holder.kill('SIGTERM');
    }
  });

  it('refuses a file of another schema version', async () => {
    const dataDir = join(root, 'future');
    const store = await DuckDbEventStore.open({ dataDir });
    await store.close();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(join(dataDir, STORE_FILE_NAME));
    const c = await db.connect();
    await c.run("UPDATE kintsugi_meta SET value = '99' WHERE key = 'schema_version'");
    c.closeSync();
    db.closeSync();
    await expect(DuckDbEventStore.open({ dataDir })).rejects.toMatchObject({ code: 'PIP_ERR_STORE_SCHEMA_VERSION' });
  });
});

describe('DuckDB document fetch', () => {
  it('gives the same pages when documents are fetched one by one (seqs far apart)', async () => {
    const events = sampleEvents();
    const now = (): Date => new Date('2026-11-22T00:00:00Z');
    const near = await DuckDbEventStore.open({ dataDir: join(root, 'near'), threads: 2, now });
    const far = await DuckDbEventStore.open({ dataDir: join(root, 'far'), threads: 2, now, closeSeqSpan: 0 });
    try {
      for (const store of [near, far]) await store.writeBatch(events, []);
      for (const filter of [{}, { text: 'MODULES' }, { action: 'check.file' }]) {
        const a = await near.queryEvents(filter, { limit: 7 });
        const b = await far.queryEvents(filter, { limit: 7 });
        expect(b.ok && b.events.map((e) => e.event.id)).toEqual(a.ok && a.events.map((e) => e.event.id));
        expect(b.ok && b.events.length).toBe(7);
        expect(b).toEqual(a);
      }
    } finally {
      await near.close();
      await far.close();
    }
  });
});

describe('DuckDB staging of odd field values', () => {
  // Writes stage an event's fields as one string joined by U+001F (an event with a field holding
  // U+001F itself goes as a JSON array instead): every field must come back exactly, null apart
  // from empty, whichever way it went.
  const odd = [
    'a\u001fb',
    '\u001f',
    'x\u001ey',
    'nul\u0000inside',
    '',
    'émoji 🦀 ß',
    'MiXeD /Etc/FsTab',
    'line\nbreak\r\n',
    '"quoted" \\ back',
  ];
  function oddEvents(): RecoveryEvent[] {
    const base = sampleEvents();
    return base.map((e, i) => {
      const v = odd[i % odd.length] ?? '';
      const w = odd[(i + 3) % odd.length] ?? '';
      return {
        ...e,
        message: i % 4 === 0 ? undefined : `${v} message ${i}`,
        host: { ...e.host, name: i % 5 === 0 ? v : e.host.name },
        recovery: {
          ...e.recovery,
          module: i % 3 === 0 ? v : e.recovery.module,
          kernel: i % 7 === 0 ? w : e.recovery.kernel,
          correlation_id: i % 2 === 0 ? `${w}cid-${i % 3}` : e.recovery.correlation_id,
        },
        file: i % 6 === 0 ? { path: `/odd/${w}` } : e.file,
        event: { ...e.event, id: i % 8 === 0 ? `${v}-id-${i}` : e.event.id, code: i % 9 === 0 ? v : e.event.code },
      } as RecoveryEvent;
    });
  }

  it('stores every field as the memory store does, through both ways of staging', async () => {
    const events = oddEvents();
    const now = (): Date => new Date('2026-11-22T00:00:00Z');
    const duck = await DuckDbEventStore.open({ dataDir: join(root, 'odd'), threads: 2, now });
    const memory = new MemoryEventStore({ now });
    try {
      const w1 = await duck.writeBatch(events, []);
      const w2 = await memory.writeBatch(events, []);
      expect(w1).toEqual(w2);
      // Written again, in another batch split: all duplicates.
      const again = await duck.writeBatch([...events].reverse(), []);
      expect(again.ok && again.events).toEqual({ inserted: 0, duplicates: events.length });
      for (const field of GROUP_FIELDS) {
        expect(await duck.countBy(field, {})).toEqual(await memory.countBy(field, {}));
      }
      for (const filter of [{}, { text: '\u001f' }, { text: 'nul\u0000' }, { text: 'mixed /etc' }, { text: '🦀' }, { host: 'a\u001fb' }, { module: '' }]) {
        expect(await duck.queryEvents(filter, { limit: 0 })).toEqual(await memory.queryEvents(filter, { limit: 0 }));
      }
      for (const cid of new Set(events.map((e) => e.recovery.correlation_id ?? ''))) {
        expect(await duck.trace(cid)).toEqual(await memory.trace(cid));
      }
    } finally {
      await duck.close();
    }
  });

  it('stores events staged elsewhere (writeStaged, in parts) as writeBatch stores them', async () => {
    const events = oddEvents();
    // Many events, so that a part spans several staged texts; ids repeat within and across parts.
    const many: RecoveryEvent[] = [];
    for (let k = 0; k < 3 * STAGE_ROWS + 7; k++) {
      const e = events[k % events.length];
      const same = events[(k % (2 * STAGE_ROWS)) % events.length];
      if (e === undefined || same === undefined) throw new Error('no events');
      many.push({ ...e, event: { ...e.event, id: `${same.event.id}#${k % (2 * STAGE_ROWS)}` } });
    }
    const now = (): Date => new Date('2026-11-22T00:00:00Z');
    const ingested = now().toISOString();
    const duck = await DuckDbEventStore.open({ dataDir: join(root, 'staged'), threads: 2, now });
    const memory = new MemoryEventStore({ now });
    try {
      const cut = [0, 5, STAGE_ROWS + 3, 2 * STAGE_ROWS + 40, many.length];
      const parts = cut.slice(1).map((end, i) => {
        const r = stageEvents(many.slice(cut[i], end), ingested);
        if (!r.ok) throw r.error;
        return r.staged;
      });
      const w1 = await duck.writeStaged(parts, [], many.length);
      const w2 = await memory.writeBatch(many, []);
      expect(w1).toEqual(w2);
      expect(w1.ok && w1.events.duplicates).toBeGreaterThan(0);
      const again = await duck.writeStaged(parts, [], many.length);
      expect(again.ok && again.events).toEqual({ inserted: 0, duplicates: many.length });
      expect(await duck.queryEvents({}, { limit: 0 })).toEqual(await memory.queryEvents({}, { limit: 0 }));
      for (const field of GROUP_FIELDS) expect(await duck.countBy(field, {})).toEqual(await memory.countBy(field, {}));
      // Write order is batch order, as eventsSince shows.
      const since = await duck.eventsSince(0, 100_000);
      const firsts = [...new Map(many.map((e) => [e.event.id, e.event.id])).keys()];
      expect(since.ok && since.events.map((e) => e.event.event.id)).toEqual(firsts);
    } finally {
      await duck.close();
    }
  });

  it('turns a lone surrogate into U+FFFD in the columns whichever way the event was staged', async () => {
    const [first, second] = sampleEvents();
    if (first === undefined || second === undefined) throw new Error('samples missing');
    const events = [
      { ...first, host: { ...first.host, name: 'lone\ud800' } },
      { ...second, host: { ...second.host, name: 'lone\ud800' }, message: 'has \u001f' },
    ];
    const duck = await DuckDbEventStore.open({ dataDir: join(root, 'lone'), threads: 2 });
    try {
      expect((await duck.writeBatch(events, [])).ok).toBe(true);
      const counts = await duck.countBy('host', {});
      expect(counts.ok && counts.counts).toEqual([{ key: 'lone\ufffd', count: 2 }]);
    } finally {
      await duck.close();
    }
  });
});
