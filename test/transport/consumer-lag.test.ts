/**
 * kintsugi_kafka_consumer_lag_messages as the Kafka workers record it (consumer-lag.ts), read
 * through a meter provider of the test's own: high watermark less the committed offset, per
 * topic and partition; one owner per partition across a rebalance; 0 after a rejoin until the next batch.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../pipeline/telemetry/metrics.js';
import { ConsumerLag } from '../../pipeline/transport/consumer-lag.js';
import { testMeter } from '../telemetry/meter.js';

const meter = testMeter();
afterAll(() => meter.shutdown());
const lagOf = (topic: string, partition: number): Promise<number | undefined> => meter.value(METRICS.kafkaConsumerLag.name, { topic, partition: String(partition) });

describe('consumer lag', () => {
  it('moves with each commit, per partition; a moved partition has one owner; a rejoin reports 0 until the next batch', async () => {
    const lag = new ConsumerLag<string>(meter.instruments.kafkaConsumerLag);
    // Worker a committed offsets 0..99 of a partition that holds 250 messages: 150 behind.
    lag.committed('a', 'events', 0, '250', 100n);
    lag.committed('a', 'events', 1, '10', 10n);
    expect(await lagOf('events', 0)).toBe(150);
    expect(await lagOf('events', 1)).toBe(0);
    lag.committed('a', 'events', 0, '260', 200n);
    expect(await lagOf('events', 0)).toBe(60);
    // Partition 0 moved to worker b: its value only, even after a's is older.
    lag.committed('b', 'events', 0, '260', 260n);
    expect(await lagOf('events', 0)).toBe(0);
    lag.committed('b', 'events', 2, '90', 30n);
    expect(await lagOf('events', 2)).toBe(60);
    // b rejoins the group: partition 2 may be another process's now, which reports it.
    lag.forget('b');
    expect(await lagOf('events', 2)).toBe(0);
    lag.committed('b', 'events', 2, '95', 40n);
    expect(await lagOf('events', 2)).toBe(55);
    // A watermark behind the commit (a stale fetch) is no lag, not a negative one.
    lag.committed('a', 'ops', 3, '5', 7n);
    expect(await lagOf('ops', 3)).toBe(0);
    lag.close();
  });
});
