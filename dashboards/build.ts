/**
 * All of Kintsugi's Grafana files as (relative path, content) pairs — a pure function, so the
 * same code gives byte-identical files — and the writer the CLI uses.
 *
 *   dashboards/<uid>.json                     one per dashboard, for the file provider
 *   provisioning/datasources/kintsugi.yaml   Elasticsearch (events, alerts, dead letters), Prometheus
 *   provisioning/dashboards/kintsugi.yaml    the file provider, pointing at the dashboards folder
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboardsYaml, datasourcesYaml, DEFAULT_DASHBOARDS_PATH } from './datasources.js';
import { fleetRecoveryHealth } from './fleet-recovery-health.js';
import { pipelineHealth } from './pipeline-health.js';
import { restoreOperations } from './restore-operations.js';

export interface BuiltDashboard {
  readonly uid: string;
  readonly file: string;
  readonly dashboard: Dashboard;
}

export function buildDashboards(): readonly BuiltDashboard[] {
  return [fleetRecoveryHealth(), restoreOperations(), pipelineHealth()].map((dashboard) => {
    const uid = dashboard.uid;
    if (uid === undefined) throw new Error(`dashboard ${dashboard.title} has no uid`);
    return { uid, file: `dashboards/${uid}.json`, dashboard };
  });
}

export interface BuildOptions {
  /** The folder Grafana reads the dashboard JSON from (the file provider's `options.path`). */
  readonly dashboardsPath?: string;
}

export interface OutputFile {
  readonly path: string;
  readonly content: string;
}

export function renderFiles(options: BuildOptions = {}): readonly OutputFile[] {
  const files: OutputFile[] = buildDashboards().map((d) => ({ path: d.file, content: `${JSON.stringify(d.dashboard, null, 2)}\n` }));
  files.push({ path: 'provisioning/datasources/kintsugi.yaml', content: datasourcesYaml() });
  files.push({ path: 'provisioning/dashboards/kintsugi.yaml', content: dashboardsYaml(options.dashboardsPath ?? DEFAULT_DASHBOARDS_PATH) });
  return files;
}

/** Writes every file under `outDir` (each replaced whole: a temporary file, then a rename). */
export function writeFiles(outDir: string, options: BuildOptions = {}): readonly string[] {
  const written: string[] = [];
  for (const f of renderFiles(options)) {
    const target = join(outDir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, f.content);
    renameSync(tmp, target);
    written.push(target);
  }
  return written;
}
