/**
 * OpenTelemetry for Kintsugi's own health: the Node SDK with a Prometheus reader, served by the
 * API at /metrics (no second port), traces of Kintsugi's own work (spans.ts), of HTTP requests
 * (@fastify/otel) and of Kafka (kafkajs instrumentation), and OTLP export of both when
 * configured. `kintsugi serve` starts it before it loads anything else, so that the
 * instrumentations see the modules they patch. The instruments are made from the catalogue.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import FastifyOtel from '@fastify/otel';
import { metrics, type Counter, type Meter, type Histogram, type ObservableGauge, type UpDownCounter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { metrics as sdkMetrics, NodeSDK, tracing } from '@opentelemetry/sdk-node';
import { METRICS } from './metrics.js';

export interface Instruments {
  readonly eventsStored: Counter;
  readonly deadLetters: Counter;
  readonly storeWrite: Histogram;
  readonly followerLag: ObservableGauge;
  /** The Kafka workers: observes each partition's lag, with {topic, partition}. */
  readonly kafkaConsumerLag: ObservableGauge;
  readonly alertChanges: Counter;
  /** Seconds from an event's commit to the alert change it made being stored, with {rule}. */
  readonly alertLatency: Histogram;
  readonly authDenied: Counter;
  /** For the restore runner: add 1 with {outcome} when a job ends. */
  readonly restores: Counter;
  /** For the restore runner: seconds from start to end, with {outcome}. */
  readonly restoreDuration: Histogram;
  /** For the restore runner: +1 when a job starts, -1 when it ends. */
  readonly restoreJobsActive: UpDownCounter;
  /** For the restore runner: bytes a restore wrote, with {mode}. */
  readonly restoreWrittenBytes: Counter;
  /** For the restore runner: observes the jobs awaiting an approval. */
  readonly restoreApprovalsPending: ObservableGauge;
  /** For the restore runner: each blob a tree restore read, with {result: hit|miss}. */
  readonly prefetchChunkReads: Counter;
}

export interface OtlpOptions {
  /** The collector's OTLP/HTTP base URL (`http://collector:4318`); /v1/traces and /v1/metrics are added. */
  readonly endpoint: string;
  readonly intervalMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TelemetryOptions {
  readonly otlp?: OtlpOptions;
  /** More span processors (tests: an in-memory exporter). Without any and without OTLP, no spans are recorded. */
  readonly spanProcessors?: readonly tracing.SpanProcessor[];
}

export interface Telemetry {
  readonly instruments: Instruments;
  /** Answers a Prometheus scrape. */
  serveMetrics(request: IncomingMessage, response: ServerResponse): void;
  /** Sends what is pending to the OTLP collector (and the other span processors). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function startTelemetry(options: TelemetryOptions = {}): Telemetry {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const otlp = options.otlp;
  const base = otlp?.endpoint.replace(/\/+$/, '');
  const headers = otlp?.headers !== undefined ? { ...otlp.headers } : undefined;
  const metricReaders: sdkMetrics.IMetricReader[] = [exporter];
  const spanProcessors: tracing.SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (base !== undefined) {
    metricReaders.push(
      new sdkMetrics.PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics`, ...(headers !== undefined ? { headers } : {}) }),
        exportIntervalMillis: otlp?.intervalMs ?? 15_000,
      }),
    );
    spanProcessors.push(new tracing.BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, ...(headers !== undefined ? { headers } : {}) })));
  }
  const sdk = new NodeSDK({
    serviceName: 'kintsugi',
    metricReaders,
    // Explicit lists: the SDK would otherwise read OTEL_* and export to localhost:4318 by default.
    spanProcessors,
    logRecordProcessors: [],
    instrumentations: [new FastifyOtel.FastifyOtelInstrumentation({ registerOnInitialization: true }), new KafkaJsInstrumentation()],
  });
  sdk.start();
  const instruments = makeInstruments(metrics.getMeter('kintsugi'));
  return {
    instruments,
    serveMetrics: (request, response) => exporter.getMetricsRequestHandler(request, response),
    flush: async () => {
      await Promise.all([...spanProcessors.map((p) => p.forceFlush()), ...metricReaders.slice(1).map((r) => r.forceFlush())]);
    },
    shutdown: () => sdk.shutdown(),
  };
}

/** The catalogue's instruments on a meter (the SDK's global one; tests: a meter provider of their own). */
export function makeInstruments(meter: Meter): Instruments {
  const counter = (k: 'eventsStored' | 'deadLetters' | 'alertChanges' | 'authDenied' | 'restores' | 'restoreWrittenBytes' | 'prefetchChunkReads') => meter.createCounter(METRICS[k].name, { description: METRICS[k].help });
  const histogram = (k: 'storeWrite' | 'restoreDuration') => meter.createHistogram(METRICS[k].name, { description: METRICS[k].help, unit: METRICS[k].unit });
  return {
    eventsStored: counter('eventsStored'),
    deadLetters: counter('deadLetters'),
    storeWrite: histogram('storeWrite'),
    followerLag: meter.createObservableGauge(METRICS.followerLag.name, { description: METRICS.followerLag.help }),
    kafkaConsumerLag: meter.createObservableGauge(METRICS.kafkaConsumerLag.name, { description: METRICS.kafkaConsumerLag.help }),
    alertChanges: counter('alertChanges'),
    // Seconds around the 1 s target: the SDK's default buckets (0, 5, 10, 25...) would put every one in the first.
    alertLatency: meter.createHistogram(METRICS.alertLatency.name, { description: METRICS.alertLatency.help, unit: METRICS.alertLatency.unit, advice: { explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] } }),
    authDenied: counter('authDenied'),
    restores: counter('restores'),
    restoreDuration: histogram('restoreDuration'),
    restoreJobsActive: meter.createUpDownCounter(METRICS.restoreJobsActive.name, { description: METRICS.restoreJobsActive.help }),
    restoreWrittenBytes: counter('restoreWrittenBytes'),
    prefetchChunkReads: counter('prefetchChunkReads'),
    restoreApprovalsPending: meter.createObservableGauge(METRICS.restoreApprovalsPending.name, { description: METRICS.restoreApprovalsPending.help }),
  };
}
