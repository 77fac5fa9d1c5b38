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

const RoleName = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('approver'), Type.Literal('admin')]);

/** Who may call the API (pipeline/access/README.md). Absent: tokens of the tokens file only. */
const AccessSchema = Type.Object(
  {
    anonymous: Type.Optional(Type.Literal('viewer', { description: 'role of requests without credentials; for a development machine only (default: none, a 401)' })),
    tokensFile: Type.Optional(Type.String({ minLength: 1, description: 'the API tokens file (default <data>/tokens.json)' })),
    throttle: Type.Optional(
      Type.Object(
        {
          freeFailures: Type.Optional(Type.Integer({ minimum: 0, description: 'failed logins from one address before it must wait (default 3)' })),
          baseDelayMs: Type.Optional(Type.Integer({ minimum: 1, description: 'first wait; doubles with each further failure (default 1000)' })),
          maxDelayMs: Type.Optional(Type.Integer({ minimum: 1, description: 'longest wait (default 300000)' })),
        },
        { additionalProperties: false },
      ),
    ),
    ldap: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^ldaps?://', description: 'ldap://host:port or ldaps://host:port' }),
          userDn: Type.String({ pattern: '\\{user\\}', description: 'the DN a login binds as, {user} standing for the login (escaped), e.g. uid={user},ou=people,dc=example,dc=org' }),
          groupBase: Type.String({ minLength: 1, description: 'where the groups are searched' }),
          groupFilter: Type.Optional(Type.String({ pattern: '\\{dn\\}', description: 'filter of the groups of a user, {dn} standing for its DN (default (&(objectClass=groupOfNames)(member={dn})))' })),
          roles: Type.Record(Type.String({ minLength: 1 }), RoleName, { description: 'group DN to role; a user gets the highest role of its groups, none without one' }),
          caFile: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate of the directory (ldaps:// or StartTLS)' })),
          startTls: Type.Optional(Type.Boolean({ description: 'upgrade ldap:// with StartTLS (default false)' })),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 100, description: 'connect and operation timeout (default 5000)' })),
          cacheSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'how long a successful login is remembered (default 60; 0 binds on every request)' })),
        },
        { additionalProperties: false },
      ),
    ),
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
          tls: Type.Optional(
            Type.Object(
              {
                cert: Type.String({ minLength: 1, description: 'PEM certificate chain file' }),
                key: Type.String({ minLength: 1, description: 'PEM private key file' }),
              },
              { additionalProperties: false, description: 'serve HTTPS instead of HTTP' },
            ),
          ),
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
    restores: Type.Optional(
      Type.Object(
        {
          policy: Type.Optional(Type.String({ minLength: 1, description: 'recovery policy file (restore-runner/recovery-policy/README.md); without one every restore needs an approval' })),
          instances: Type.Optional(Type.String({ minLength: 1, description: 'instance map file (restore-runner/instances/README.md); without one nothing is restored' })),
          rules: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'rules whose alerts become restore jobs (default [recurring-module-corruption])' })),
        },
        { additionalProperties: false },
      ),
    ),
    access: Type.Optional(AccessSchema),
    telemetry: Type.Optional(
      Type.Object(
        {
          otlp: Type.Optional(
            Type.Object(
              {
                endpoint: Type.String({ pattern: '^https?://', description: 'OTLP/HTTP base URL of a collector (http://collector:4318); traces and metrics are sent to /v1/traces and /v1/metrics' }),
                intervalMs: Type.Optional(Type.Integer({ minimum: 100, description: 'how often metrics are sent (default 15000)' })),
                headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: 'HTTP headers of every export (an API key)' })),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    kafka: Type.Optional(
      Type.Object(
        {
          brokers: Type.Array(Type.String({ minLength: 1, pattern: '^[^,\\s]+:[0-9]+$' }), { minItems: 1, description: 'bootstrap servers, host:port; --kafka BROKERS wins over them' }),
          clientId: Type.Optional(Type.String({ minLength: 1, description: 'Kafka client id (default kintsugi)' })),
          groupId: Type.Optional(Type.String({ minLength: 1, description: 'consumer group of the serve workers (default kintsugi-workers)' })),
          workers: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'consumers of the group inside one serve process (default 1)' })),
          topics: Type.Optional(
            Type.Object(
              {
                events: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$', description: 'normalized events and dead letters from forwarders (default kintsugi.events)' })),
                ops: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$', description: 'raw OPS 4.2 JSON records (default kintsugi.ops-4.2)' })),
                deadLetters: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$', description: 'dead letters the workers stored (default kintsugi.dead-letters)' })),
              },
              { additionalProperties: false },
            ),
          ),
          createTopics: Type.Optional(Type.Boolean({ description: 'create the topics at start when missing (default false); a refusal is a warning' })),
          partitions: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'partitions of each topic created (default 12)' })),
          replicationFactor: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: 'replicas of each topic created (default 3)' })),
          compression: Type.Optional(Type.Union([Type.Literal('gzip'), Type.Literal('none')], { description: 'compression of produced batches (default gzip)' })),
          sessionTimeoutMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'a worker silent this long leaves the group and its partitions move (default 30000)' })),
          concurrentPartitions: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'partitions a worker consumes at once, their batches stored in one write (default 8)' })),
        },
        { additionalProperties: false },
      ),
    ),
    siem: Type.Optional(
      Type.Object(
        {
          kafka: Type.Optional(
            Type.Object(
              {
                brokers: Type.Array(Type.String({ minLength: 1, pattern: '^[^,\\s]+:[0-9]+$' }), { minItems: 1, description: 'bootstrap servers of the SIEM topic, host:port (not changed by --kafka)' }),
                topic: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$', description: 'the topic serve publishes every stored event to, as ECS JSON' }),
                clientId: Type.Optional(Type.String({ minLength: 1, description: 'Kafka client id (default kintsugi-siem)' })),
                compression: Type.Optional(Type.Union([Type.Literal('gzip'), Type.Literal('none')], { description: 'compression of produced batches (default gzip)' })),
                pollIntervalMs: Type.Optional(Type.Integer({ minimum: 10, description: 'how often the store is asked for new events when caught up (default 500)' })),
              },
              { additionalProperties: false },
            ),
          ),
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
