/**
 * The dashboards as Grafana reads them (the rendered JSON): every Elasticsearch field a panel
 * queries is in its index template with a type the aggregation can use; every Prometheus metric
 * and label is in the metrics catalogue or the planned list; every event action is in the specs or
 * the planned list; output is deterministic and matches the golden files (UPDATE_GOLDEN=1 rewrites
 * them); and the JSON type-checks against the Grafana schema types the SDK ships.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildDashboards, renderFiles } from '../../dashboards/build.js';
import { DATASOURCES } from '../../dashboards/datasources.js';
import { METRICS } from '../../pipeline/telemetry/metrics.js';
import { EXPOSED, PLANNED_ACTION_NAMES, TARGET_LABELS, arr, esTargetProblems, isObj, luceneValues, promExprProblems, promNames, str, typeIn, type Obj } from './checks.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = join(REPO, 'test/fixtures/dashboards');


interface Target {
  readonly dashboard: string;
  readonly panel: Obj;
  readonly target: Obj;
  readonly where: string;
}

const files = renderFiles();
const dashboards = files.filter((f) => f.path.endsWith('.json')).map((f) => ({ path: f.path, json: JSON.parse(f.content) as unknown }));

function panelsOf(d: unknown): Obj[] {
  const out: Obj[] = [];
  const walk = (list: unknown): void => {
    for (const p of arr(list)) {
      if (!isObj(p)) continue;
      out.push(p);
      walk(p['panels']);
    }
  };
  if (isObj(d)) walk(d['panels']);
  return out;
}

const targets: Target[] = dashboards.flatMap(({ path, json }) =>
  panelsOf(json).flatMap((panel) =>
    arr(panel['targets'])
      .filter(isObj)
      .map((target) => ({ dashboard: path, panel, target, where: `${path} panel "${str(panel['title'])}" target ${str(target['refId'])}` })),
  ),
);

const byUid = new Map<string, (typeof DATASOURCES)[keyof typeof DATASOURCES]>(Object.values(DATASOURCES).map((d) => [d.uid, d]));

function sourceOf(t: Target): (typeof DATASOURCES)[keyof typeof DATASOURCES] {
  const ds = isObj(t.target['datasource']) ? t.target['datasource'] : t.panel['datasource'];
  const uid = isObj(ds) ? str(ds['uid']) : '';
  const found = byUid.get(uid);
  if (found === undefined) throw new Error(`${t.where}: data source uid ${JSON.stringify(uid)} is not one of dashboards/datasources.ts`);
  return found;
}

const esTargets = targets.filter((t) => sourceOf(t).type === 'elasticsearch');
const promTargets = targets.filter((t) => sourceOf(t).type === 'prometheus');

describe('Elasticsearch panels query fields of their index, with usable types', () => {
  it('there are Elasticsearch panels on every index', () => {
    expect(new Set(esTargets.map((t) => sourceOf(t).uid))).toEqual(new Set([DATASOURCES.events.uid, DATASOURCES.alerts.uid, DATASOURCES.deadLetters.uid]));
  });

  for (const t of esTargets) {
    it(t.where, () => {
      const ds = sourceOf(t);
      if (ds.type !== 'elasticsearch') throw new Error('unreachable');
      expect(esTargetProblems(ds.kind, t.target)).toEqual([]);
    });
  }
});

describe('Prometheus panels query metrics of the catalogue (or the planned list)', () => {
  it('the catalogue metrics each appear on a dashboard', () => {
    const used = new Set(promTargets.flatMap((t) => promNames(str(t.target['expr']))));
    for (const m of Object.values(METRICS)) expect([...used].some((n) => n.startsWith(m.name)), m.name).toBe(true);
  });

  for (const t of promTargets) {
    it(t.where, () => {
      expect(promExprProblems(str(t.target['expr']), str(t.panel['description']))).toEqual([]);
    });
  }

  it('variables: label_values of a known metric and label; terms of a keyword field', () => {
    for (const { path, json } of dashboards) {
      const vars = isObj(json) && isObj(json['templating']) ? arr(json['templating']['list']).filter(isObj) : [];
      for (const v of vars) {
        const ds = isObj(v['datasource']) ? byUid.get(str(v['datasource']['uid'])) : undefined;
        expect(ds, `${path} variable ${str(v['name'])}`).toBeDefined();
        const query = str(v['query']);
        if (ds?.type === 'prometheus') {
          const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(query);
          expect(m).not.toBeNull();
          const metric = EXPOSED.get(m?.[1] ?? '');
          expect(metric).toBeDefined();
          expect([...(metric?.labels ?? []), ...TARGET_LABELS]).toContain(m?.[2]);
        } else if (ds?.type === 'elasticsearch') {
          const q: unknown = JSON.parse(query);
          expect(isObj(q) && q['find']).toBe('terms');
          expect(typeIn(ds.kind, isObj(q) ? str(q['field']) : '')).toBe('keyword');
        }
      }
    }
  });

  it('panels on planned actions say so', () => {
    for (const t of esTargets) {
      const planned = luceneValues(str(t.target['query']), 'event.action').some((a) => PLANNED_ACTION_NAMES.has(a));
      if (planned) expect(str(t.panel['description']), t.where).toMatch(/planned/);
    }
  });
});

describe('the dashboards the issue lists', () => {
  const titles = (uid: string): string[] => panelsOf(buildDashboards().find((d) => d.uid === uid)?.dashboard).map((p) => str(p['title']));
  const variables = (uid: string): string[] => (buildDashboards().find((d) => d.uid === uid)?.dashboard.templating?.list ?? []).map((v) => v.name);

  it('stable uids, one file each', () => {
    expect(buildDashboards().map((d) => [d.uid, d.file])).toEqual([
      ['kintsugi-fleet-recovery-health', 'dashboards/kintsugi-fleet-recovery-health.json'],
      ['kintsugi-restore-operations', 'dashboards/kintsugi-restore-operations.json'],
      ['kintsugi-pipeline-health', 'dashboards/kintsugi-pipeline-health.json'],
    ]);
  });

  it('Fleet recovery health', () => {
    expect(titles('kintsugi-fleet-recovery-health')).toEqual(expect.arrayContaining(['Events by OS line and version', 'Failures over time', 'Missing and corrupt checks by module', 'Hosts and modules with recurring corruption', 'Fallback mode sessions', 'Open alerts by rule']));
    expect(variables('kintsugi-fleet-recovery-health')).toEqual(['host', 'os_line', 'instance', 'module']);
    const heat = panelsOf(buildDashboards()[0]?.dashboard).find((p) => p['title'] === 'Missing and corrupt checks by module');
    expect(heat?.['type']).toBe('heatmap');
  });

  it('Restore operations', () => {
    expect(titles('kintsugi-restore-operations')).toEqual(expect.arrayContaining(['Restores by outcome', 'Restore duration percentiles', 'Bytes written by restore mode', 'Pending approvals', 'Drill results', 'Measured recovery times', 'Prefetch hit rate']));
  });

  it('Pipeline health', () => {
    expect(titles('kintsugi-pipeline-health')).toEqual(expect.arrayContaining(['Ingest rate by dataset', 'Consumer lag', 'Dead letters by reason', 'Store write latency', 'Alert latency']));
  });

  it('panel ids are unique within each dashboard', () => {
    for (const { path, json } of dashboards) {
      const ids = panelsOf(json).map((p) => p['id']);
      expect(new Set(ids).size, path).toBe(ids.length);
      expect(ids.every((id) => typeof id === 'number')).toBe(true);
    }
  });
});

describe('stable output', () => {
  it('the same code gives byte-identical files', () => {
    expect(renderFiles()).toEqual(files);
  });

  // UPDATE_GOLDEN=1 npx vitest run test/dashboards  rewrites the golden files after a deliberate change.
  for (const f of files) {
    it(`golden: ${f.path}`, () => {
      const golden = join(GOLDEN, f.path);
      if (process.env['UPDATE_GOLDEN'] === '1') {
        mkdirSync(dirname(golden), { recursive: true });
        writeFileSync(golden, f.content);
      }
      expect(f.content).toBe(readFileSync(golden, 'utf8'));
    });
  }
});

describe('the JSON type-checks against the SDK schema types', () => {
  // The SDK ships TypeScript types, no runtime validator: the rendered JSON (not the builders'
  // objects) is written as object literals typed with the SDK's types and checked by tsc, so an
  // unknown key (excess property), a wrong type or a missing required field fails.
  it('dashboards, panel options and field config, and every query', () => {
    const dir = join(REPO, 'node_modules/.cache/kintsugi-dashboards-typecheck');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const panelModules: Readonly<Record<string, { module: string; fieldConfig: boolean }>> = {
      timeseries: { module: 'timeseries', fieldConfig: true },
      table: { module: 'table', fieldConfig: true },
      heatmap: { module: 'heatmap', fieldConfig: true },
      stat: { module: 'stat', fieldConfig: false },
      bargauge: { module: 'bargauge', fieldConfig: false },
    };
    const lines = [
      "import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';",
      "import type { Dataquery as PrometheusQuery } from '@grafana/grafana-foundation-sdk/prometheus';",
      "import type { dataquery as ElasticsearchQuery } from '@grafana/grafana-foundation-sdk/elasticsearch';",
      ...Object.values(panelModules).map((m) => `import type * as ${m.module} from '@grafana/grafana-foundation-sdk/${m.module}';`),
      'type Fn = (...args: never[]) => unknown;',
      // JSON of a type: methods dropped, string enums as their values, recursively.
      'type Plain<T> = 0 extends 1 & T ? T : T extends Fn ? never : T extends string ? `${T}` : T extends readonly (infer U)[] ? Plain<U>[] : T extends object ? { [K in keyof T as T[K] extends Fn ? never : K]: Plain<T[K]> } : T;',
    ];
    let n = 0;
    for (const { json } of dashboards) {
      lines.push(`export const d${n}: Plain<Dashboard> = ${JSON.stringify(json)};`);
      for (const p of panelsOf(json)) {
        const type = str(p['type']);
        if (type === 'row') continue;
        const mod = panelModules[type];
        expect(mod, `panel type ${type} has a module in this check`).toBeDefined();
        if (mod === undefined) continue;
        lines.push(`export const d${n}p${String(p['id'])}o: Plain<${mod.module}.Options> = ${JSON.stringify(p['options'])};`);
        const custom = isObj(p['fieldConfig']) && isObj(p['fieldConfig']['defaults']) ? p['fieldConfig']['defaults']['custom'] : undefined;
        if (mod.fieldConfig && custom !== undefined) lines.push(`export const d${n}p${String(p['id'])}c: Plain<${mod.module}.FieldConfig> = ${JSON.stringify(custom)};`);
      }
      n++;
    }
    targets.forEach((t, i) => {
      lines.push(`export const q${i}: Plain<${sourceOf(t).type === 'prometheus' ? 'PrometheusQuery' : 'ElasticsearchQuery'}> = ${JSON.stringify(t.target)};`);
    });
    writeFileSync(join(dir, 'check.ts'), `${lines.join('\n')}\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', skipLibCheck: true, types: [] }, files: ['check.ts'] }),
    );
    const r = spawnSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the checks catch bad queries', () => {
  const good = { timeField: '@timestamp', query: 'event.action:"check.file"', metrics: [{ type: 'count', id: '1' }], bucketAggs: [{ type: 'terms', id: '2', field: 'host.name' }] };

  it('a good query passes', () => {
    expect(esTargetProblems('events', good)).toEqual([]);
  });

  it('fields missing from the index, or of a type the aggregation cannot use', () => {
    expect(esTargetProblems('events', { ...good, bucketAggs: [{ type: 'terms', id: '2', field: 'host.nmae' }] })).toEqual(['terms on host.nmae: not in kintsugi-events']);
    expect(esTargetProblems('events', { ...good, bucketAggs: [{ type: 'terms', id: '2', field: 'message' }] })).toEqual(['terms on message: match_only_text in kintsugi-events, needs keyword']);
    expect(esTargetProblems('events', { ...good, bucketAggs: [{ type: 'date_histogram', id: '2', field: 'event.ingested' }, { type: 'date_histogram', id: '3', field: 'host.name' }] })).toEqual([
      'date_histogram on host.name: keyword in kintsugi-events, needs date',
    ]);
    expect(esTargetProblems('events', { ...good, metrics: [{ type: 'sum', id: '1', field: 'recovery.module' }] })).toEqual(['sum of recovery.module: keyword in kintsugi-events, needs long']);
    expect(esTargetProblems('dead-letters', { ...good, query: '' })).toEqual(['terms on host.name: not in kintsugi-dead-letters']);
  });

  it('the SDK default metric type, unknown query fields, actions and rules', () => {
    expect(esTargetProblems('events', { ...good, metrics: [{ type: 'unknown', id: '1' }] })[0]).toMatch(/^metric type "unknown"/);
    expect(esTargetProblems('events', { ...good, query: 'event.original:"x" AND recovery.modul:ext4' })).toEqual(['query field event.original: not indexed in kintsugi-events', 'query field recovery.modul: not in kintsugi-events']);
    expect(esTargetProblems('events', { ...good, query: 'event.action:("restore.end" OR "restore.finish")' })).toEqual(['event.action "restore.finish" is in no spec and not planned']);
    expect(esTargetProblems('alerts', { ...good, query: 'rule.id:"no-such-rule"' })).toEqual(['rule.id "no-such-rule" is not a shipped rule']);
  });

  it('Prometheus: unknown metrics, wrong suffixes, unknown labels, planned metrics unmarked', () => {
    expect(promExprProblems('sum by (dataset) (rate(kintsugi_events_stored_total[5m]))', '')).toEqual([]);
    expect(promExprProblems('rate(kintsugi_events_stored[5m])', '')).toEqual(['kintsugi_events_stored is neither in pipeline/telemetry/metrics.ts nor in dashboards/planned.ts']);
    expect(promExprProblems('rate(kintsugi_events_ingested_total[5m])', '')).toHaveLength(1);
    expect(promExprProblems('sum by (host) (rate(kintsugi_dead_letters_total[5m]))', '')).toEqual(['label host is not a label of kintsugi_dead_letters_total']);
    expect(promExprProblems('histogram_quantile(0.9, sum by (le) (rate(kintsugi_store_write_duration_seconds_bucket[5m])))', '')).toEqual([]);
    // Nothing is planned today: the check on a planned metric of its own.
    const withPlanned = new Map([...EXPOSED, ['kintsugi_future_things_total', { labels: [], planned: true }]]);
    expect(promExprProblems('sum(rate(kintsugi_future_things_total[5m]))', 'Future things', withPlanned)).toEqual(['a panel on a planned metric must say "planned" in its description']);
    expect(promExprProblems('sum(rate(kintsugi_future_things_total[5m]))', 'Future things (planned)', withPlanned)).toEqual([]);
  });
});
