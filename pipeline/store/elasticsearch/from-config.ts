/**
 * The Elasticsearch stores as the configuration describes them (`store.kind: elasticsearch`):
 * the checks TypeBox cannot express, the connection (credentials from the environment when the
 * file names a variable, the CA file read once), and the two stores opened on it.
 */
import { readFileSync } from 'node:fs';
import { ElasticsearchAlertStore } from '../../alerts/elasticsearch-store.js';
import type { Config } from '../../config/schema.js';
import { ENV } from '../../env.js';
import { PipelineError } from '../../errors.js';
import { createClient, type EsAuth, type EsConnection } from './cluster.js';
import { ElasticsearchEventStore } from './elasticsearch-store.js';
import type { IndexKind } from './index-template.js';
import { displayNode } from './requests.js';
import type { StoreSection } from './config-checks.js';

function secret(key: string, literal: string | undefined, variable: string | undefined): string {
  if (literal !== undefined) return literal;
  const value = variable === undefined ? undefined : ENV.variable(variable);
  if (value === undefined) throw new PipelineError('PIP_ERR_CONFIG_INVALID', 'configuration', `key "store.auth.${key}Env" names the environment variable ${variable ?? ''}, which is not set`);
  return value;
}

/** The connection settings, with secrets from the environment and the CA file read. */
export function connectionOf(store: StoreSection & { readonly node: string | readonly string[] }): EsConnection {
  let auth: EsAuth | undefined;
  const a = store.auth;
  if (a?.apiKey !== undefined || a?.apiKeyEnv !== undefined) auth = { apiKey: secret('apiKey', a.apiKey, a.apiKeyEnv) };
  else if (a?.username !== undefined) auth = { username: a.username, password: secret('password', a.password, a.passwordEnv) };
  let ca: string | undefined;
  if (store.caFile !== undefined) {
    try {
      ca = readFileSync(store.caFile, 'utf8');
    } catch (err: unknown) {
      throw new PipelineError('PIP_ERR_CONFIG_READ', store.caFile, `store.caFile: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { node: store.node, ...(auth !== undefined ? { auth } : {}), ...(ca !== undefined ? { ca } : {}) };
}

export interface ElasticsearchStores {
  readonly events: ElasticsearchEventStore;
  readonly alerts: ElasticsearchAlertStore;
}

function retention(store: StoreSection): Partial<Record<IndexKind, number>> {
  const r = store.retentionDays ?? {};
  return { ...(r.events !== undefined ? { events: r.events } : {}), ...(r.alerts !== undefined ? { alerts: r.alerts } : {}), ...(r.deadLetters !== undefined ? { 'dead-letters': r.deadLetters } : {}) };
}

type EsStoreSection = StoreSection & { readonly node: string | readonly string[] };

function commonOptions(store: EsStoreSection): { node: string; prefix?: string; retentionDays: Partial<Record<IndexKind, number>>; ownsClient: true } {
  return {
    node: displayNode(store.node),
    ...(store.indexPrefix !== undefined ? { prefix: store.indexPrefix } : {}),
    retentionDays: retention(store),
    ownsClient: true,
  };
}

/** The event store alone (`kintsugi query`): it reads, so it puts no templates unless asked. */
export async function openElasticsearchEventStore(store: EsStoreSection, options: { readonly setup?: boolean } = {}): Promise<ElasticsearchEventStore> {
  return ElasticsearchEventStore.open({
    ...commonOptions(store),
    client: createClient(connectionOf(store)),
    setup: options.setup ?? store.setup ?? true,
    bulk: { ...(store.bulkMaxInFlight !== undefined ? { maxInFlight: store.bulkMaxInFlight } : {}), ...(store.bulkMaxDocs !== undefined ? { maxDocs: store.bulkMaxDocs } : {}) },
  });
}

/** The alert store alone; the event store puts the templates (alerts included). */
export async function openElasticsearchAlertStore(store: EsStoreSection): Promise<ElasticsearchAlertStore> {
  return ElasticsearchAlertStore.open({ ...commonOptions(store), client: createClient(connectionOf(store)), setup: false });
}

/** Opens the event store (which puts the templates and policies) and the alert store, each with its own client. */
export async function openElasticsearchStores(store: EsStoreSection): Promise<ElasticsearchStores> {
  const events = await openElasticsearchEventStore(store);
  try {
    const alerts = await openElasticsearchAlertStore(store);
    return { events, alerts };
  } catch (err: unknown) {
    await events.close();
    throw err;
  }
}
