/**
 * The span catalogue: every span Kintsugi makes itself, with its attributes (documented in
 * README.md). Spans of HTTP requests come from @fastify/otel, those of Kafka from the kafkajs
 * instrumentation.
 */
import { SpanStatusCode, trace, type Attributes, type Link, type Span } from '@opentelemetry/api';

export const SPANS = {
  ingestBatch: { name: 'kintsugi.ingest.batch', attributes: ['kintsugi.items', 'kintsugi.events', 'kintsugi.dead_letters'], producer: 'pipeline/store-sink.ts' },
  parse: { name: 'kintsugi.parse', attributes: ['kintsugi.source', 'kintsugi.format', 'kintsugi.bytes', 'kintsugi.items'], producer: 'collectors/follower.ts' },
  storeWrite: { name: 'kintsugi.store.write', attributes: ['kintsugi.events', 'kintsugi.dead_letters', 'kintsugi.inserted', 'kintsugi.duplicates'], producer: 'pipeline/store-sink.ts' },
  rulesEvaluate: { name: 'kintsugi.rules.evaluate', attributes: ['kintsugi.events', 'kintsugi.changes', 'kintsugi.correlation_ids'], producer: 'pipeline/alerts/evaluator.ts' },
  restoreJob: { name: 'kintsugi.restore.job', attributes: ['kintsugi.correlation_id', 'kintsugi.alert_id', 'host.name'], producer: 'restore-runner/jobs/runner.ts: one per run of a job, linked to the rule evaluation that raised its alert when this process saw it' },
} as const;

export type SpanKey = keyof typeof SPANS;

const tracer = () => trace.getTracer('kintsugi');

/** Runs `work` in an active span of the catalogue (with `links` to other spans); the span records a thrown error. */
export async function inSpan<T>(key: SpanKey, attributes: Attributes, work: (span: Span) => Promise<T>, links: readonly Link[] = []): Promise<T> {
  return tracer().startActiveSpan(SPANS[key].name, { attributes, links: [...links] }, async (span) => {
    try {
      return await work(span);
    } catch (err: unknown) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The synchronous form, for pure work such as parsing a chunk. */
export function inSpanSync<T>(key: SpanKey, attributes: Attributes, work: (span: Span) => T): T {
  return tracer().startActiveSpan(SPANS[key].name, { attributes }, (span) => {
    try {
      return work(span);
    } finally {
      span.end();
    }
  });
}
