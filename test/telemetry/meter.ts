/**
 * The catalogue's instruments on a meter provider of a test's own (not the SDK's global one), and
 * a reader of what they hold: the value of a metric's data point with given attributes.
 */
import { metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import { makeInstruments, type Instruments } from '../../pipeline/telemetry/telemetry.js';

class TestReader extends sdkMetrics.MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface TestMeter {
  readonly instruments: Instruments;
  /** A counter's or gauge's value (a histogram's count) for the attributes; undefined when none. */
  value(name: string, attributes?: Readonly<Record<string, string | number>>): Promise<number | undefined>;
  shutdown(): Promise<void>;
}

export function testMeter(): TestMeter {
  const reader = new TestReader();
  const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
  return {
    instruments: makeInstruments(provider.getMeter('kintsugi-test')),
    value: async (name, attributes = {}) => {
      const { resourceMetrics } = await reader.collect();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const m of scope.metrics) {
          if (m.descriptor.name !== name) continue;
          for (const p of m.dataPoints) {
            const attrs = p.attributes as Record<string, unknown>;
            if (Object.keys(attributes).length !== Object.keys(attrs).length || !Object.entries(attributes).every(([k, v]) => attrs[k] === v)) continue;
            const v: unknown = p.value;
            return typeof v === 'number' ? v : (v as { count: number }).count;
          }
        }
      }
      return undefined;
    },
    shutdown: () => provider.shutdown(),
  };
}
