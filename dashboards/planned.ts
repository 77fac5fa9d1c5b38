/**
 * PLANNED — what the dashboards show before anything produces it. Each entry is a metric or an
 * event action that a named, not yet built part of Kintsugi will export (none today: every
 * metric the dashboards query is exported). Also the event actions the dashboards query: of the
 * specs (SPEC_ACTIONS) and of the restore runner's own vocabulary (RUNNER_ACTIONS). Panels that use
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

export const PLANNED_METRICS = {} as const satisfies Record<string, PlannedMetric>;

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

/** Event actions (`event.action`) that no spec names and nothing emits yet. Their fields are in the schema. */
export const PLANNED_ACTIONS = {} as const satisfies Record<string, PlannedAction>;

export interface RunnerAction {
  readonly action: string;
  /** The fields the dashboards query (test/restore-runner/drill checks each is in the parsed event). */
  readonly fields: readonly string[];
  readonly meaning: string;
  readonly emitter: string;
}

/** Event actions the restore runner emits that no spec names (its own OPS 4.2 v2 vocabulary). */
export const RUNNER_ACTIONS = {
  drillEnd: {
    action: 'drill.end',
    fields: ['event.outcome', 'event.duration', 'host.name', 'recovery.instance', 'recovery.snapshot'],
    meaning: 'a drill (restore of the newest snapshot into a scratch place, verified) ended; event.duration is the measured recovery time',
    emitter: 'restore-runner/drill/drill.ts (`kintsugi drill`)',
  },
} as const satisfies Record<string, RunnerAction>;

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
