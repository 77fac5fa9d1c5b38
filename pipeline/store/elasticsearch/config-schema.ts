/**
 * The `store` keys of the configuration that choose and reach Elasticsearch (merged into the
 * `store` object of pipeline/config/schema.ts; documented in pipeline/config/README.md and in
 * README.md beside this file). Rules TypeBox cannot say (node required with `kind:
 * elasticsearch`, one way to authenticate) are checked in config-checks.ts.
 */
import { Type } from '@sinclair/typebox';
import { INDEX_PREFIX_PATTERN } from './index-template.js';

const Retention = Type.Integer({ minimum: 8, description: 'days an index is kept after its creation (ILM delete phase)' });

export const ElasticsearchStoreKeys = {
  kind: Type.Optional(Type.Union([Type.Literal('duckdb'), Type.Literal('elasticsearch')], { description: 'duckdb (embedded, the default) or elasticsearch' })),
  node: Type.Optional(
    Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
      description: 'Elasticsearch URL, or several (https://es1:9200); required with kind elasticsearch',
    }),
  ),
  auth: Type.Optional(
    Type.Object(
      {
        username: Type.Optional(Type.String({ minLength: 1 })),
        password: Type.Optional(Type.String({ minLength: 1, description: 'prefer passwordEnv: the file then holds no secret' })),
        passwordEnv: Type.Optional(Type.String({ minLength: 1, description: 'name of the environment variable holding the password' })),
        apiKey: Type.Optional(Type.String({ minLength: 1, description: 'an API key (base64 id:key); prefer apiKeyEnv' })),
        apiKeyEnv: Type.Optional(Type.String({ minLength: 1, description: 'name of the environment variable holding the API key' })),
      },
      { additionalProperties: false },
    ),
  ),
  caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of the CA that signed the cluster certificate' })),
  indexPrefix: Type.Optional(Type.String({ pattern: INDEX_PREFIX_PATTERN, description: 'prefix of every index, alias, template and ILM policy (default kintsugi)' })),
  setup: Type.Optional(Type.Boolean({ description: 'put the ILM policies and index templates at start (default true)' })),
  retentionDays: Type.Optional(
    Type.Object({ events: Type.Optional(Retention), alerts: Type.Optional(Retention), deadLetters: Type.Optional(Retention) }, { additionalProperties: false }),
  ),
  bulkMaxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'bulk requests in flight at once (default 2)' })),
  bulkMaxDocs: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'documents per bulk request (default 2000)' })),
};
