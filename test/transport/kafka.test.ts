/**
 * The Kafka transport against a real Kafka-protocol broker (the librdkafka mock cluster of kcat),
 * with `kintsugi forward` and `kintsugi serve --kafka` as real processes. Every test has its own
 * topics and consumer groups; volumes stay under the mock's ~5 MB per partition.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../bench/rng.js';
import { FORWARDER_CHECKPOINT_FILE } from '../../pipeline/transport/forwarder.js';
import { CLI } from '../cli/run-cli.js';
import { expected, freshTopics, opsText, readTopic, rlogText, runForward, sleep, startServe, storedIds, waitFor, waitForCounts, writeConfig } from './harness.js';
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

describe('Kafka transport: forwarder restarts, rules with several workers', () => {
  it('a forwarder killed (SIGKILL) before and after acknowledgements loses nothing, and sends nothing again once acknowledged', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-kafka-fwd-'));
    const rlog = join(root, 'recovery.log');
    writeFileSync(rlog, rlogText(0, 500));
    const topics = freshTopics('fwd');
    const config = writeConfig(root, broker.brokers, topics, { groupId: 'fwd', sources: [`{ name: r, format: rlog, paths: ["${rlog}"], host: db-default }`] });
    const fwdData = join(root, 'fwd');
    const random = rng(6);
    let written = 500;
    const kills = { beforeFirstAck: 0, afterAck: 0 };
    const checkpointFile = join(fwdData, FORWARDER_CHECKPOINT_FILE);
    const checkpointText = (): string => (existsSync(checkpointFile) ? readFileSync(checkpointFile, 'utf8') : '');
    const append = (): void => {
      const n = 20 + Math.floor(random() * 200);
      appendFileSync(rlog, rlogText(written, n));
      written += n;
    };
    for (let k = 0; k < 3; k++) {
      const before = checkpointText();
      const child = spawn(process.execPath, [CLI, 'forward', '--config', config, '--data', fwdData], { stdio: ['ignore', 'ignore', 'ignore'] });
      // The first run dies before it could connect; the others once this run had an acknowledgement
      // (its checkpoint moved), a random moment later, with records in flight.
      const deadline = Date.now() + 40_000;
      while (k > 0 && checkpointText() === before && Date.now() < deadline) {
        append();
        await sleep(30);
      }
      const until = Date.now() + (k === 0 ? 100 : Math.floor(random() * 600));
      while (Date.now() < until) {
        append();
        await sleep(30);
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      if (checkpointText() === before) kills.beforeFirstAck++;
      else kills.afterAck++;
    }
    // Killed before its first acknowledgement, and after acknowledgements.
    expect(kills.beforeFirstAck).toBeGreaterThan(0);
    expect(kills.afterAck).toBeGreaterThan(0);
    const last = await runForward(['--config', config, '--data', fwdData, '--once']);
    expect(last.code, last.stderr).toBe(0);
    // Restarted after the acknowledgement: nothing is sent twice.
    const again = await runForward(['--config', config, '--data', fwdData, '--once']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('0 records acknowledged by Kafka');
    const checkpoint = JSON.parse(readFileSync(join(fwdData, FORWARDER_CHECKPOINT_FILE), 'utf8')) as { files: { offset: number }[] };
    expect(checkpoint.files.map((f) => f.offset)).toEqual([readFileSync(rlog).length]);

    const want = expected([{ path: rlog, format: 'rlog' }]);
    const serve = await startServe(config, join(root, 'data'));
    await waitForCounts(serve, want.events.size, want.dead.size);
    expect(await serve.stop()).toBe(0);
    const got = await storedIds(join(root, 'data'));
    expect(sorted(got.events)).toEqual(sorted(want.events));
    expect(sorted(got.dead)).toEqual(sorted(want.dead));
  }, 300_000);

  it('two workers raise the same alerts as one, none doubled', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kintsugi-kafka-rules-'));
    const topics = freshTopics('rules');
    const base = Date.parse('2026-03-14T02:00:00Z');
    const records: { key: string; value: string }[] = [];
    const check = (i: number, host: string, module: string, status: string, cid: string, atMs: number): void => {
      records.push({ key: host, value: JSON.stringify({ schema: 2, time: atMs, event_id: `01RULES${String(i).padStart(8, '0')}`, host: { name: host }, op: 'check.file', status, correlation_id: cid, module, file: { path: `/lib/modules/4.2.1/kernel/fs/${module}.ko` } }) });
    };
    let i = 0;
    // Fleet-wide: ext4 corrupt on 7 hosts within the hour.
    for (let h = 0; h < 7; h++) check(i++, `h${h}`, 'ext4', 'corrupt', `fleet-${h}`, base + h * 60_000);
    // Recurring: xfs corrupt on h1 in 4 sessions within 30 days.
    for (let s = 0; s < 4; s++) check(i++, 'h1', 'xfs', 'corrupt', `rec-${s}`, base + s * 86_400_000);
    // Noise: checks that pass, all over the fleet, interleaved across partitions.
    for (let n = 0; n < 1500; n++) check(i++, `h${n % 9}`, `m${n % 40}`, 'ok', `noise-${n % 60}`, base + n * 1000);
    const kafka = new Kafka({ clientId: 'test-producer', brokers: [...broker.brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: topics.ops, acks: -1, compression: CompressionTypes.GZIP, messages: records });
    await producer.disconnect();

    const alertsOf = async (url: string): Promise<string[]> => {
      const r = (await (await fetch(`${url}/api/alerts?status=all&limit=0`)).json()) as { alerts: { event: { id: string }; rule: { id: string }; recovery: { alert: { key: string; status: string; count: number } } }[] };
      return r.alerts.map((a) => JSON.stringify([a.event.id, a.rule.id, a.recovery.alert.key, a.recovery.alert.status, a.recovery.alert.count])).sort();
    };
    const one = await startServe(writeConfig(root, broker.brokers, topics, { groupId: 'rules-one', workers: 1 }), join(root, 'one'));
    const two = await startServe(writeConfig(root, broker.brokers, topics, { groupId: 'rules-two', workers: 2 }), join(root, 'two'));
    let failed = true;
    try {
      await waitForCounts(one, records.length, 0);
      await waitForCounts(two, records.length, 0);
      const settled = async (url: string): Promise<string[]> => {
        let previous = '';
        let same = 0;
        return waitFor('alerts to settle', async () => {
          const now = await alertsOf(url);
          same = JSON.stringify(now) === previous ? same + 1 : 0;
          previous = JSON.stringify(now);
          return same >= 5 && now.length > 0 ? now : null;
        });
      };
      const a = await settled(one.url);
      const b = await settled(two.url);
      expect(b).toEqual(a);
      const ids = a.map((x) => (JSON.parse(x) as string[])[0]);
      expect(new Set(ids).size).toBe(ids.length);
      const rules = a.map((x) => (JSON.parse(x) as string[])[1]);
      expect(rules).toContain('fleet-module-corruption');
      expect(rules).toContain('recurring-module-corruption');
      failed = false;
    } finally {
      const codes = [await one.stop(), await two.stop()];
      // Not to hide the first failure behind this one.
      if (!failed) expect(codes, `${one.stderr()}${two.stderr()}`).toEqual([0, 0]);
    }
  });
});
