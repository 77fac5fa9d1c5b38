/**
 * The SIEM topic (`siem.kafka`): `kintsugi serve` publishes every event the store committed, in
 * write order (`eventsSince`), as the document `/api/export` gives (key `host.name`). The position
 * is a checkpoint in the data folder, written only after Kafka acknowledged (acks all): killed
 * between the acknowledgement and the checkpoint, the publisher sends that page again after a
 * restart. At least once: readers dedupe on `event.id` (or `event.sequence`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { CompressionTypes, Partitioners } from './kafkajs.js';
import type { Log } from '../../collectors/source.js';
import type { Config } from '../config/schema.js';
import { exportDocument, type EventStore } from '../store/event-store.js';
import { backoffMs, WakeableSleep } from './backoff.js';
import { kafkaClient } from './client.js';
import { TransportError } from './errors.js';

/** The publisher's position in write order: `{"seq": N}`, the last `event.sequence` acknowledged. */
export const SIEM_CHECKPOINT_FILE = 'siem-checkpoint.json';

export interface SiemSettings {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly clientId: string;
  readonly compression: 'gzip' | 'none';
  readonly pollIntervalMs: number;
}

/** The `siem.kafka` section with its defaults, or null when no SIEM topic is configured. */
export function siemSettings(config: Config): SiemSettings | null {
  const k = config.siem?.kafka;
  if (k === undefined) return null;
  return { brokers: [...k.brokers], topic: k.topic, clientId: k.clientId ?? 'kintsugi-siem', compression: k.compression ?? 'gzip', pollIntervalMs: k.pollIntervalMs ?? 500 };
}

/** The checkpoint's seq; 0 (the start) when there is none. A damaged file is an error, not a silent restart. */
export function readSiemCheckpoint(dataDir: string): number {
  const file = join(dataDir, SIEM_CHECKPOINT_FILE);
  if (!existsSync(file)) return 0;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new TransportError('TRN_ERR_SIEM_CHECKPOINT', file);
  }
  const seq = typeof doc === 'object' && doc !== null && 'seq' in doc ? doc.seq : undefined;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw new TransportError('TRN_ERR_SIEM_CHECKPOINT', file);
  return seq;
}

function writeSiemCheckpoint(dataDir: string, seq: number): void {
  const file = join(dataDir, SIEM_CHECKPOINT_FILE);
  // Write then rename: a crash leaves the old checkpoint or the new one, never half of one.
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ seq })}\n`);
  renameSync(tmp, file);
}

export interface SiemPublisherOptions {
  readonly log: Log;
  /** Events per page read and per produce request (default 1000). */
  readonly pageSize?: number;
}

export class SiemPublisher {
  private producer: Producer | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly pause = new WakeableSleep();
  /** The last `event.sequence` Kafka acknowledged (and the checkpoint holds). */
  seq = 0;
  /** Events acknowledged by Kafka since start. */
  published = 0;

  constructor(
    private readonly store: EventStore,
    private readonly settings: SiemSettings,
    private readonly dataDir: string,
    private readonly options: SiemPublisherOptions,
  ) {}

  /** Connects and reads the checkpoint; `run` then publishes until `stop`. */
  async connect(): Promise<void> {
    this.seq = readSiemCheckpoint(this.dataDir);
    const producer = kafkaClient(this.settings, this.options.log).producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    try {
      await producer.connect();
    } catch (err: unknown) {
      throw new TransportError('TRN_ERR_CONNECT', this.settings.brokers.join(','), err instanceof Error ? err.message : String(err));
    }
    this.producer = producer;
  }

  /** Publishes in the background until `stop`; failures are logged and retried from the checkpoint. */
  start(): void {
    this.running ??= this.loop();
  }

  /**
   * Publishes every event stored after the checkpoint, page by page; resolves with how many when
   * caught up. Throws when Kafka or the store fails; the checkpoint stays at the last acknowledged page.
   */
  async publishPending(): Promise<number> {
    const producer = this.producer;
    if (producer === null) throw new Error('SiemPublisher.publishPending before connect');
    const pageSize = this.options.pageSize ?? 1000;
    let sent = 0;
    while (!this.stopped) {
      const page = await this.store.eventsSince(this.seq, pageSize);
      if (!page.ok) throw page.error;
      if (page.events.length > 0) {
        const messages = page.events.map((e) => ({ key: e.event.host.name, value: JSON.stringify(exportDocument(e)) }));
        try {
          await producer.send({ topic: this.settings.topic, messages, acks: -1, compression: this.settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None, timeout: 30_000 });
        } catch (err: unknown) {
          throw new TransportError('TRN_ERR_PRODUCE', messages.length, this.settings.topic, err instanceof Error ? err.message : String(err));
        }
        writeSiemCheckpoint(this.dataDir, page.lastSeq);
        this.published += messages.length;
        sent += messages.length;
      }
      this.seq = page.lastSeq;
      if (page.events.length < pageSize) break;
    }
    return sent;
  }

  /** Stops after the page in flight (acknowledged and checkpointed, or not checkpointed). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    await this.running;
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let waitMs = this.settings.pollIntervalMs;
      try {
        await this.publishPending();
        failures = 0;
      } catch (err: unknown) {
        failures++;
        waitMs = backoffMs(failures);
        this.options.log.warn({ attempt: failures, waitMs, err: err instanceof Error ? err.message : String(err) }, 'siem topic: publishing failed; trying again from the checkpoint');
      }
      await this.pause.sleep(waitMs);
    }
  }
}
