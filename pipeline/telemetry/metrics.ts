/**
 * The metrics catalogue: every metric Kintsugi exports, in one place (documented in
 * pipeline/telemetry/README.md; a test scrapes /metrics and finds each one; dashboards import the
 * names from here). Names follow Prometheus conventions: `kintsugi_<what>_<unit>[_total]`.
 */
export const METRICS = {
  eventsStored: { name: 'kintsugi_events_stored', type: 'counter', unit: '', help: 'events stored (duplicates not counted), by dataset and outcome', labels: ['dataset', 'outcome'] },
  deadLetters: { name: 'kintsugi_dead_letters', type: 'counter', unit: '', help: 'dead letters stored, by reason', labels: ['reason'] },
  followerLag: { name: 'kintsugi_follower_lag_bytes', type: 'gauge', unit: '', help: 'bytes the followed files hold past what is committed, by source', labels: ['source'] },
  storeWrite: { name: 'kintsugi_store_write_duration_seconds', type: 'histogram', unit: 's', help: 'time of one committed store write (a batch)', labels: [] },
} as const;

export type MetricKey = keyof typeof METRICS;

/** How a metric's name appears in the Prometheus text format (counters get `_total`). */
export function exposedName(key: MetricKey): string {
  const m = METRICS[key];
  return m.type === 'counter' ? `${m.name}_total` : m.name;
}
