/**
 * The checks of the `store` section that TypeBox cannot say (node required with `kind:
 * elasticsearch`, one way to authenticate), apart from the client, so that reading a
 * configuration does not load the Elasticsearch client.
 */
import type { Config } from '../../config/schema.js';

export type StoreSection = NonNullable<Config['store']>;

const ES_ONLY_KEYS = ['node', 'auth', 'caFile', 'indexPrefix', 'setup', 'retentionDays', 'bulkMaxInFlight', 'bulkMaxDocs'] as const;

export function isElasticsearch(store: StoreSection | undefined): store is StoreSection & { readonly kind: 'elasticsearch'; readonly node: string | readonly string[] } {
  return store?.kind === 'elasticsearch' && store.node !== undefined;
}

/** What is wrong with the store section beyond its schema, each naming the key; [] when nothing. */
export function elasticsearchConfigProblems(store: StoreSection | undefined): string[] {
  if (store === undefined) return [];
  const problems: string[] = [];
  if (store.kind !== 'elasticsearch') {
    for (const key of ES_ONLY_KEYS) if (store[key] !== undefined) problems.push(`key "store.${key}" is for kind elasticsearch: add "kind: elasticsearch" or remove it`);
    return problems;
  }
  if (store.node === undefined) problems.push('key "store.node" is required with kind elasticsearch (the cluster URL, e.g. https://es1:9200)');
  const a = store.auth;
  if (a !== undefined) {
    const password = a.password !== undefined || a.passwordEnv !== undefined;
    const apiKey = a.apiKey !== undefined || a.apiKeyEnv !== undefined;
    if (a.password !== undefined && a.passwordEnv !== undefined) problems.push('key "store.auth" gives both password and passwordEnv: keep one');
    if (a.apiKey !== undefined && a.apiKeyEnv !== undefined) problems.push('key "store.auth" gives both apiKey and apiKeyEnv: keep one');
    if (apiKey && (a.username !== undefined || password)) problems.push('key "store.auth" mixes an API key with a username or password: use one way to authenticate');
    if (!apiKey && (a.username === undefined || !password)) problems.push('key "store.auth" needs username with password (or passwordEnv), or apiKey (or apiKeyEnv)');
  }
  return problems;
}
