/** The kafka section, its defaults, --kafka winning over it, and the commands' usage errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../pipeline/config/load.js';
import { kafkaSettings, parseBrokers } from '../../pipeline/transport/settings.js';
import { runCli } from '../cli/run-cli.js';

describe('Kafka settings', () => {
  it('are off without a kafka section or --kafka', () => {
    expect(kafkaSettings({ sources: [] })).toBeNull();
  });

  it('fill in the documented defaults, and --kafka wins over kafka.brokers', () => {
    const config = validateConfig({ sources: [], kafka: { brokers: ['k1:9092'] } }, 'k.yaml');
    expect(kafkaSettings(config)).toEqual({
      brokers: ['k1:9092'],
      clientId: 'kintsugi',
      groupId: 'kintsugi-workers',
      workers: 1,
      topics: { events: 'kintsugi.events', ops: 'kintsugi.ops-4.2', deadLetters: 'kintsugi.dead-letters' },
      createTopics: false,
      partitions: 12,
      replicationFactor: 3,
      compression: 'gzip',
      sessionTimeoutMs: 30_000,
      concurrentPartitions: 8,
    });
    expect(kafkaSettings(config, 'a:1, b:2')?.brokers).toEqual(['a:1', 'b:2']);
    expect(kafkaSettings({ sources: [] }, 'a:1')?.brokers).toEqual(['a:1']);
  });

  it('refuse brokers that are not host:port, and unknown keys name the key', () => {
    expect(() => parseBrokers('localhost')).toThrow(/TRN_ERR_BROKERS/);
    expect(() => parseBrokers('')).toThrow(/TRN_ERR_BROKERS/);
    expect(() => validateConfig({ sources: [], kafka: { brokers: ['k:1'], topic: 'x' } }, 'k.yaml')).toThrow(/key "kafka\/topic"|key "kafka.topic"/);
    expect(() => validateConfig({ sources: [], kafka: { brokers: [] } }, 'k.yaml')).toThrow(/kafka.brokers|kafka\/brokers/);
  });

  it('make forward and serve exit 2 on usage errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kintsugi-kafka-usage-'));
    const log = join(dir, 'r.log');
    writeFileSync(log, '');
    const noBrokers = await runCli(['forward', '--format', 'rlog', '--data', dir, log]);
    expect(noBrokers.code).toBe(2);
    expect(noBrokers.stderr).toContain('TRN_ERR_NO_KAFKA');
    const config = join(dir, 'k.yaml');
    writeFileSync(config, 'sources: []\n');
    const badBrokers = await runCli(['serve', '--config', config, '--data', dir, '--kafka', 'nohost']);
    expect(badBrokers.code).toBe(2);
    expect(badBrokers.stderr).toContain('TRN_ERR_BROKERS');
  }, 240_000);
});
