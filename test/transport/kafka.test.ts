/**
 * The Kafka transport against a real Kafka-protocol broker (the librdkafka mock cluster of kcat),
 * with `kintsugi forward` and `kintsugi serve --kafka` as real processes. Every test has its own
 * topics and consumer groups; volumes stay under the mock's ~5 MB per partition.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expected, freshTopics, opsText, readTopic, rlogText, runForward, startServe, storedIds, waitFor, waitForCounts, writeConfig } from './harness.js';
import { startMockBroker, type MockBroker } from './mock-broker.js';

let broker: MockBroker;
beforeAll(async () => {
  broker = await startMockBroker(3);
});
afterAll(async () => {
  await broker?.stop();
});

function sorted(ids: Iterable<string>): string[] {
  return [...ids].sort();
}

describe('Kafka transport (librdkafka mock cluster)', () => {
  it('delivers forwarded 3.2 and 4.2 files end to end: the store holds exactly what parse gives', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-kafka-e2e-'));
    mkdirSync(join(root, 'logs'));
    const rlog = join(root, 'logs', 'recovery.log');
    const ops = join(root, 'logs', 'ops.jsonl');
    writeFileSync(rlog, rlogText(0, 3000));
    writeFileSync(ops, opsText(0, 2000));
    const topics = freshTopics('e2e');
    const config = writeConfig(root, broker.brokers, topics, {
      groupId: 'e2e',
      sources: [`{ name: r, format: rlog, paths: ["${rlog}*"], host: db-default }`, `{ name: o, format: ops, paths: ["${ops}*"] }`],
    });
    const want = expected([{ path: rlog, format: 'rlog' }, { path: ops, format: 'ops' }]);

    const sent = await runForward(['--config', config, '--data', join(root, 'fwd'), '--once']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toContain(`${want.events.size + want.dead.size} records acknowledged by Kafka`);

    const serve = await startServe(config, join(root, 'data'));
    await waitForCounts(serve, want.events.size, want.dead.size);
    expect(await serve.stop()).toBe(0);
    const got = await storedIds(join(root, 'data'));
    expect(sorted(got.events)).toEqual(sorted(want.events));
    expect(sorted(got.dead)).toEqual(sorted(want.dead));
    expect(want.events.size).toBeGreaterThan(4000);
    expect(want.dead.size).toBeGreaterThan(20);

    // 4.2 records travelled raw on their own topic, keyed by host.
    const raw = await readTopic(broker.brokers, topics.ops, 1);
    expect(raw[0]?.key).toMatch(/^web-[0-4]$/);
    expect(() => JSON.parse(raw[0]?.value.toString('utf8') ?? '')).not.toThrow();
  });

  it('turns poison messages into dead letters, stored and on the dead-letter topic, and the partition goes on', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-kafka-poison-'));
    const topics = freshTopics('poison');
    const kafka = new Kafka({ clientId: 'test-producer', brokers: [...broker.brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const doc = (id: string): string =>
      JSON.stringify({ '@timestamp': '2026-03-14T02:00:00.000Z', event: { id, kind: 'event', category: ['host'], type: ['info'], action: 'session.start', outcome: 'unknown', dataset: 'recovery.v32' }, host: { name: 'db-1', os: { version: '3.2.7' } }, recovery: { os_line: '3.2', instance: 'default' } });
    // One key: one partition, the poison in the middle of it.
    await producer.send({
      topic: topics.events,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: [
        { key: 'db-1', value: doc('good-before') },
        { key: 'db-1', value: Buffer.from([0xff, 0x00, 0x7b, 0x22]) },
        { key: 'db-1', value: '[1, 2]' },
        { key: 'db-1', value: doc('from-the-future'), headers: { 'kintsugi-wire': '9' } },
        { key: 'db-1', value: JSON.stringify({ '@timestamp': '2026-03-14T02:00:00.000Z', event: { id: 'no-host', kind: 'event' }, recovery: {} }) },
        { key: 'db-1', value: doc('good-after') },
      ],
    });
    await producer.send({
      topic: topics.ops,
      acks: -1,
      messages: [
        { key: 'web-1', value: JSON.stringify({ schema: 2, time: 1773454269412, event_id: '01RAWV2', host: { name: 'web-1' }, op: 'check.file', status: 'ok' }) },
        { key: 'web-1', value: '{"broken": ' },
        { key: 'web-1', value: JSON.stringify({ ts: '2026-03-14T02:00:01Z', host: 'web-1', op: 'restore.file', status: 'ok' }) },
      ],
    });
    await producer.disconnect();

    const config = writeConfig(root, broker.brokers, topics, { groupId: 'poison' });
    const serve = await startServe(config, join(root, 'data'));
    await waitForCounts(serve, 4, 5);
    expect(await serve.stop()).toBe(0);
    const got = await storedIds(join(root, 'data'));
    expect(got.events).toEqual(expect.arrayContaining(['good-before', 'good-after', '01RAWV2']));
    const reasons = got.deadLetters.map((d) => d.error.type).sort();
    expect(reasons).toEqual(['bad-type:event', 'not-json', 'not-json', 'not-object', 'unsupported-schema']);
    for (const d of got.deadLetters) {
      expect(d.kafka?.topic).toMatch(/^t\.poison-/);
      expect(d.error.message).toContain(`${d.kafka?.topic}/${d.kafka?.partition}@${d.kafka?.offset}`);
    }
    const dlq = await readTopic(broker.brokers, topics.deadLetters, 5);
    expect(dlq).toHaveLength(5);
    expect(sorted(dlq.map((m) => m.key))).toEqual(sorted(got.dead));
    expect(sorted(dlq.map((m) => (JSON.parse(m.value.toString('utf8')) as { event: { id: string } }).event.id))).toEqual(sorted(got.dead));
  });

  it('a worker process killed mid-stream (SIGKILL) is taken over by a second one on the same data folder: exact counts, none doubled', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-kafka-kill-'));
    const rlog = join(root, 'recovery.log');
    writeFileSync(rlog, rlogText(0, 24_000));
    const topics = freshTopics('kill');
    const config = writeConfig(root, broker.brokers, topics, { groupId: 'kill', workers: 2 });
    const want = expected([{ path: rlog, format: 'rlog' }]);
    // The configuration gives the topics; --format and the file, the source.
    const sent = await runForward(['--config', config, '--format', 'rlog', '--host', 'db-default', '--data', join(root, 'fwd'), '--once', rlog]);
    expect(sent.code, sent.stderr).toBe(0);
    const data = join(root, 'data');
    const first = await startServe(config, data);
    const atKill = await waitFor('the first worker to store some events', async () => {
      const h = await first.health();
      return h.events > 0 ? h.events : null;
    });
    await first.kill();
    expect(atKill).toBeLessThan(want.events.size);
    const second = await startServe(config, data);
    await waitForCounts(second, want.events.size, want.dead.size, 120_000);
    expect(await second.stop()).toBe(0);
    const got = await storedIds(data);
    expect(got.events).toHaveLength(new Set(got.events).size);
    expect(sorted(got.events)).toEqual(sorted(want.events));
    expect(sorted(got.dead)).toEqual(sorted(want.dead));
  });
});
