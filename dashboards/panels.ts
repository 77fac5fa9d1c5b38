/** Panel and variable shapes shared by the three dashboards, built with the SDK's builders. */
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapPanel } from '@grafana/grafana-foundation-sdk/heatmap';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { ref, type DatasourceKey } from './datasources.js';

export interface PanelSpec {
  /** Stable within its dashboard: Grafana keys panel links and state by it. */
  readonly id: number;
  readonly title: string;
  readonly description: string;
  readonly source: DatasourceKey;
  readonly targets: readonly cog.Builder<cog.Dataquery>[];
  readonly unit?: string;
  /** Grid width (of 24) and height. */
  readonly w?: number;
  readonly h?: number;
}

/** The builder calls every panel shares, in one order (the JSON's key order depends on it). */
interface PanelBase<B> {
  id(id: number): B;
  title(title: string): B;
  description(description: string): B;
  datasource(datasource: ReturnType<typeof ref>): B;
  targets(targets: cog.Builder<cog.Dataquery>[]): B;
  span(span: number): B;
  height(height: number): B;
}

function placed<B extends PanelBase<B>>(b: B, p: PanelSpec, w: number, h: number): B {
  return b.id(p.id).title(p.title).description(p.description).datasource(ref(p.source)).targets([...p.targets]).span(p.w ?? w).height(p.h ?? h);
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true);
}

export function timeseries(p: PanelSpec, style: { readonly stacked?: boolean; readonly bars?: boolean } = {}): cog.Builder<dashboard.Panel> {
  const b = placed(new TimeseriesPanel(), p, 12, 8)
    .legend(legend())
    .drawStyle(style.bars === true ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
    .fillOpacity(style.bars === true || style.stacked === true ? 80 : 10)
    .stacking(new common.StackingConfigBuilder().mode(style.stacked === true ? common.StackingMode.Normal : common.StackingMode.None));
  return p.unit !== undefined ? b.unit(p.unit) : b;
}

export function stat(p: PanelSpec): cog.Builder<dashboard.Panel> {
  const b = placed(new StatPanel(), p, 6, 6)
    .graphMode(common.BigValueGraphMode.Area)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  return p.unit !== undefined ? b.unit(p.unit) : b;
}

export function table(p: PanelSpec): cog.Builder<dashboard.Panel> {
  const b = placed(new TablePanel(), p, 12, 8)
    .showHeader(true);
  return p.unit !== undefined ? b.unit(p.unit) : b;
}

export function bargauge(p: PanelSpec): cog.Builder<dashboard.Panel> {
  const b = placed(new BarGaugePanel(), p, 12, 8)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(true));
  return p.unit !== undefined ? b.unit(p.unit) : b;
}

/** A heat map of series that are already buckets (one series per row, e.g. per module). */
export function heatmap(p: PanelSpec): cog.Builder<dashboard.Panel> {
  return placed(new HeatmapPanel(), p, 24, 10)
    .calculate(false)
    .showValue(common.VisibilityMode.Auto)
    .cellGap(1);
}

/** A query variable of several values, "All" by default, refreshed with the time range. */
function multiValueVariable(name: string, label: string, source: DatasourceKey, query: string, allValue: string): cog.Builder<dashboard.VariableModel> {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(ref(source))
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue(allValue)
    .current({ selected: true, text: 'All', value: '$__all' })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/** A multi-value variable over the values of a keyword field of an Elasticsearch index. */
export function termsVariable(name: string, label: string, source: Exclude<DatasourceKey, 'metrics'>, field: string): cog.Builder<dashboard.VariableModel> {
  const query = JSON.stringify({ find: 'terms', field, size: 500 });
  return multiValueVariable(name, label, source, query, '*');
}

/** A variable over the values of a Prometheus label of a metric. */
export function labelVariable(name: string, label: string, metric: string, promLabel: string): cog.Builder<dashboard.VariableModel> {
  const query = `label_values(${metric}, ${promLabel})`;
  return multiValueVariable(name, label, 'metrics', query, '.*');
}

export function row(id: number, title: string): cog.Builder<dashboard.RowPanel> {
  return new dashboard.RowBuilder(title).id(id);
}

/** Settings every Kintsugi dashboard shares. */
export function kintsugiDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['kintsugi', 'generated'])
    .editable()
    .timezone('utc')
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .version(1)
    // Grafana's own annotations (and alert state changes), as every dashboard it creates has.
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .name('Annotations & Alerts')
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)')
        .type('dashboard')
        .builtIn(1),
    );
}
