/**
 * The kafkajs instrumentation sees Kintsugi's Kafka clients: with OpenTelemetry started first (as
 * `kintsugi serve` starts it), what Kintsugi produces and what its workers consume are spans,
 * against a real Kafka-protocol broker (the librdkafka mock cluster of kcat).
 */
import { SpanKind } from '@opentelemetry/api';
import { tracing } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockBroker, type MockBroker } from '../../bench/kafka/mock-broker.js';
import { SILENT_LOG } from '../../collectors/source.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { startTelemetry, type Telemetry } from '../../pipeline/telemetry/telemetry.js';
import { freshTopics, opsText, waitFor } from '../transport/harness.js';

const spans = new tracing.InMemorySpanExporter();
let telemetry: Telemetry;
let broker: MockBroker;
beforeAll(async () => {
  telemetry = startTelemetry({ spanProcessors: [new tracing.SimpleSpanProcessor(spans)] });
  broker = await startMockBroker(1);
}, 120_000);
afterAll(async () => {
  await broker?.stop();
  await telemetry?.shutdown();
});

describe('Kafka spans', () => {
  it('a record Kintsugi produces and its workers consume is a producer span and a consumer span of its topic', async () => {
    // Loaded after OpenTelemetry started, as serve and forward load the transport.
    const { kafkaClient } = await import('../../pipeline/transport/client.js');
    const { Partitioners } = await import('../../pipeline/transport/kafkajs.js');
    const { KafkaWorkers } = await import('../../pipeline/transport/kafka-workers.js');
    const topics = freshTopics('spans');
    const lines = opsText(0, 20).split('\n').filter((l) => l !== '');
    const producer = kafkaClient({ clientId: 'span-test', brokers: broker.brokers }, SILENT_LOG).producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: topics.ops, acks: -1, messages: lines.map((value) => ({ value })) });
    await producer.disconnect();
    const workers = new KafkaWorkers(
      { brokers: broker.brokers, clientId: 'span-test', groupId: `spans-${process.pid}`, workers: 1, topics, createTopics: false, partitions: 4, replicationFactor: 1, compression: 'none', sessionTimeoutMs: 10_000, concurrentPartitions: 8 },
      new MemoryEventStore(),
      SILENT_LOG,
    );
    try {
      await workers.start();
      await waitFor('every record consumed', async () => (workers.totals.records >= lines.length ? true : null), 120_000);
    } finally {
      await workers.stop();
    }
    const ofTopic = spans.getFinishedSpans().filter((s) => s.attributes['messaging.destination.name'] === topics.ops);
    expect(ofTopic.some((s) => s.kind === SpanKind.PRODUCER)).toBe(true);
    expect(ofTopic.some((s) => s.kind === SpanKind.CONSUMER)).toBe(true);
  }, 180_000);
});
