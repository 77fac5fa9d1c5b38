/**
 * `kintsugi query trace` on the store files, no service running: the trace of an alert's
 * correlation id brings in the corrupt checks of the other sessions, from the event store (the
 * parent) and from alerts.duckdb (the events behind the alert), on rows marked linked.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DuckDbAlertStore } from '../../pipeline/alerts/duckdb-store.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import { sampleAlerts, SAMPLE_EVENTS } from '../alerts/samples.js';
import { toEvent } from '../rules/events.js';
import { runCli } from './run-cli.js';

const alert = sampleAlerts().find((a) => a.rule.id === 'recurring-module-corruption');
const cid = alert?.recovery.correlation_id ?? 'none';

async function dataFolder(withAlerts: boolean): Promise<string> {
  const data = mkdtempSync(join(tmpdir(), 'kintsugi-query-trace-'));
  const store = await DuckDbEventStore.open({ dataDir: data });
  const verify = toEvent({ id: 'r-verify', at: '2026-03-06T03:00:00Z', action: 'integrity.verify', status: 'corrupt', host: 'db-07', cid });
  const start = toEvent({ id: 'r-start', at: '2026-03-06T03:00:01Z', action: 'restore.start', status: 'started', host: 'db-07', cid });
  await store.writeBatch([...SAMPLE_EVENTS.map(toEvent), { ...verify, recovery: { ...verify.recovery, parent_id: 'a1' } }, { ...start, recovery: { ...start.recovery, parent_id: 'r-verify' } }], []);
  await store.close();
  if (withAlerts) {
    const alerts = await DuckDbAlertStore.open({ dataDir: data });
    await alerts.put(sampleAlerts());
    await alerts.close();
  }
  return data;
}

describe('kintsugi query trace, linked, from the store files', () => {
  let data: string;
  beforeAll(async () => {
    data = await dataFolder(true);
  });

  it('shows the linked checks first, the restore under the first, each linked row saying from where', async () => {
    const r = await runCli(['query', 'trace', cid, '--data', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual([
      `trace ${cid}: 5 events (3 linked from other correlation ids)`,
      `2026-03-01T01:00:00.000Z  check.file corrupt db-07 /lib/modules/4.2.0/kernel/ext4.ko  [a1]  <- linked from s1: parent of an event here`,
      `2026-03-06T03:00:00.000Z    integrity.verify corrupt db-07  [r-verify]`,
      `2026-03-06T03:00:01.000Z      restore.start started db-07  [r-start]`,
      `2026-03-02T01:00:00.000Z  check.file corrupt db-07 /lib/modules/4.2.0/kernel/ext4.ko  [a2]  <- linked from s2: behind alert ${alert?.event.id ?? ''}`,
      `2026-03-03T01:00:00.000Z  check.file corrupt db-07 /lib/modules/4.2.0/kernel/ext4.ko  [a3]  <- linked from s3: behind alert ${alert?.event.id ?? ''}`,
    ]);
  });

  it('gives the link of each linked event in --format ndjson, in time order', async () => {
    const r = await runCli(['query', 'trace', cid, '--data', data, '--format', 'ndjson']);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: { id: string }; trace: { linked?: { via: string } } });
    expect(lines.map((l) => [l.event.id, l.trace.linked?.via ?? 'own'])).toEqual([
      ['a1', 'parent'],
      ['a2', 'alert'],
      ['a3', 'alert'],
      ['r-verify', 'own'],
      ['r-start', 'own'],
    ]);
  });

  it('links the parent only where no rules were evaluated (no alerts.duckdb)', async () => {
    const r = await runCli(['query', 'trace', cid, '--data', await dataFolder(false)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`trace ${cid}: 3 events (1 linked from other correlation ids)`);
  });
});
