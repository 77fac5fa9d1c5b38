/**
 * Checks of one rendered query against what Kintsugi stores and exports, each returning the
 * problems it found (empty: none), so that the tests can show they catch bad queries too.
 */
import { PLANNED_ACTIONS, PLANNED_METRICS, RUNNER_ACTIONS, SPEC_ACTIONS, type PlannedMetric } from '../../dashboards/planned.js';
import { loadDefaultRules } from '../../pipeline/rules/defaults.js';
import { FIELD_TABLES, INDEX_ALIASES, type EsFieldType, type IndexKind } from '../../pipeline/store/elasticsearch/index-template.js';
import { METRICS } from '../../pipeline/telemetry/metrics.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function typeIn(kind: IndexKind, field: string): EsFieldType | 'source-only' | undefined {
  const spec = FIELD_TABLES[kind][field];
  if (spec === undefined) return undefined;
  return spec.stored === 'source-only' ? 'source-only' : spec.type;
}

/** Which field types an aggregation can use (Grafana's names for them). */
const BUCKET_TYPES: Readonly<Record<string, readonly EsFieldType[]>> = { terms: ['keyword'], date_histogram: ['date'], histogram: ['long'] };
const METRIC_TYPES: Readonly<Record<string, readonly EsFieldType[] | null>> = {
  count: null,
  sum: ['long'],
  avg: ['long'],
  max: ['long'],
  min: ['long'],
  percentiles: ['long'],
  cardinality: ['keyword', 'long'],
};

/** `field:` names in a Lucene query. */
export function luceneFields(q: string): string[] {
  return [...q.matchAll(/(?:^|[\s(])([A-Za-z@_][\w.@]*):/g)].map((m) => m[1] ?? '');
}

/** The quoted values a Lucene query gives a field: `f:"a"`, `f:("a" OR "b")`. */
export function luceneValues(q: string, field: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`${field.replace(/\./g, '\\.')}:(\\([^)]*\\)|"[^"]*")`, 'g');
  for (const m of q.matchAll(re)) for (const v of (m[1] ?? '').matchAll(/"([^"]*)"/g)) out.push(v[1] ?? '');
  return out;
}

export const KNOWN_ACTIONS: ReadonlySet<string> = new Set<string>([...Object.values(SPEC_ACTIONS), ...Object.values(RUNNER_ACTIONS).map((a) => a.action), ...Object.values<{ readonly action: string }>(PLANNED_ACTIONS).map((a) => a.action)]);
export const PLANNED_ACTION_NAMES: ReadonlySet<string> = new Set<string>(Object.values<{ readonly action: string }>(PLANNED_ACTIONS).map((a) => a.action));

/** Problems of an Elasticsearch query (Grafana's `dataquery` JSON) on a Kintsugi index. */
export function esTargetProblems(kind: IndexKind, target: Obj): string[] {
  const problems: string[] = [];
  const index = INDEX_ALIASES[kind];
  if (typeIn(kind, str(target['timeField'])) !== 'date') problems.push(`timeField ${str(target['timeField'])} is not a date in ${index}`);
  const metrics = arr(target['metrics']).filter(isObj);
  if (metrics.length === 0) problems.push('no metric');
  for (const b of arr(target['bucketAggs']).filter(isObj)) {
    const type = str(b['type']);
    const field = str(b['field']);
    const allowed = BUCKET_TYPES[type];
    const actual = typeIn(kind, field);
    if (allowed === undefined) problems.push(`bucket aggregation ${type} is not checked`);
    else if (actual === undefined) problems.push(`${type} on ${field}: not in ${index}`);
    else if (!allowed.some((t) => t === actual)) problems.push(`${type} on ${field}: ${actual} in ${index}, needs ${allowed.join(' or ')}`);
  }
  for (const m of metrics) {
    const type = str(m['type']);
    const field = str(m['field']);
    const allowed = METRIC_TYPES[type];
    const actual = typeIn(kind, field);
    if (allowed === undefined) problems.push(`metric type ${JSON.stringify(type)} is not one Grafana runs (the SDK writes "unknown" unless dashboards/queries.ts sets it)`);
    else if (allowed === null) continue;
    else if (actual === undefined) problems.push(`${type} of ${field}: not in ${index}`);
    else if (!allowed.some((t) => t === actual)) problems.push(`${type} of ${field}: ${actual} in ${index}, needs ${allowed.join(' or ')}`);
  }
  const query = str(target['query']);
  for (const field of luceneFields(query)) {
    const type = typeIn(kind, field);
    if (type === undefined) problems.push(`query field ${field}: not in ${index}`);
    else if (type === 'source-only') problems.push(`query field ${field}: not indexed in ${index}`);
  }
  for (const action of luceneValues(query, 'event.action')) if (!KNOWN_ACTIONS.has(action)) problems.push(`event.action "${action}" is in no spec and not planned`);
  const rules = new Set(loadDefaultRules().map((r) => r.id));
  for (const rule of luceneValues(query, 'rule.id')) if (!rules.has(rule)) problems.push(`rule.id "${rule}" is not a shipped rule`);
  return problems;
}

/** Prometheus names the catalogue and the planned list expose, with their labels. */
export interface Exposed {
  readonly labels: readonly string[];
  readonly planned: boolean;
}
export const EXPOSED: ReadonlyMap<string, Exposed> = (() => {
  const out = new Map<string, Exposed>();
  // PLANNED_METRICS may be empty (then its values type as never): both lists are read as metrics.
  const lists: ReadonlyArray<readonly [readonly Pick<PlannedMetric, 'name' | 'type' | 'labels'>[], boolean]> = [
    [Object.values(METRICS), false],
    [Object.values(PLANNED_METRICS), true],
  ];
  for (const [list, planned] of lists) {
    for (const m of list) {
      const names = m.type === 'counter' ? [`${m.name}_total`] : m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name];
      for (const n of names) out.set(n, { labels: [...m.labels, ...(n.endsWith('_bucket') ? ['le'] : [])], planned });
    }
  }
  return out;
})();

/** Labels Prometheus adds to every scraped series. */
export const TARGET_LABELS: readonly string[] = ['instance', 'job'];

export function promNames(expr: string): string[] {
  return [...expr.matchAll(/\bkintsugi_[a-z0-9_]+/g)].map((m) => m[0]);
}

function promLabels(expr: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) out.push(...(m[1] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) for (const l of (m[1] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) out.push(l[1] ?? '');
  return out;
}

/** Problems of a PromQL expression; a panel using a planned metric must say "planned". `exposed`: tests of the check. */
export function promExprProblems(expr: string, panelDescription: string, exposed: ReadonlyMap<string, Exposed> = EXPOSED): string[] {
  const problems: string[] = [];
  const names = promNames(expr);
  if (names.length === 0) problems.push(`no Kintsugi metric in ${expr}`);
  const labels = new Set<string>(TARGET_LABELS);
  let planned = false;
  for (const n of names) {
    const m = exposed.get(n);
    if (m === undefined) {
      problems.push(`${n} is neither in pipeline/telemetry/metrics.ts nor in dashboards/planned.ts`);
      continue;
    }
    for (const l of m.labels) labels.add(l);
    planned ||= m.planned;
  }
  for (const l of promLabels(expr)) if (!labels.has(l)) problems.push(`label ${l} is not a label of ${names.join(', ')}`);
  if (planned && !/planned/.test(panelDescription)) problems.push('a panel on a planned metric must say "planned" in its description');
  return problems;
}
