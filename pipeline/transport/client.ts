/**
 * The kafkajs client of the transport: one `Kafka` per process, kafkajs's own logs routed to the
 * service log, and the optional creation of the topics at start.
 */
import type { Kafka as KafkaClient, LogEntry } from 'kafkajs';
import { Kafka, logLevel } from './kafkajs.js';
import type { Log } from '../../collectors/source.js';
import type { KafkaSettings } from './settings.js';

function logCreator(log: Log): () => (entry: LogEntry) => void {
  return () => (entry) => {
    const { message, ...fields } = entry.log;
    const at = { kafka: entry.namespace, ...fields };
    if (entry.level <= logLevel.ERROR) log.error(at, `kafka: ${message}`);
    else log.warn(at, `kafka: ${message}`);
  };
}

export function kafkaClient(settings: Pick<KafkaSettings, 'clientId' | 'brokers'>, log: Log): KafkaClient {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    // Warnings and errors only: kafkajs's info lines (joins, commits) are many and routine.
    logLevel: logLevel.WARN,
    logCreator: logCreator(log),
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}

/**
 * Creates the transport's topics when `kafka.createTopics` is on. Many managed clusters and the
 * librdkafka mock refuse admin calls; that is a warning, not a failure: the topics must then exist
 * already or be created by the broker on first use.
 */
export async function ensureTopics(kafka: KafkaClient, settings: KafkaSettings, log: Log): Promise<void> {
  if (!settings.createTopics) return;
  const topics = [settings.topics.events, settings.topics.ops, settings.topics.deadLetters];
  const admin = kafka.admin();
  try {
    await admin.connect();
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: settings.partitions, replicationFactor: settings.replicationFactor })),
    });
    log.info({ topics, created }, created ? 'kafka topics created' : 'kafka topics exist already');
  } catch (err: unknown) {
    log.warn(
      { topics, err: err instanceof Error ? err.message : String(err) },
      'the Kafka cluster refused to create the topics (no controller, or no permission): create them by hand with the partitions you need, rely on the broker creating them on first use, or set kafka.createTopics: false to skip this step',
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
