/**
 * The forwarder's sink: parsed items to Kafka (wire.ts), acknowledged by all in-sync replicas
 * before `write` resolves, so that the follower moves its checkpoint only after Kafka has them.
 *
 * While Kafka does not acknowledge, `write` keeps trying (with backoff) instead of failing: a
 * follower whose write failed would have read past those records, so waiting is what keeps them.
 * Only `abort()` (a stop) or `maxAttempts` (`--once`) end the wait with an error; the checkpoint
 * did not move, so the next run sends them again.
 */
import type { Message, Producer, TopicMessages } from 'kafkajs';
import { CompressionTypes } from './kafkajs.js';
import type { Log } from '../../collectors/source.js';
import type { Sink } from '../../collectors/sink.js';
import type { ParsedItem } from '../../parsers/event.js';
import { backoffMs, WakeableSleep } from './backoff.js';
import { TransportError } from './errors.js';
import type { KafkaSettings } from './settings.js';
import { encodeItem } from './wire.js';

/** Messages per produce request: keeps each request well under the brokers' size limits. */
const MESSAGES_PER_REQUEST = 4000;

export interface KafkaSinkOptions {
  readonly log: Log;
  /** Attempts per batch before `write` fails; unbounded by default. */
  readonly maxAttempts?: number;
  /** Milliseconds of produce timeout per request (default 30000). */
  readonly timeoutMs?: number;
}

export class KafkaSink implements Sink {
  private aborted = false;
  private readonly pause = new WakeableSleep();
  /** The last error that made a `write` fail (not the ones retried away). */
  lastError: Error | null = null;
  /** Records acknowledged by Kafka since start. */
  acknowledged = 0;

  constructor(
    private readonly producer: Producer,
    private readonly settings: KafkaSettings,
    private readonly options: KafkaSinkOptions,
  ) {}

  async write(items: readonly ParsedItem[]): Promise<void> {
    for (let from = 0; from < items.length; from += MESSAGES_PER_REQUEST) {
      await this.send(items.slice(from, from + MESSAGES_PER_REQUEST));
    }
  }

  /** Ends the waits of `write`: they fail, and their checkpoints stay where they were. */
  abort(): void {
    this.aborted = true;
    this.pause.wake();
  }

  private async send(items: readonly ParsedItem[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const item of items) {
      const m = encodeItem(item);
      const topic = m.role === 'ops' ? this.settings.topics.ops : this.settings.topics.events;
      const list = byTopic.get(topic) ?? [];
      list.push({ key: m.key, value: m.value, headers: m.headers });
      byTopic.set(topic, list);
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const compression = this.settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    for (let attempt = 1; ; attempt++) {
      if (this.aborted) throw this.fail(new TransportError('TRN_ERR_PRODUCE', items.length, [...byTopic.keys()].join(', '), 'stopped before Kafka acknowledged'));
      try {
        await this.producer.sendBatch({ topicMessages, acks: -1, compression, timeout: this.options.timeoutMs ?? 30_000 });
        this.acknowledged += items.length;
        return;
      } catch (err: unknown) {
        const error = new TransportError('TRN_ERR_PRODUCE', items.length, [...byTopic.keys()].join(', '), err instanceof Error ? err.message : String(err));
        if (this.options.maxAttempts !== undefined && attempt >= this.options.maxAttempts) throw this.fail(error);
        const waitMs = backoffMs(attempt);
        this.options.log.warn({ attempt, waitMs, err: error.message }, 'kafka did not acknowledge; trying again (the checkpoint waits)');
        await this.pause.sleep(waitMs);
      }
    }
  }

  private fail(error: Error): Error {
    this.lastError = error;
    return error;
  }
}
