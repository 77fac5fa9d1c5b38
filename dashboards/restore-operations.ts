/**
 * Restore operations: what the restore runner did (its OPS 4.2 v2 events in the events index)
 * and its own metrics (pipeline/telemetry/metrics.ts).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { exposedName } from '../pipeline/telemetry/metrics.js';
import { RUNNER_ACTIONS, SPEC_ACTIONS } from './planned.js';
import { kintsugiDashboard, row, stat, table, termsVariable, timeseries } from './panels.js';
import { bucket, byVariable, esQuery, metric, promQuery, term } from './queries.js';

export const RESTORE_UID = 'kintsugi-restore-operations';

const HOST = [byVariable('host.name', 'host'), byVariable('recovery.instance', 'instance')];

export function restoreOperations(): Dashboard {
  const restores = exposedName('restores');
  const restoreDuration = exposedName('restoreDuration');
  const active = exposedName('restoreJobsActive');
  const written = exposedName('restoreWrittenBytes');
  const pending = exposedName('restoreApprovalsPending');
  const prefetch = exposedName('prefetchChunkReads');
  return kintsugiDashboard(RESTORE_UID, 'Kintsugi / Restore operations', 'What the restore runner did: restores and their outcome, duration and bytes, approvals, drills and measured recovery times, prefetch.')
    .withVariable(termsVariable('host', 'Host', 'events', 'host.name'))
    .withVariable(termsVariable('instance', 'Instance', 'events', 'recovery.instance'))
    .withRow(row(100, 'Restores'))
    .withPanel(
      timeseries(
        {
          id: 1,
          title: 'Restores by outcome',
          description: 'restore.end events by event.outcome.',
          source: 'events',
          targets: [esQuery('events', { query: [...HOST, term('event.action', SPEC_ACTIONS.restoreEnd)], metrics: [metric.count()], buckets: [bucket.terms('event.outcome', '2', 3), bucket.time('3')] })],
        },
        { stacked: true, bars: true },
      ),
    )
    .withPanel(
      timeseries({
        id: 2,
        title: 'Restore duration percentiles',
        description: 'event.duration of restore.end events: 50th, 90th and 99th percentiles.',
        source: 'events',
        unit: 'ns',
        targets: [esQuery('events', { query: [...HOST, term('event.action', SPEC_ACTIONS.restoreEnd)], metrics: [metric.percentiles('event.duration', ['50', '90', '99'])], buckets: [bucket.time('2')] })],
      }),
    )
    .withPanel(
      timeseries(
        {
          id: 3,
          title: 'Bytes written by restore mode',
          description: `Bytes restores wrote to their targets, by mode (${written}, restore runner).`,
          source: 'metrics',
          unit: 'bytes',
          targets: [promQuery(`sum by (mode) (increase(${written}[$__rate_interval]))`, '{{mode}}')],
        },
        { stacked: true, bars: true },
      ),
    )
    .withPanel(
      timeseries(
        {
          id: 4,
          title: 'Bytes restored by file and block events',
          description: 'file.size summed over restore.file and restore.block events, by event.action.',
          source: 'events',
          unit: 'bytes',
          targets: [
            esQuery('events', {
              query: [...HOST, `event.action:("${SPEC_ACTIONS.restoreFile}" OR "${SPEC_ACTIONS.restoreBlock}")`],
              metrics: [metric.sum('file.size')],
              buckets: [bucket.terms('event.action', '2', 2), bucket.time('3')],
            }),
          ],
        },
        { stacked: true, bars: true },
      ),
    )
    .withRow(row(101, 'Approvals, drills, prefetch'))
    .withPanel(
      stat({
        id: 5,
        title: 'Pending approvals',
        description: `Restore jobs waiting for an approval the recovery policy requires (${pending}, restore runner).`,
        source: 'metrics',
        targets: [promQuery(`sum(${pending})`, 'pending')],
      }),
    )
    .withPanel(
      stat({
        id: 6,
        title: 'Prefetch hit rate',
        description: `Share of chunks restores read from the warm prefetch cache rather than the repository (${prefetch}, restore runner jobs of tree instances).`,
        source: 'metrics',
        unit: 'percentunit',
        targets: [promQuery(`sum(rate(${prefetch}{result="hit"}[$__rate_interval])) / sum(rate(${prefetch}[$__rate_interval]))`, 'hit rate')],
      }),
    )
    .withPanel(
      timeseries(
        {
          id: 7,
          title: 'Drill results',
          description: `Drills by event.outcome (${RUNNER_ACTIONS.drillEnd.action} events of kintsugi drill).`,
          source: 'events',
          w: 12,
          targets: [esQuery('events', { query: [...HOST, term('event.action', RUNNER_ACTIONS.drillEnd.action)], metrics: [metric.count()], buckets: [bucket.terms('event.outcome', '2', 3), bucket.time('3')] })],
        },
        { stacked: true, bars: true },
      ),
    )
    .withPanel(
      table({
        id: 8,
        title: 'Measured recovery times',
        description: `Recovery time measured by drills (event.duration of ${RUNNER_ACTIONS.drillEnd.action}), per host and instance: worst and median.`,
        source: 'events',
        unit: 'ns',
        w: 24,
        targets: [
          esQuery('events', {
            query: [...HOST, term('event.action', RUNNER_ACTIONS.drillEnd.action)],
            metrics: [metric.max('event.duration', '1'), metric.percentiles('event.duration', ['50'], '2')],
            buckets: [bucket.terms('host.name', '3', 100), bucket.terms('recovery.instance', '4', 10)],
          }),
        ],
      }),
    )
    .withRow(row(102, 'Runner metrics'))
    .withPanel(
      stat({
        id: 9,
        title: 'Restore jobs running',
        description: 'Restore jobs running now, as the restore runner counts them.',
        source: 'metrics',
        targets: [promQuery(`sum(${active})`, 'running')],
      }),
    )
    .withPanel(
      timeseries(
        {
          id: 10,
          title: 'Restore jobs ended by outcome',
          description: 'Restore jobs that ended per hour, by outcome (success, failure, cancelled), as the restore runner counts them.',
          source: 'metrics',
          targets: [promQuery(`sum by (outcome) (increase(${restores}[1h]))`, '{{outcome}}')],
        },
        { stacked: true, bars: true },
      ),
    )
    .withPanel(
      timeseries({
        id: 11,
        title: 'Restore job duration',
        description: 'Time from a restore job start to its end: median and 99th percentile.',
        source: 'metrics',
        unit: 's',
        w: 24,
        targets: [
          promQuery(`histogram_quantile(0.5, sum by (le) (rate(${restoreDuration}_bucket[$__rate_interval])))`, 'p50', 'A'),
          promQuery(`histogram_quantile(0.99, sum by (le) (rate(${restoreDuration}_bucket[$__rate_interval])))`, 'p99', 'B'),
        ],
      }),
    )
    .build();
}
