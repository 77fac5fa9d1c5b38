/**
 * OpenTelemetry for Kintsugi's own health: the Node SDK with a Prometheus reader, served by the
 * API at /metrics (no second port). The instruments are made from the catalogue (metrics.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics, type Counter, type Histogram, type ObservableGauge } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { METRICS } from './metrics.js';

export interface Instruments {
  readonly eventsStored: Counter;
  readonly deadLetters: Counter;
  readonly storeWrite: Histogram;
  readonly followerLag: ObservableGauge;
}

export interface Telemetry {
  readonly instruments: Instruments;
  /** Answers a Prometheus scrape. */
  serveMetrics(request: IncomingMessage, response: ServerResponse): void;
  shutdown(): Promise<void>;
}

export function startTelemetry(): Telemetry {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const sdk = new NodeSDK({ metricReaders: [exporter], instrumentations: [], serviceName: 'kintsugi' });
  sdk.start();
  const meter = metrics.getMeter('kintsugi');
  const instruments: Instruments = {
    eventsStored: meter.createCounter(METRICS.eventsStored.name, { description: METRICS.eventsStored.help }),
    deadLetters: meter.createCounter(METRICS.deadLetters.name, { description: METRICS.deadLetters.help }),
    storeWrite: meter.createHistogram(METRICS.storeWrite.name, { description: METRICS.storeWrite.help, unit: METRICS.storeWrite.unit }),
    followerLag: meter.createObservableGauge(METRICS.followerLag.name, { description: METRICS.followerLag.help }),
  };
  return {
    instruments,
    serveMetrics: (request, response) => exporter.getMetricsRequestHandler(request, response),
    shutdown: () => sdk.shutdown(),
  };
}
