import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALERTS_FILE_NAME, type AlertStore } from '../../pipeline/alerts/alert-store.js';
import { DuckDbAlertStore } from '../../pipeline/alerts/duckdb-store.js';
import { alertStoreSuite } from './alert-store.suite.js';

const root = mkdtempSync(join(tmpdir(), 'kintsugi-alerts-'));
const dirs = new Map<AlertStore, string>();
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

alertStoreSuite('duckdb', {
  async create() {
    const dataDir = join(root, `data-${n++}`);
    const store = await DuckDbAlertStore.open({ dataDir });
    dirs.set(store, dataDir);
    return store;
  },
  async reopen(store) {
    const dataDir = dirs.get(store);
    if (dataDir === undefined) throw new Error('reopen of a store this harness did not create');
    await store.close();
    const again = await DuckDbAlertStore.open({ dataDir });
    dirs.set(again, dataDir);
    return again;
  },
});

describe('DuckDB alert file', () => {
  it(`lives at <data>/${ALERTS_FILE_NAME}, apart from the event store`, async () => {
    const dataDir = join(root, 'nested', 'data');
    const store = await DuckDbAlertStore.open({ dataDir });
    expect(store.path).toBe(join(dataDir, ALERTS_FILE_NAME));
    await store.close();
  });
});
