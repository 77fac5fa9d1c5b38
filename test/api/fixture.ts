/** A real API over a real DuckDB store in a temp folder: the sample logs, rule events, alerts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DeadLetter, RecoveryEvent } from '../../parsers/event.js';
import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { sourceResolver } from '../../pipeline/api/replay.js';
import { buildApi } from '../../pipeline/api/server.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import type { Telemetry } from '../../pipeline/telemetry/telemetry.js';
import { testAccess, type TestAccess } from '../access/harness.js';
import { sampleAlerts, SAMPLE_EVENTS } from '../alerts/samples.js';
import { readWhole } from '../parsers/read.js';
import { SAMPLES, sampleBytes } from '../parsers/samples.js';
import { toEvent } from '../rules/events.js';

export interface Fixture {
  readonly app: FastifyInstance;
  readonly store: DuckDbEventStore;
  readonly alerts: MemoryAlertStore;
  readonly access: TestAccess;
  readonly events: readonly RecoveryEvent[];
  readonly deadLetters: readonly DeadLetter[];
  readonly dir: string;
  close(): Promise<void>;
}

export async function openFixture(options: { telemetry?: Telemetry; tls?: { cert: string; key: string } } = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kintsugi-api-'));
  const store = await DuckDbEventStore.open({ dataDir: dir, memoryLimit: '128MB', threads: 1 });
  const items = SAMPLES.flatMap((s) => readWhole(sampleBytes(s.name), s.format, s.source).items);
  const events = [...items.flatMap((i) => (i.kind === 'event' ? [i.event] : [])), ...SAMPLE_EVENTS.map(toEvent)];
  const deadLetters = items.flatMap((i) => (i.kind === 'dead-letter' ? [i.deadLetter] : []));
  const written = await store.writeBatch(events, deadLetters);
  if (!written.ok) throw written.error;
  const alerts = new MemoryAlertStore();
  await alerts.put(sampleAlerts());
  const access = testAccess(store);
  const app = await buildApi({
    store,
    alerts,
    access: access.deps,
    sourceOf: sourceResolver([{ name: 'quirks', format: 'rlog', paths: ['quirks.rlog'], host: 'fallback-host', timeZone: 'Europe/Berlin' }], '/'),
    ...(options.telemetry !== undefined ? { telemetry: options.telemetry } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
  });
  return {
    app,
    store,
    alerts,
    access,
    events,
    deadLetters,
    dir,
    close: async () => {
      await app.close();
      await store.close();
      access.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
