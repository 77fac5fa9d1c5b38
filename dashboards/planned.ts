/**
 * PLANNED — what the dashboards show before anything produces it. Each entry is a metric or an
 * event action that a named, not yet built part of Kintsugi will export (the restore runner of
 * issue 5, the Kafka transport of issue 6, the rules engine's latency histogram). Panels that use
 * one say so in their description ("planned: ..."), and test/dashboards checks that every metric
 * and action a panel queries is either exported today (pipeline/telemetry/metrics.ts, the event
 * schema) or listed here. When a part ships one of these, move it to its real catalogue and delete
 * it here: the test then checks it against the catalogue instead.
 */

export interface PlannedMetric {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly unit: string;
  readonly help: string;
  readonly labels: readonly string[];
  /** The part that will export it. */
  readonly exporter: string;
}

export const PLANNED_METRICS = {
  prefetchChunkReads: {
    name: 'kintsugi_prefetch_chunk_reads',
    type: 'counter',
    unit: '',
    help: 'chunks a restore read, by where from: result="hit" (the warm prefetch cache) or "miss" (the repository)',
    labels: ['result'],
    exporter: 'restore-runner (issue 5: prefetch)',
  },
} as const satisfies Record<string, PlannedMetric>;

export type PlannedMetricKey = keyof typeof PLANNED_METRICS;

/** The Prometheus name of a planned metric, as `exposedName` gives for the catalogue. */
export function plannedExposedName(key: PlannedMetricKey): string {
  const m: PlannedMetric = PLANNED_METRICS[key];
  return m.type === 'counter' ? `${m.name}_total` : m.name;
}

export interface PlannedAction {
  readonly action: string;
  readonly fields: readonly string[];
  readonly meaning: string;
  readonly exporter: string;
}

/** Event actions (`event.action`) that no spec names yet. Their fields are in the schema. */
export const PLANNED_ACTIONS = {
  drillEnd: {
    action: 'drill.end',
    fields: ['event.outcome', 'event.duration', 'host.name', 'recovery.instance', 'recovery.snapshot'],
    meaning: 'a drill (restore of the newest snapshot into a scratch place, verified) ended; event.duration is the measured recovery time',
    exporter: 'restore-runner (issue 5: `kintsugi drill`)',
  },
} as const satisfies Record<string, PlannedAction>;

/**
 * Event actions the dashboards query that the specs define (../shared/spec/ops-4.2.md
 * "Vocabulary", event-schema.md "3.2 kind to action").
 */
export const SPEC_ACTIONS = {
  checkFile: 'check.file',
  restoreEnd: 'restore.end',
  restoreFile: 'restore.file',
  restoreBlock: 'restore.block',
  sessionStart: 'session.start',
} as const;
