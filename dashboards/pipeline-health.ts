/**
 * Pipeline health: Kintsugi's own metrics (pipeline/telemetry/metrics.ts) and its dead-letter
 * index.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { exposedName } from '../pipeline/telemetry/metrics.js';
import { kintsugiDashboard, labelVariable, row, timeseries } from './panels.js';
import { bucket, esQuery, metric, promQuery } from './queries.js';

export const PIPELINE_UID = 'kintsugi-pipeline-health';

export function pipelineHealth(): Dashboard {
  const stored = exposedName('eventsStored');
  const deadLetters = exposedName('deadLetters');
  const followerLag = exposedName('followerLag');
  const storeWrite = exposedName('storeWrite');
  const alertChanges = exposedName('alertChanges');
  const authDenied = exposedName('authDenied');
  const alertLatency = exposedName('alertLatency');
  const consumerLag = exposedName('kafkaConsumerLag');
  const sel = '{instance=~"$process"}';
  return kintsugiDashboard(PIPELINE_UID, 'Kintsugi / Pipeline health', "Kintsugi's own health: ingest rate, lag, dead letters, store write latency, alert latency.")
    .withVariable(labelVariable('process', 'Kintsugi process', stored, 'instance'))
    .withRow(row(100, 'Ingest'))
    .withPanel(
      timeseries(
        {
          id: 1,
          title: 'Ingest rate by dataset',
          description: 'Events stored per second, by event.dataset (duplicates not counted).',
          source: 'metrics',
          unit: 'ops',
          targets: [promQuery(`sum by (dataset) (rate(${stored}${sel}[$__rate_interval]))`, '{{dataset}}')],
        },
        { stacked: true },
      ),
    )
    .withPanel(
      timeseries({
        id: 2,
        title: 'Consumer lag',
        description: `Kafka transport: messages past the consumer group's committed offset, by topic (${consumerLag}, as each worker's last batch knew it).`,
        source: 'metrics',
        unit: 'short',
        targets: [promQuery(`sum by (topic) (${consumerLag}${sel})`, '{{topic}}')],
      }),
    )
    .withPanel(
      timeseries({
        id: 3,
        title: 'File follower lag',
        description: 'Embedded transport: bytes the followed files hold past what is committed, by source.',
        source: 'metrics',
        unit: 'bytes',
        w: 24,
        targets: [promQuery(`sum by (source) (${followerLag}${sel})`, '{{source}}')],
      }),
    )
    .withRow(row(101, 'Dead letters'))
    .withPanel(
      timeseries(
        {
          id: 4,
          title: 'Dead letters by reason',
          description: 'Dead letters stored per second, by reason (error.type).',
          source: 'metrics',
          unit: 'ops',
          targets: [promQuery(`sum by (reason) (rate(${deadLetters}${sel}[$__rate_interval]))`, '{{reason}}')],
        },
        { stacked: true, bars: true },
      ),
    )
    .withPanel(
      timeseries(
        {
          id: 5,
          title: 'Dead letters stored, by reason',
          description: 'The dead-letter index by error.type over record time: what is waiting to be fixed and replayed.',
          source: 'deadLetters',
          targets: [esQuery('deadLetters', { query: [], metrics: [metric.count()], buckets: [bucket.terms('error.type', '2', 20), bucket.time('3')] })],
        },
        { stacked: true, bars: true },
      ),
    )
    .withRow(row(102, 'Latency'))
    .withPanel(
      timeseries({
        id: 6,
        title: 'Store write latency',
        description: 'Time of one committed store write (a batch): median and 99th percentile.',
        source: 'metrics',
        unit: 's',
        targets: [
          promQuery(`histogram_quantile(0.5, sum by (le) (rate(${storeWrite}_bucket${sel}[$__rate_interval])))`, 'p50', 'A'),
          promQuery(`histogram_quantile(0.99, sum by (le) (rate(${storeWrite}_bucket${sel}[$__rate_interval])))`, 'p99', 'B'),
        ],
      }),
    )
    .withPanel(
      timeseries({
        id: 7,
        title: 'Alert latency',
        description: `Time from an event's commit to its alert: median and 99th percentile (${alertLatency}; alert changes made by time alone are not counted).`,
        source: 'metrics',
        unit: 's',
        targets: [
          promQuery(`histogram_quantile(0.5, sum by (le) (rate(${alertLatency}_bucket${sel}[$__rate_interval])))`, 'p50', 'A'),
          promQuery(`histogram_quantile(0.99, sum by (le) (rate(${alertLatency}_bucket${sel}[$__rate_interval])))`, 'p99', 'B'),
        ],
      }),
    )
    .withRow(row(103, 'Alerts and access'))
    .withPanel(
      timeseries(
        {
          id: 8,
          title: 'Alert changes by rule',
          description: 'Alerts that fired, changed, resolved, reopened or were withdrawn, per second, by rule.',
          source: 'metrics',
          unit: 'ops',
          targets: [promQuery(`sum by (rule, change) (rate(${alertChanges}${sel}[$__rate_interval]))`, '{{rule}} {{change}}')],
        },
        { stacked: true, bars: true },
      ),
    )
    .withPanel(
      timeseries(
        {
          id: 9,
          title: 'Refused API requests by reason',
          description: 'API requests refused per second, by ACC_ERR_* code (each is an auth.denied event; repeated ACC_ERR_BAD_CREDENTIALS is guessing).',
          source: 'metrics',
          unit: 'ops',
          targets: [promQuery(`sum by (reason) (rate(${authDenied}${sel}[$__rate_interval]))`, '{{reason}}')],
        },
        { stacked: true, bars: true },
      ),
    )
    .build();
}
