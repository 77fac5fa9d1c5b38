/**
 * The SIEM topic publisher against the librdkafka mock cluster of kcat and a real DuckDB store:
 * every stored event arrives once in a clean run, as the `/api/export` document keyed by host, and
 * a publisher restarted from its checkpoint sends what was left (again what was not checkpointed).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockBroker, type MockBroker } from '../../bench/kafka/mock-broker.js';
import { SILENT_LOG } from '../../collectors/source.js';
import type { RecoveryEvent } from '../../parsers/event.js';
import type { ExportDocument } from '../../pipeline/store/event-store.js';
import { loadConfig } from '../../pipeline/config/load.js';
import { DuckDbEventStore } from '../../pipeline/store/duckdb-store.js';
import { TransportError } from '../../pipeline/transport/errors.js';
import { readSiemCheckpoint, SIEM_CHECKPOINT_FILE, SiemPublisher, siemSettings, type SiemSettings } from '../../pipeline/transport/siem-publisher.js';
import { sampleEvents } from '../store/samples.js';
import { expected, readTopic, rlogText, startServe, waitFor } from './harness.js';

const LIVE_TIMEOUT_MS = 240_000;

let broker: MockBroker;
beforeAll(async () => {
  broker = await startMockBroker(1);
});
afterAll(async () => {
  await broker?.stop();
});

let topicCounter = 0;
function settings(name: string): SiemSettings {
  return { brokers: broker.brokers, topic: `t.siem-${name}-${process.pid}-${++topicCounter}`, clientId: 'test-siem', compression: 'gzip', pollIntervalMs: 20 };
}

/** The sample events with ids made unique per round, so that every round stores new events. */
function round(tag: string): RecoveryEvent[] {
  return sampleEvents().map((e) => ({ ...e, event: { ...e.event, id: `${tag}-${e.event.id}` } }));
}

interface Got {
  readonly key: string;
  readonly doc: ExportDocument;
}

async function topicDocs(s: SiemSettings, count: number): Promise<Got[]> {
  const got = await readTopic(s.brokers, s.topic, count, 120_000);
  // Test data we produced ourselves: the shape is what is under test.
  return got.map((m) => ({ key: m.key, doc: JSON.parse(m.value.toString('utf8')) as ExportDocument }));
}

describe('SIEM topic publisher (librdkafka mock cluster)', () => {
  it('publishes every stored event once, in write order per host, as the /api/export document', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kintsugi-siem-'));
    const store = await DuckDbEventStore.open({ dataDir: dir, threads: 1 });
    const s = settings('clean');
    try {
      const first = round('a');
      const second = round('b');
      const w1 = await store.writeBatch(first, []);
      expect(w1.ok).toBe(true);
      const publisher = new SiemPublisher(store, s, dir, { log: SILENT_LOG, pageSize: 7 });
      await publisher.connect();
      publisher.start();
      const w2 = await store.writeBatch(second, []);
      expect(w2.ok).toBe(true);
      const total = first.length + second.length;
      const deadline = Date.now() + 60_000;
      while (publisher.published < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await publisher.stop();
      expect(publisher.published).toBe(total);

      const got = await topicDocs(s, total);
      expect(got.map((g) => g.doc.event.id).sort()).toEqual([...first, ...second].map((e) => e.event.id).sort());
      const page = await store.eventsSince(0, 10_000);
      if (!page.ok) throw page.error;
      const bySeq = new Map(page.events.map((e) => [e.seq, e]));
      for (const g of got) {
        expect(g.key).toBe(g.doc.host.name);
        const stored = bySeq.get(g.doc.event.sequence ?? -1);
        expect(stored?.event.event.id).toBe(g.doc.event.id);
        expect(g.doc).toEqual(JSON.parse(JSON.stringify({ ...stored?.event, event: { ...stored?.event.event, sequence: stored?.seq } })));
      }
      // One host, one partition: its events keep the store's write order.
      const perHost = new Map<string, number[]>();
      for (const g of got) perHost.set(g.key, [...(perHost.get(g.key) ?? []), g.doc.event.sequence ?? -1]);
      for (const seqs of perHost.values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(readSiemCheckpoint(dir)).toBe(page.lastSeq);
    } finally {
      await store.close();
    }
  }, LIVE_TIMEOUT_MS);

  it('resumes from its checkpoint after a restart: nothing lost; only what was not checkpointed is sent again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kintsugi-siem-restart-'));
    const store = await DuckDbEventStore.open({ dataDir: dir, threads: 1 });
    const s = settings('restart');
    try {
      const first = round('a');
      const second = round('b');
      const third = round('c');
      expect((await store.writeBatch(first, [])).ok).toBe(true);
      const one = new SiemPublisher(store, s, dir, { log: SILENT_LOG, pageSize: 1000 });
      await one.connect();
      expect(await one.publishPending()).toBe(first.length);
      await one.stop();
      const afterFirst = readSiemCheckpoint(dir);

      // Stored while no publisher ran: the next one sends exactly these.
      expect((await store.writeBatch(second, [])).ok).toBe(true);
      const two = new SiemPublisher(store, s, dir, { log: SILENT_LOG });
      await two.connect();
      expect(two.seq).toBe(afterFirst);
      expect(await two.publishPending()).toBe(second.length);
      await two.stop();
      const afterSecond = readSiemCheckpoint(dir);

      // Killed after Kafka acknowledged the third round but before its checkpoint was written:
      // the checkpoint still says afterSecond, so the restart sends that round again (at least once).
      expect((await store.writeBatch(third, [])).ok).toBe(true);
      const three = new SiemPublisher(store, s, dir, { log: SILENT_LOG });
      await three.connect();
      expect(await three.publishPending()).toBe(third.length);
      await three.stop();
      writeFileSync(join(dir, SIEM_CHECKPOINT_FILE), `${JSON.stringify({ seq: afterSecond })}\n`);
      const four = new SiemPublisher(store, s, dir, { log: SILENT_LOG });
      await four.connect();
      expect(await four.publishPending()).toBe(third.length);
      expect(await four.publishPending()).toBe(0);
      await four.stop();

      const total = first.length + second.length + 2 * third.length;
      const got = await topicDocs(s, total);
      expect(got.length).toBe(total);
      const counts = new Map<string, number>();
      for (const g of got) counts.set(g.doc.event.id, (counts.get(g.doc.event.id) ?? 0) + 1);
      for (const e of [...first, ...second]) expect(counts.get(e.event.id), e.event.id).toBe(1);
      for (const e of third) expect(counts.get(e.event.id), e.event.id).toBe(2);
    } finally {
      await store.close();
    }
  }, LIVE_TIMEOUT_MS);

  it('kintsugi serve with siem.kafka publishes the events its followers stored, each once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-siem-serve-'));
    const rlog = join(root, 'recovery.log');
    writeFileSync(rlog, rlogText(0, 400));
    const want = expected([{ path: rlog, format: 'rlog' }]);
    const s = settings('serve');
    const config = join(root, 'kintsugi.yaml');
    writeFileSync(
      config,
      [
        `sources:\n  - { name: r, format: rlog, paths: ["${rlog}"], host: db-default }`,
        'api: { host: 127.0.0.1, port: 0 }',
        'followers: { pollIntervalMs: 20, idleFlushMs: 0 }',
        `siem: { kafka: { brokers: [${s.brokers.map((b) => `"${b}"`).join(', ')}], topic: "${s.topic}", pollIntervalMs: 50 } }`,
        '',
      ].join('\n'),
    );
    const data = join(root, 'data');
    const serve = await startServe(config, data);
    try {
      await waitFor('the events stored', async () => ((await serve.health()).events >= want.events.size ? true : null));
      await waitFor('the SIEM checkpoint', async () => (readSiemCheckpoint(data) >= want.events.size ? true : null));
      expect(await serve.stop()).toBe(0);
    } finally {
      if (serve.child.exitCode === null) await serve.kill();
    }
    const got = await topicDocs(s, want.events.size);
    const ids = got.map((g) => g.doc.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...want.events].sort());
  }, LIVE_TIMEOUT_MS);

  it('refuses a damaged checkpoint instead of starting over silently', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kintsugi-siem-bad-'));
    writeFileSync(join(dir, SIEM_CHECKPOINT_FILE), '{"seq": -3}\n');
    expect(() => readSiemCheckpoint(dir)).toThrow(TransportError);
    writeFileSync(join(dir, SIEM_CHECKPOINT_FILE), 'not json');
    expect(() => readSiemCheckpoint(dir)).toThrow(/TRN_ERR_SIEM_CHECKPOINT/);
    expect(readSiemCheckpoint(mkdtempSync(join(tmpdir(), 'kintsugi-siem-none-')))).toBe(0);
  });

  it('reads siem.kafka with its defaults, is off without it, and refuses a section without a topic', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kintsugi-siem-config-'));
    const write = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect(siemSettings(loadConfig(write('none.yaml', 'sources: []\n')))).toBeNull();
    const on = siemSettings(loadConfig(write('on.yaml', 'sources: []\nsiem: { kafka: { brokers: ["k1:9092"], topic: soc.events } }\n')));
    expect(on).toEqual({ brokers: ['k1:9092'], topic: 'soc.events', clientId: 'kintsugi-siem', compression: 'gzip', pollIntervalMs: 500 });
    expect(() => loadConfig(write('bad.yaml', 'sources: []\nsiem: { kafka: { brokers: ["k1:9092"] } }\n'))).toThrow(/siem\.kafka\.topic" is required/);
  });
});
