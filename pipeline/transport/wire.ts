/**
 * What goes on the wire (pipeline/transport/README.md, "Wire format"), both ways:
 *
 * - `events` topic: one normalized ECS document per record (an event, or a dead letter the
 *   forwarder already made), JSON, key = `host.name`, header `kintsugi-wire: 1`. A SIEM can read
 *   the topic as it is.
 * - `ops` topic: one raw OPS 4.2 JSON record per message, key = host, as 4.2 hosts publish them.
 *   A forwarder that read the record from a file adds `kintsugi-file` and `kintsugi-offset`, so
 *   that the worker normalizes it to exactly the event a local follower would have made.
 *
 * Decoding never throws: whatever a worker cannot read becomes a dead letter that names the
 * topic, partition and offset, with an id stable across redeliveries.
 */
import type { Dataset, DeadLetter, DeadLetterReason, KafkaOrigin, ParsedItem, RecoveryEvent } from '../../parsers/event.js';
import { stableId } from '../../parsers/id.js';
import { parseOpsRecord } from '../../parsers/ops/stream.js';
import { originalText } from '../../parsers/text.js';
import { toDeadLetterRecord, toEventRecord } from '../store/record.js';

export const WIRE_VERSION = '1';
export const HEADER_WIRE = 'kintsugi-wire';
export const HEADER_FILE = 'kintsugi-file';
export const HEADER_OFFSET = 'kintsugi-offset';

export type TopicRole = 'events' | 'ops';
export type Headers = Record<string, string>;

/** A record to produce. */
export interface OutMessage {
  readonly role: TopicRole;
  readonly key: string;
  readonly value: string;
  readonly headers: Headers;
}

/** A record as a consumer gives it (kafkajs's shape, narrowed). */
export interface InMessage {
  readonly offset: string;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

/** The forwarder's encoding of one parsed item (see the header). */
export function encodeItem(item: ParsedItem): OutMessage {
  if (item.kind === 'event') {
    const e = item.event;
    // 4.2 records travel raw, as 4.2 hosts publish them; the worker normalizes them.
    if (e.event.dataset === 'recovery.v42' && e.event.original !== undefined) {
      const headers: Headers = { [HEADER_WIRE]: WIRE_VERSION };
      if (e.log?.file?.path !== undefined) headers[HEADER_FILE] = e.log.file.path;
      if (e.log?.offset !== undefined) headers[HEADER_OFFSET] = String(e.log.offset);
      return { role: 'ops', key: e.host.name, value: e.event.original, headers };
    }
    return { role: 'events', key: e.host.name, value: JSON.stringify(e), headers: { [HEADER_WIRE]: WIRE_VERSION } };
  }
  // A dead letter has no host: its file keeps one file's dead letters on one partition.
  const d = item.deadLetter;
  return { role: 'events', key: d.log?.file?.path ?? 'unknown', value: JSON.stringify(d), headers: { [HEADER_WIRE]: WIRE_VERSION } };
}

function header(m: InMessage, name: string): string | undefined {
  const v = m.headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : typeof one === 'string' ? one : one.toString('utf8');
}

/** Where a record was in Kafka, as dead-letter messages name it: `topic/partition@offset`. */
function where(origin: KafkaOrigin): string {
  return `${origin.topic}/${origin.partition}@${origin.offset}`;
}

/** The dead letter of a Kafka record that cannot be read. */
export function kafkaDeadLetter(raw: Buffer, origin: KafkaOrigin, dataset: Dataset, reason: DeadLetterReason, message: string, readTime: string): ParsedItem {
  const deadLetter: DeadLetter = {
    '@timestamp': readTime,
    event: {
      id: stableId(`kafka-dead\n${origin.topic}/${origin.partition}/${origin.offset}\n`, raw),
      kind: 'pipeline_error',
      dataset,
      original: originalText(raw),
    },
    kafka: origin,
    error: { type: reason, message: `${where(origin)}: ${message}` },
  };
  return { kind: 'dead-letter', deadLetter };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One record of the `events` topic: the document, checked as the store checks it. */
function decodeDocument(raw: Buffer, origin: KafkaOrigin, m: InMessage, readTime: string): ParsedItem {
  const dead = (reason: DeadLetterReason, message: string): ParsedItem => kafkaDeadLetter(raw, origin, 'recovery.v32', reason, message, readTime);
  const version = header(m, HEADER_WIRE);
  if (version !== undefined && version !== WIRE_VERSION) return dead('unsupported-schema', `wire version ${JSON.stringify(version)}; this worker reads version ${WIRE_VERSION}: upgrade the workers before the forwarders`);
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err: unknown) {
    return dead('not-json', `not a JSON document (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(doc)) return dead('not-object', 'not a JSON object');
  const kind = isObject(doc['event']) ? doc['event']['kind'] : undefined;
  if (kind === 'pipeline_error') {
    const checked = toDeadLetterRecord(doc as unknown as DeadLetter, 0, readTime);
    return checked.ok ? { kind: 'dead-letter', deadLetter: doc as unknown as DeadLetter } : dead('bad-type:dead-letter', checked.error.message);
  }
  // The store's own check, so that a batch is never refused whole because of one record.
  const event = doc as unknown as RecoveryEvent;
  const checked = toEventRecord(event, 0, readTime);
  return checked.ok ? { kind: 'event', event } : dead('bad-type:event', checked.error.message);
}

/** One record of the `ops` topic: a raw OPS 4.2 record, read by the OPS parser. */
function decodeOps(raw: Buffer, origin: KafkaOrigin, m: InMessage, readTime: string): ParsedItem {
  const file = header(m, HEADER_FILE);
  const offsetText = header(m, HEADER_OFFSET);
  const offset = offsetText !== undefined && /^[0-9]{1,15}$/.test(offsetText) ? Number(offsetText) : undefined;
  // Read from a file by a forwarder: the same event (and id) as a follower of that file makes.
  const item = file !== undefined && offset !== undefined ? parseOpsRecord(raw, { offset }, { path: file }, readTime) : parseOpsRecord(raw, { kafka: origin }, {}, readTime);
  if (item.kind === 'dead-letter') {
    const d = item.deadLetter;
    return { kind: 'dead-letter', deadLetter: { ...d, kafka: origin, error: { ...d.error, message: `${where(origin)}: ${d.error.message}` } } };
  }
  const checked = toEventRecord(item.event, 0, readTime);
  return checked.ok ? item : kafkaDeadLetter(raw, origin, 'recovery.v42', 'bad-type:event', checked.error.message, readTime);
}

/** A consumed record to an event or a dead letter; never throws. */
export function decodeMessage(role: TopicRole, topic: string, partition: number, m: InMessage, readTime: string): ParsedItem {
  const origin: KafkaOrigin = { topic, partition, offset: m.offset };
  const raw = m.value ?? Buffer.alloc(0);
  if (raw.length === 0) return kafkaDeadLetter(raw, origin, role === 'ops' ? 'recovery.v42' : 'recovery.v32', 'not-json', 'empty record (no value)', readTime);
  try {
    return role === 'ops' ? decodeOps(raw, origin, m, readTime) : decodeDocument(raw, origin, m, readTime);
  } catch (err: unknown) {
    // A parser bug must not block the partition either.
    return kafkaDeadLetter(raw, origin, role === 'ops' ? 'recovery.v42' : 'recovery.v32', 'not-object', `cannot be read (${err instanceof Error ? err.message : String(err)})`, readTime);
  }
}
