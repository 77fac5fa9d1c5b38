/**
 * The pipeline workers of `kintsugi serve` on the Kafka transport: `workers` consumers of one
 * consumer group, in this process, sharing its store. Each batch of a partition is decoded
 * (wire.ts: what cannot be read becomes a dead letter, so no record blocks its partition),
 * written to the store, its dead letters produced to the dead-letter topic, and only then is the
 * partition's offset committed. A worker killed or a partition moved before the commit means a
 * redelivery, which the store keeps once (`event.id`); nothing committed is unstored.
 */
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { CompressionTypes, Partitioners } from './kafkajs.js';
import type { Log } from '../../collectors/source.js';
import type { DeadLetter } from '../../parsers/event.js';
import { StoreSink } from '../store-sink.js';
import type { EventStore } from '../store/event-store.js';
import type { Instruments } from '../telemetry/telemetry.js';
import { ensureTopics, kafkaClient } from './client.js';
import { ConsumerLag } from './consumer-lag.js';
import { GroupCommitSink } from './group-commit.js';
import { TransportError } from './errors.js';
import type { KafkaSettings } from './settings.js';
import { decodeMessage, HEADER_WIRE, WIRE_VERSION } from './wire.js';

export interface WorkerTotals {
  /** Records read from Kafka and committed (events and dead letters, redeliveries included). */
  readonly records: number;
  /** Dead letters produced to the dead-letter topic. */
  readonly deadLetters: number;
}

export class KafkaWorkers {
  private readonly kafka: Kafka;
  private readonly sink: GroupCommitSink;
  private consumers: Consumer[] = [];
  private producer: Producer | null = null;
  private stopping: Promise<void> | null = null;
  private records = 0;
  private deadLetters = 0;
  private readonly lag: ConsumerLag<Consumer>;

  constructor(
    private readonly settings: KafkaSettings,
    store: EventStore,
    private readonly log: Log,
    instruments?: Instruments,
  ) {
    this.kafka = kafkaClient(settings, log);
    this.sink = new GroupCommitSink(new StoreSink(store, instruments));
    this.lag = new ConsumerLag(instruments?.kafkaConsumerLag);
  }

  get totals(): WorkerTotals {
    return { records: this.records, deadLetters: this.deadLetters };
  }

  /** Connects the dead-letter producer and the consumers; resolves once all are running. */
  async start(): Promise<void> {
    const s = this.settings;
    await ensureTopics(this.kafka, s, this.log);
    const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    try {
      await producer.connect();
    } catch (err: unknown) {
      throw new TransportError('TRN_ERR_CONNECT', s.brokers.join(','), err instanceof Error ? err.message : String(err));
    }
    this.producer = producer;
    for (let i = 0; i < s.workers; i++) {
      const consumer = this.kafka.consumer({ groupId: s.groupId, sessionTimeout: s.sessionTimeoutMs, heartbeatInterval: Math.max(500, Math.floor(s.sessionTimeoutMs / 10)), allowAutoTopicCreation: true });
      this.consumers.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, () => this.lag.forget(consumer));
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [s.topics.events, s.topics.ops], fromBeginning: true });
      } catch (err: unknown) {
        throw new TransportError('TRN_ERR_CONNECT', s.brokers.join(','), err instanceof Error ? err.message : String(err));
      }
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // Batches of several partitions at once, stored in one write (group-commit.ts).
        partitionsConsumedConcurrently: s.concurrentPartitions,
        eachBatch: (payload) => this.handle(consumer, payload),
      });
    }
    this.log.info({ brokers: s.brokers, groupId: s.groupId, workers: s.workers, topics: [s.topics.events, s.topics.ops] }, 'kafka workers consuming');
  }

  private async handle(consumer: Consumer, { batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    if (batch.isEmpty()) return;
    const role = batch.topic === this.settings.topics.ops ? 'ops' : 'events';
    const readTime = new Date().toISOString();
    const items = batch.messages.map((m) => decodeMessage(role, batch.topic, batch.partition, m, readTime));
    // 1. the store commits (idempotent on event.id: a redelivered record is a duplicate).
    await this.sink.write(items);
    // 2. the dead letters reach their topic (at least once; keyed by their id).
    const dead: DeadLetter[] = [];
    for (const item of items) if (item.kind === 'dead-letter') dead.push(item.deadLetter);
    if (dead.length > 0 && this.producer !== null) {
      await this.producer.send({
        topic: this.settings.topics.deadLetters,
        acks: -1,
        compression: this.settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: dead.map((d) => ({ key: d.event.id, value: JSON.stringify(d), headers: { [HEADER_WIRE]: WIRE_VERSION } })),
      });
      this.deadLetters += dead.length;
    }
    // 3. only then the offset: a crash before this line redelivers, a crash after loses nothing.
    const last = batch.lastOffset();
    resolveOffset(last);
    const next = BigInt(last) + 1n;
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next.toString() }]);
    this.lag.committed(consumer, batch.topic, batch.partition, batch.highWatermark, next);
    this.records += items.length;
    await heartbeat();
  }

  /**
   * Leaves the group: each consumer finishes (and commits) the batch under way first, so its
   * partitions move to the other workers with nothing in flight. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.consumers.map((c) => c.disconnect().catch((err: unknown) => this.log.warn({ err: String(err) }, 'kafka consumer did not leave cleanly'))));
      await this.producer?.disconnect().catch(() => undefined);
      this.lag.close();
      this.log.info({ ...this.totals, batches: this.sink.batches, storeWrites: this.sink.writes }, 'kafka workers stopped');
    })();
    return this.stopping;
  }
}
