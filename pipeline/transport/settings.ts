/**
 * The Kafka transport's settings: the configuration's `kafka` section with its defaults filled in,
 * and `--kafka BROKERS` winning over `kafka.brokers` (pipeline/transport/README.md, "Configuration").
 */
import type { Config } from '../config/schema.js';
import { TransportError } from './errors.js';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  readonly workers: number;
  readonly topics: { readonly events: string; readonly ops: string; readonly deadLetters: string };
  readonly createTopics: boolean;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly compression: 'gzip' | 'none';
  readonly sessionTimeoutMs: number;
  /** Partitions a worker consumes at once (kafkajs `partitionsConsumedConcurrently`). */
  readonly concurrentPartitions: number;
}

export const DEFAULT_TOPICS = { events: 'kintsugi.events', ops: 'kintsugi.ops-4.2', deadLetters: 'kintsugi.dead-letters' } as const;

/** `host:port,host:port` to a list; refuses anything else. */
export function parseBrokers(text: string): string[] {
  const list = text.split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (list.length === 0 || list.some((b) => !/^[^,\s]+:[0-9]{1,5}$/.test(b))) throw new TransportError('TRN_ERR_BROKERS', text);
  return list;
}

/**
 * The settings in effect, or null when the Kafka transport is not selected (no `kafka` section
 * and no `--kafka`).
 */
export function kafkaSettings(config: Config, brokersFlag?: string): KafkaSettings | null {
  const k = config.kafka;
  if (k === undefined && brokersFlag === undefined) return null;
  const brokers = brokersFlag !== undefined ? parseBrokers(brokersFlag) : [...(k?.brokers ?? [])];
  if (brokers.length === 0) throw new TransportError('TRN_ERR_NO_KAFKA');
  return {
    brokers,
    clientId: k?.clientId ?? 'kintsugi',
    groupId: k?.groupId ?? 'kintsugi-workers',
    workers: k?.workers ?? 1,
    topics: {
      events: k?.topics?.events ?? DEFAULT_TOPICS.events,
      ops: k?.topics?.ops ?? DEFAULT_TOPICS.ops,
      deadLetters: k?.topics?.deadLetters ?? DEFAULT_TOPICS.deadLetters,
    },
    createTopics: k?.createTopics ?? false,
    partitions: k?.partitions ?? 12,
    replicationFactor: k?.replicationFactor ?? 3,
    compression: k?.compression ?? 'gzip',
    sessionTimeoutMs: k?.sessionTimeoutMs ?? 30_000,
    concurrentPartitions: k?.concurrentPartitions ?? 8,
  };
}
