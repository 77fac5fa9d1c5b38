import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbEventStore, STORE_FILE_NAME } from '../../pipeline/store/duckdb-store.js';
import type { EventStore } from '../../pipeline/store/event-store.js';
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
