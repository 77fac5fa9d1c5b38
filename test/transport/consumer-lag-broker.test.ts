/**
 * kintsugi_kafka_consumer_lag_messages from the Kafka workers in process, against a real
 * Kafka-protocol broker (the librdkafka mock cluster of kcat): 4.2 records produced to one
 * partition, more than one fetch holds; while the workers are behind, the gauge shows the
 * messages left past the committed offset; once they caught up, 0.
 */
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockBroker, type MockBroker } from '../../bench/kafka/mock-broker.js';
import { SILENT_LOG } from '../../collectors/source.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import type { EventStore } from '../../pipeline/store/event-store.js';
import { METRICS } from '../../pipeline/telemetry/metrics.js';
import { KafkaWorkers } from '../../pipeline/transport/kafka-workers.js';
import { testMeter } from '../telemetry/meter.js';
import { freshTopics, opsText, waitFor } from './harness.js';

let broker: MockBroker;
beforeAll(async () => {
  broker = await startMockBroker(1);
});
afterAll(async () => {
  await broker?.stop();
});

describe('consumer lag from the Kafka workers', () => {
  it('is the messages past the committed offset while behind, and 0 once caught up', async () => {
    const meter = testMeter();
    const topics = freshTopics('lag');
    // About 1.6 MB on partition 0: more than one fetch (kafkajs takes 1 MB per partition at most).
    const lines = opsText(0, 8000).split('\n').filter((l) => l !== '');
    const kafka = new Kafka({ clientId: 'lag-test', brokers: [...broker.brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    await producer.connect();
    for (let i = 0; i < lines.length; i += 1000) await producer.send({ topic: topics.ops, acks: -1, messages: lines.slice(i, i + 1000).map((value) => ({ value, partition: 0 })) });
    await producer.disconnect();

    const lagOf0 = (): Promise<number | undefined> => meter.value(METRICS.kafkaConsumerLag.name, { topic: topics.ops, partition: '0' });
    // Before each batch is written: the lag the previous commit left.
    const seen: number[] = [];
    const memory = new MemoryEventStore();
    const store: EventStore = Object.assign(Object.create(memory) as EventStore, {
      writeBatch: async (...args: Parameters<EventStore['writeBatch']>) => {
        const v = await lagOf0();
        if (v !== undefined) seen.push(v);
        return memory.writeBatch(...args);
      },
    });
    const workers = new KafkaWorkers(
      { brokers: broker.brokers, clientId: 'lag-test', groupId: `lag-${process.pid}`, workers: 1, topics, createTopics: false, partitions: 4, replicationFactor: 1, compression: 'none', sessionTimeoutMs: 10_000, concurrentPartitions: 8 },
      store,
      SILENT_LOG,
      meter.instruments,
    );
    try {
      await workers.start();
      await waitFor('every record consumed', async () => (workers.totals.records >= lines.length ? true : null), 120_000);
      expect(workers.totals.records).toBe(lines.length);
      expect(seen.some((v) => v > 0 && v < lines.length)).toBe(true);
      expect(await lagOf0()).toBe(0);
    } finally {
      await workers.stop();
      await meter.shutdown();
    }
  }, 180_000);
});
