/**
 * `kintsugi forward`: the collectors' file followers with a Kafka sink. Each follower moves its
 * checkpoint (`<data>/forwarder-checkpoints.json`, the collectors' format) only once Kafka
 * acknowledged the records read, so a forwarder killed at any moment sends again at most what it
 * had not seen acknowledged, and the workers' stores keep those once (stable `event.id`).
 */
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { Partitioners } from './kafkajs.js';
import { CheckpointStore } from '../../collectors/checkpoint.js';
import { FileFollower, type FollowerOptions } from '../../collectors/follower.js';
import type { Log, SourceConfig } from '../../collectors/source.js';
import { ensureTopics, kafkaClient } from './client.js';
import { TransportError } from './errors.js';
import { KafkaSink } from './kafka-sink.js';
import type { KafkaSettings } from './settings.js';

export const FORWARDER_CHECKPOINT_FILE = 'forwarder-checkpoints.json';

export interface ForwarderOptions {
  readonly sources: readonly SourceConfig[];
  readonly settings: KafkaSettings;
  readonly dataDir: string;
  readonly log: Log;
  readonly follower?: Omit<FollowerOptions, 'log'>;
}

export interface ForwardTotals {
  /** Records (events and dead letters) Kafka acknowledged. */
  readonly acknowledged: number;
}

export class Forwarder {
  private producer: Producer | null = null;
  private sink: KafkaSink | null = null;
  private followers: FileFollower[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly options: ForwarderOptions) {
    if (options.sources.length === 0) throw new TransportError('TRN_ERR_NO_SOURCES');
  }

  private async connect(once: boolean): Promise<CheckpointStore> {
    const { settings, log } = this.options;
    const kafka = kafkaClient(settings, log);
    await ensureTopics(kafka, settings, log);
    // Keyed by host with Kafka's own (murmur2) partitioner: a host's records share a partition.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    try {
      await producer.connect();
    } catch (err: unknown) {
      throw new TransportError('TRN_ERR_CONNECT', settings.brokers.join(','), err instanceof Error ? err.message : String(err));
    }
    this.producer = producer;
    this.sink = new KafkaSink(producer, settings, { log, ...(once ? { maxAttempts: 5 } : {}) });
    return CheckpointStore.open(join(this.options.dataDir, FORWARDER_CHECKPOINT_FILE));
  }

  private makeFollowers(checkpoints: CheckpointStore, sink: KafkaSink, once: boolean): FileFollower[] {
    // Once, a record held back for continuation lines is sent now: nothing more is coming.
    const follower: FollowerOptions = { ...this.options.follower, log: this.options.log, ...(once ? { idleFlushMs: 0 } : {}) };
    return this.options.sources.map((source) => new FileFollower(source, checkpoints, sink, follower));
  }

  /** Follows the sources until `stop()`. */
  async start(): Promise<void> {
    const checkpoints = await this.connect(false);
    if (this.sink === null) return;
    this.followers = this.makeFollowers(checkpoints, this.sink, false);
    for (const f of this.followers) {
      f.start().catch((err: unknown) => this.options.log.error({ source: f.config.name, err: String(err) }, 'follower stopped'));
    }
  }

  /**
   * Sends what the files hold now (an incomplete last line waits for its line feed), waits for
   * Kafka's acknowledgement, and stops. Throws when Kafka did not acknowledge everything.
   */
  async once(): Promise<ForwardTotals> {
    const checkpoints = await this.connect(true);
    const sink = this.sink;
    if (sink === null) return { acknowledged: 0 };
    this.followers = this.makeFollowers(checkpoints, sink, true);
    try {
      // start() reads the .gz generations and polls once; stop() flushes the checkpoints.
      for (const f of this.followers) {
        await f.start();
        await f.stop();
      }
    } finally {
      await this.stop();
    }
    if (sink.lastError !== null) throw sink.lastError;
    return { acknowledged: sink.acknowledged };
  }

  /** Ends the followers (their checkpoints flushed) and the producer. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.sink?.abort();
      await Promise.all(this.followers.map((f) => f.stop()));
      await this.producer?.disconnect().catch(() => undefined);
    })();
    return this.stopping;
  }
}
