/**
 * The Grafana data sources the dashboards query, with stable uids (a provisioned data source is
 * matched by uid, so re-provisioning updates it instead of adding a second), and the provisioning
 * YAML that creates them. URLs come from environment variables that Grafana expands when it reads
 * the file (`$KINTSUGI_ELASTICSEARCH_URL`, `$KINTSUGI_PROMETHEUS_URL`): see README.md.
 */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { stringify } from 'yaml';
import { INDEX_ALIASES, type IndexKind } from '../pipeline/store/elasticsearch/index-template.js';

export const ELASTICSEARCH_URL_ENV = 'KINTSUGI_ELASTICSEARCH_URL';
export const PROMETHEUS_URL_ENV = 'KINTSUGI_PROMETHEUS_URL';

export interface ElasticsearchSource {
  readonly type: 'elasticsearch';
  readonly uid: string;
  readonly name: string;
  /** Which Kintsugi index (by its query alias) the source reads. */
  readonly kind: IndexKind;
}

export interface PrometheusSource {
  readonly type: 'prometheus';
  readonly uid: string;
  readonly name: string;
}

export const DATASOURCES = {
  events: { type: 'elasticsearch', uid: 'kintsugi-es-events', name: 'Kintsugi events', kind: 'events' },
  alerts: { type: 'elasticsearch', uid: 'kintsugi-es-alerts', name: 'Kintsugi alerts', kind: 'alerts' },
  deadLetters: { type: 'elasticsearch', uid: 'kintsugi-es-dead-letters', name: 'Kintsugi dead letters', kind: 'dead-letters' },
  metrics: { type: 'prometheus', uid: 'kintsugi-prometheus', name: 'Kintsugi metrics' },
} as const satisfies Record<string, ElasticsearchSource | PrometheusSource>;

export type DatasourceKey = keyof typeof DATASOURCES;

export function ref(key: DatasourceKey): DataSourceRef {
  const ds = DATASOURCES[key];
  return { type: ds.type, uid: ds.uid };
}

/** `provisioning/datasources/kintsugi.yaml`. */
export function datasourcesYaml(): string {
  const datasources: unknown[] = [];
  for (const ds of Object.values(DATASOURCES)) {
    if (ds.type === 'elasticsearch') {
      datasources.push({
        name: ds.name,
        uid: ds.uid,
        type: 'elasticsearch',
        access: 'proxy',
        url: `\${${ELASTICSEARCH_URL_ENV}}`,
        editable: false,
        jsonData: {
          index: INDEX_ALIASES[ds.kind],
          timeField: '@timestamp',
          ...(ds.kind === 'events' ? { logMessageField: 'message' } : ds.kind === 'dead-letters' ? { logMessageField: 'error.message' } : {}),
          maxConcurrentShardRequests: 5,
        },
      });
    } else {
      datasources.push({
        name: ds.name,
        uid: ds.uid,
        type: 'prometheus',
        access: 'proxy',
        url: `\${${PROMETHEUS_URL_ENV}}`,
        editable: false,
        jsonData: { httpMethod: 'POST', timeInterval: '15s' },
      });
    }
  }
  return `# Written by \`kintsugi dashboards build\`: Kintsugi's Grafana data sources (dashboards/README.md).\n${stringify({ apiVersion: 1, datasources }, { lineWidth: 0 })}`;
}

/** Where Grafana finds the dashboard JSON files unless `--dashboards-path` says otherwise. */
export const DEFAULT_DASHBOARDS_PATH = '/var/lib/grafana/dashboards/kintsugi';
export const FOLDER_UID = 'kintsugi';

/** `provisioning/dashboards/kintsugi.yaml`: a file provider on the folder of JSON files. */
export function dashboardsYaml(dashboardsPath: string = DEFAULT_DASHBOARDS_PATH): string {
  const doc = {
    apiVersion: 1,
    providers: [
      {
        name: 'kintsugi',
        orgId: 1,
        folder: 'Kintsugi',
        folderUid: FOLDER_UID,
        type: 'file',
        disableDeletion: false,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: dashboardsPath, foldersFromFilesStructure: false },
      },
    ],
  };
  return `# Written by \`kintsugi dashboards build\`: loads Kintsugi's dashboards from a folder (dashboards/README.md).\n${stringify(doc, { lineWidth: 0 })}`;
}
