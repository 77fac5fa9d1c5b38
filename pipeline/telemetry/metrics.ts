/**
 * The metrics catalogue: every metric Kintsugi exports, in one place (documented in
 * pipeline/telemetry/README.md; a test scrapes /metrics and finds each one; dashboards import the
 * names from here). Names follow Prometheus conventions: `kintsugi_<what>_<unit>[_total]`.
 *
 * `producer` says which part records it. The restore entries are the restore runner's: it records
 * them through `Telemetry.instruments` (telemetry.ts) as its jobs start and end; the instruments
 * exist from the start so that the runner only calls them.
 */
export const METRICS = {
  eventsStored: { name: 'kintsugi_events_stored', type: 'counter', unit: '', help: 'events stored (duplicates not counted), by dataset and outcome', labels: ['dataset', 'outcome'], producer: 'pipeline/store-sink.ts' },
  deadLetters: { name: 'kintsugi_dead_letters', type: 'counter', unit: '', help: 'dead letters stored, by reason', labels: ['reason'], producer: 'pipeline/store-sink.ts' },
  followerLag: { name: 'kintsugi_follower_lag_bytes', type: 'gauge', unit: '', help: 'bytes the followed files hold past what is committed, by source', labels: ['source'], producer: 'pipeline/service.ts (collectors/follower.ts)' },
  kafkaConsumerLag: { name: 'kintsugi_kafka_consumer_lag_messages', type: 'gauge', unit: '', help: 'messages in a partition past the consumer group committed offset (as the last fetched batch knew it), by topic and partition', labels: ['topic', 'partition'], producer: 'pipeline/transport/kafka-workers.ts (consumer-lag.ts)' },
  storeWrite: { name: 'kintsugi_store_write_duration_seconds', type: 'histogram', unit: 's', help: 'time of one committed store write (a batch)', labels: [], producer: 'pipeline/store-sink.ts' },
  alertChanges: { name: 'kintsugi_alert_changes', type: 'counter', unit: '', help: 'alerts that fired, changed, resolved, reopened or were withdrawn, by rule and change', labels: ['rule', 'change'], producer: 'pipeline/service.ts (alerts/evaluator.ts)' },
  alertLatency: { name: 'kintsugi_alert_latency_seconds', type: 'histogram', unit: 's', help: 'time from the commit of the event that fired or updated an alert to the alert being stored, by rule', labels: ['rule'], producer: 'pipeline/service.ts (alerts/evaluator.ts)' },
  authDenied: { name: 'kintsugi_auth_denied', type: 'counter', unit: '', help: 'API requests refused (each is an auth.denied event), by reason code', labels: ['reason'], producer: 'pipeline/access/guard.ts' },
  restores: { name: 'kintsugi_restores', type: 'counter', unit: '', help: 'restore jobs that ended, by outcome (success, failure, cancelled)', labels: ['outcome'], producer: 'restore-runner (job runner)' },
  restoreDuration: { name: 'kintsugi_restore_duration_seconds', type: 'histogram', unit: 's', help: 'time from a restore job start to its end, by outcome', labels: ['outcome'], producer: 'restore-runner (job runner)' },
  restoreJobsActive: { name: 'kintsugi_restore_jobs_active', type: 'gauge', unit: '', help: 'restore jobs running now', labels: [], producer: 'restore-runner (job runner)' },
  restoreWrittenBytes: { name: 'kintsugi_restore_written_bytes', type: 'counter', unit: '', help: 'bytes a restore wrote to its target, by restore mode (full, delta, files)', labels: ['mode'], producer: 'restore-runner (job runner)' },
  prefetchChunkReads: { name: 'kintsugi_prefetch_chunk_reads', type: 'counter', unit: '', help: 'blobs (file chunks, tree blobs) a restore job of a tree instance read, by where from: result="hit" (the warm prefetch cache) or "miss" (the repository)', labels: ['result'], producer: 'restore-runner (job runner, prefetch/cache.ts countedReads)' },
  restoreApprovalsPending: { name: 'kintsugi_restore_approvals_pending', type: 'gauge', unit: '', help: 'restore jobs waiting for an approval the recovery policy requires', labels: [], producer: 'restore-runner (job runner)' },
} as const;

export type MetricKey = keyof typeof METRICS;

/** How a metric's name appears in the Prometheus text format (counters get `_total`). */
export function exposedName(key: MetricKey): string {
  const m = METRICS[key];
  return m.type === 'counter' ? `${m.name}_total` : m.name;
}
