/**
 * Small helpers over the SDK's query builders: Elasticsearch queries on one of Kintsugi's indices
 * (by data source key, so a panel cannot query a field of the wrong index unnoticed: the test
 * resolves the data source uid to its index template), and Prometheus queries.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as es from '@grafana/grafana-foundation-sdk/elasticsearch';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import { ref, type DatasourceKey } from './datasources.js';

/**
 * The SDK (v0.0.21) builds every Elasticsearch metric aggregation with `type: "unknown"` (its
 * schema types the field as `unknown` and its defaults fill in that word), which Grafana cannot
 * run. This wraps a metric builder and sets the type Grafana's query editor writes.
 */
type EsMetricType = 'count' | 'sum' | 'max' | 'avg' | 'percentiles' | 'cardinality';

class TypedMetric implements cog.Builder<es.MetricAggregation> {
  constructor(
    private readonly inner: cog.Builder<es.MetricAggregation>,
    private readonly type: EsMetricType,
  ) {}

  build(): es.MetricAggregation {
    const built = this.inner.build();
    return { ...built, type: this.type };
  }
}

export const metric = {
  count: (id = '1'): cog.Builder<es.MetricAggregation> => new TypedMetric(new es.CountBuilder().id(id), 'count'),
  sum: (field: string, id = '1'): cog.Builder<es.MetricAggregation> => new TypedMetric(new es.SumBuilder().id(id).field(field), 'sum'),
  max: (field: string, id = '1'): cog.Builder<es.MetricAggregation> => new TypedMetric(new es.MaxBuilder().id(id).field(field), 'max'),
  percentiles: (field: string, percents: readonly string[], id = '1'): cog.Builder<es.MetricAggregation> =>
    new TypedMetric(new es.PercentilesBuilder().id(id).field(field).settings({ percents: [...percents] }), 'percentiles'),
  uniqueCount: (field: string, id = '1'): cog.Builder<es.MetricAggregation> => new TypedMetric(new es.UniqueCountBuilder().id(id).field(field), 'cardinality'),
};

export const bucket = {
  terms: (field: string, id: string, size = 10): cog.Builder<es.BucketAggregation> =>
    new es.TermsBuilder().id(id).field(field).settings({ size: String(size), order: es.TermsOrder.Desc, orderBy: '_count', min_doc_count: '1' }),
  time: (id: string, interval = 'auto'): cog.Builder<es.BucketAggregation> =>
    new es.DateHistogramBuilder().id(id).field('@timestamp').settings({ interval, min_doc_count: '0', trimEdges: '0' }),
};

export interface EsQuery {
  readonly refId?: string;
  /** Lucene; `AND`-joined parts, empty ones dropped. */
  readonly query: readonly string[];
  readonly metrics: readonly cog.Builder<es.MetricAggregation>[];
  readonly buckets: readonly cog.Builder<es.BucketAggregation>[];
  readonly alias?: string;
}

export function esQuery(source: Exclude<DatasourceKey, 'metrics'>, q: EsQuery): cog.Builder<cog.Dataquery> {
  const b = new es.DataqueryBuilder()
    .refId(q.refId ?? 'A')
    .datasource(ref(source))
    .query(q.query.filter((p) => p !== '').join(' AND '))
    .timeField('@timestamp')
    .metrics([...q.metrics])
    .bucketAggs([...q.buckets]);
  return q.alias !== undefined ? b.alias(q.alias) : b;
}

export function promQuery(expr: string, legend: string, refId = 'A'): cog.Builder<cog.Dataquery> {
  return new prometheus.DataqueryBuilder().refId(refId).datasource(ref('metrics')).expr(expr).legendFormat(legend).range();
}

/** A Lucene term on a keyword field, the value quoted. */
export function term(field: string, value: string): string {
  return `${field}:"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** A Lucene filter on a dashboard variable (Grafana formats multi-values as `("a" OR "b")`). */
export function byVariable(field: string, variable: string): string {
  return `${field}:$${variable}`;
}
