/**
 * The alert: an ECS document (`event.kind: alert`, `rule.*`, `event.severity`, host, related),
 * Kintsugi's own fields under `recovery.alert.*` as the event schema wants for custom fields.
 *
 * Status: `open` while the rule's condition holds, `resolved` once it stopped holding (the window
 * passed without a match, the missing event came, the restore ended). `withdrawn`: an alert that
 * late events showed never held as it was (a late `restore.end` inside the window, a late match
 * that moved the firing earlier); kept for the audit trail, `superseded_by` naming its successor
 * when one covers the same time. Open and resolved alerts are a pure function of the stored
 * events and the evaluation time; withdrawn ones record what was said before late events came.
 */
export const ALERT_STATUSES = ['open', 'resolved', 'withdrawn'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** ECS `event.severity` is a number; Elastic's detection rules use these. */
export const SEVERITY_SCORE: Readonly<Record<AlertSeverity, number>> = { low: 21, medium: 47, high: 73, critical: 99 };

export const ALERT_DATASET = 'kintsugi.alert';

export interface AlertInfo {
  readonly status: AlertStatus;
  readonly type: 'threshold' | 'absence' | 'sequence';
  readonly severity: AlertSeverity;
  /** The group's canonical text (`host=db-07,instance=default,module=ext4`). */
  readonly key: string;
  /** The group-by fields and their values. */
  readonly group: { readonly [field: string]: string };
  /** Matching events in the alert (absence: 0; sequence: starts not followed in time). */
  readonly count: number;
  /** Distinct values counted (threshold rules with `distinct`). */
  readonly distinct_count?: number;
  readonly distinct_field?: string;
  readonly threshold?: number;
  readonly window: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly fired_at: string;
  readonly resolved_at?: string;
  readonly withdrawn_at?: string;
  readonly superseded_by?: string;
  /** `event.id`s of the events behind the alert, in time order (the first 100). */
  readonly related_event_ids: readonly string[];
  readonly os_versions: readonly string[];
  readonly affected_components: readonly string[];
  readonly recommended_actions: readonly string[];
  readonly hold_automated_restores: boolean;
}

export interface Alert {
  /** When the alert fired (event time). */
  readonly '@timestamp': string;
  readonly event: {
    readonly kind: 'alert';
    readonly id: string;
    readonly dataset: typeof ALERT_DATASET;
    readonly category: readonly string[];
    readonly type: readonly string[];
    readonly action: string;
    readonly severity: number;
    /** first seen */
    readonly start: string;
    /** resolved at */
    readonly end?: string;
  };
  readonly rule: {
    readonly id: string;
    readonly name: string;
    readonly description: string;
    readonly category: string;
    readonly ruleset: 'kintsugi';
  };
  readonly host?: { readonly name: string; readonly os: { readonly version: string } };
  readonly related: { readonly hosts: readonly string[] };
  readonly recovery: {
    /** A correlation id of the alert's own, for the restore it may trigger. */
    readonly correlation_id: string;
    readonly instance?: string;
    readonly module?: string;
    readonly kernel?: string;
    readonly alert: AlertInfo;
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A document read back (from storage or the API) is checked before it is used as an Alert. */
export function isAlert(v: unknown): v is Alert {
  if (!isObject(v) || typeof v['@timestamp'] !== 'string') return false;
  const event = v['event'];
  const rule = v['rule'];
  const recovery = v['recovery'];
  if (!isObject(event) || event['kind'] !== 'alert' || typeof event['id'] !== 'string') return false;
  if (!isObject(rule) || typeof rule['id'] !== 'string') return false;
  if (!isObject(recovery) || typeof recovery['correlation_id'] !== 'string') return false;
  const alert = recovery['alert'];
  return isObject(alert) && typeof alert['status'] === 'string' && (ALERT_STATUSES as readonly string[]).includes(alert['status']) && typeof alert['key'] === 'string' && typeof alert['fired_at'] === 'string';
}
