/**
 * The configuration file (YAML): one schema that gives the TypeScript type, the validator and the
 * documentation (pipeline/config/README.md). Unknown keys are errors, units are in the names.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ElasticsearchStoreKeys } from '../store/elasticsearch/config-schema.js';

const Source = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', description: 'unique name; part of each checkpoint key' }),
    format: Type.Union([Type.Literal('rlog'), Type.Literal('ops')], { description: 'rlog (3.2 plain text) or ops (4.2 JSON lines)' }),
    paths: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'globs of the files to follow, .gz generations included' }),
    host: Type.Optional(Type.String({ minLength: 1, description: 'host of 3.2 records outside a session' })),
    timeZone: Type.Optional(Type.String({ minLength: 1, description: 'IANA zone of 3.2 form A timestamps (default UTC)' })),
    osVersion: Type.Optional(Type.String({ minLength: 1, description: 'OS version of 3.2 records outside a session' })),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    data: Type.Optional(Type.String({ minLength: 1, description: 'data folder; --data and KINTSUGI_DATA win over it' })),
    api: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String({ minLength: 1, description: 'address to listen on (default 127.0.0.1)' })),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'port (default 8470; 0 picks a free one)' })),
        },
        { additionalProperties: false },
      ),
    ),
    followers: Type.Optional(
      Type.Object(
        {
          pollIntervalMs: Type.Optional(Type.Integer({ minimum: 10, description: 'how often files are checked (default 250)' })),
          idleFlushMs: Type.Optional(Type.Integer({ minimum: 0, description: 'a record waiting for continuation lines is ended after this quiet time (default 5000)' })),
          batchBytes: Type.Optional(Type.Integer({ minimum: 4096, description: 'bytes read from a file before they are committed (default 1048576)' })),
        },
        { additionalProperties: false },
      ),
    ),
    store: Type.Optional(
      Type.Object(
        {
          memoryLimit: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|KiB|MiB|GiB)$', description: "DuckDB's memory limit (default 256MB)" })),
          threads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: "DuckDB's worker threads (default: one per core)" })),
          ...ElasticsearchStoreKeys,
        },
        { additionalProperties: false },
      ),
    ),
    rules: Type.Optional(
      Type.Object(
        {
          files: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'rules files (YAML, pipeline/rules/README.md) evaluated beside the shipped defaults' })),
          defaults: Type.Optional(Type.Boolean({ description: 'evaluate the shipped default rules (default true)' })),
        },
        { additionalProperties: false },
      ),
    ),
    sources: Type.Array(Source, { description: 'the logs to follow' }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type SourceEntry = Static<typeof Source>;

export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 8470;
/** DuckDB's own default is 80% of the machine's memory; the embedded service should stay small. */
export const DEFAULT_STORE_MEMORY_LIMIT = '256MB';
