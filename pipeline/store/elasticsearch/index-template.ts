/**
 * The Elasticsearch mappings of Kintsugi's three document kinds — events, alerts and dead
 * letters — as pure data: one field table per kind, typed against the document's TypeScript type
 * (parsers/event.ts, pipeline/alerts/alert.ts), so that a field added to the type without a
 * mapping, or a mapping for a field the type does not have, fails to compile. Everything else
 * (the `mappings` object, the composable index templates, the ILM policies, the setup requests,
 * the index names) is generated from those tables. No I/O here: the Elasticsearch store applies
 * `setupRequests()`; `test/dashboards/index-template.test.ts` checks the ECS types against
 * `@elastic/ecs`. Layout and rationale: README.md beside this file.
 *
 * Indices: `kintsugi-<kind>-<date of @timestamp>` (events daily, alerts and dead letters
 * monthly), each carrying the query alias `kintsugi-<kind>`. Dated by *event time* rather than
 * rolled over by size, so that a document's index is a pure function of the document: writing the
 * same `event.id` again (a restart, a Kafka redelivery, an alert update) always lands in the same
 * index, where `_id` makes it a harmless conflict or an in-place update.
 */
import type { Alert } from '../../alerts/alert.js';
import type { DeadLetter, RecoveryEvent } from '../../../parsers/event.js';

// ---------------------------------------------------------------------------------------------
// The field tables
// ---------------------------------------------------------------------------------------------

/** The Elasticsearch field types Kintsugi maps (ECS uses these names). */
export type EsFieldType = 'keyword' | 'date' | 'long' | 'boolean' | 'match_only_text' | 'flattened';

export interface FieldSpec {
  readonly type: EsFieldType;
  /**
   * `ecs`: an ECS field, mapped with its ECS type (a test compares with `@elastic/ecs`);
   * `custom`: Kintsugi's own (`recovery.*`), or one of the documented exceptions
   * (`log.offset` as Filebeat writes it, the dead letter's `kafka.*` origin and `replayed.*`).
   */
  readonly source: 'ecs' | 'custom';
  /** ECS `event.original`: kept in `_source`, neither indexed nor aggregatable. */
  readonly stored?: 'source-only';
  /** A `.text` multi-field of type `match_only_text`, as ECS defines for this field. */
  readonly text?: true;
  /**
   * A `.wildcard` multi-field of type `wildcard`: the whole value as one string, so that the
   * store's free-text filter (a case-insensitive substring, across word boundaries and
   * punctuation) is one `wildcard` query. Not ECS; an addition ECS allows (multi-fields).
   */
  readonly substring?: true;
}

type Leaf = string | number | boolean | readonly unknown[];

/** Objects mapped whole (one `flattened` field), not property by property. */
type Opaque = 'details' | 'group';

/**
 * Every leaf field of a document type as a dotted path (`host.os.version`), optional or not.
 * Arrays are leaves (Elasticsearch has no array type); `Opaque` keys stop the descent.
 */
export type FieldPaths<T, P extends string = ''> = {
  [K in keyof T & string]-?: K extends Opaque
    ? `${P}${K}`
    : NonNullable<T[K]> extends Leaf
      ? `${P}${K}`
      : FieldPaths<NonNullable<T[K]>, `${P}${K}.`>;
}[keyof T & string];

export type FieldTable<T> = { readonly [P in FieldPaths<T>]: FieldSpec };

const ecs = (type: EsFieldType, extra: Omit<FieldSpec, 'type' | 'source'> = {}): FieldSpec => ({ type, source: 'ecs', ...extra });
const custom = (type: EsFieldType): FieldSpec => ({ type, source: 'custom' });

/** The normalized event (../shared/spec/event-schema.md, `RecoveryEvent`). */
export const EVENT_FIELDS: FieldTable<RecoveryEvent> = {
  '@timestamp': ecs('date'),
  'event.id': ecs('keyword'),
  'event.kind': ecs('keyword'),
  'event.category': ecs('keyword'),
  'event.type': ecs('keyword'),
  'event.action': ecs('keyword'),
  'event.outcome': ecs('keyword'),
  'event.code': ecs('keyword'),
  'event.dataset': ecs('keyword'),
  'event.duration': ecs('long'),
  'event.original': ecs('keyword', { stored: 'source-only' }),
  'event.ingested': ecs('date'),
  'host.name': ecs('keyword'),
  'host.id': ecs('keyword'),
  'host.os.version': ecs('keyword'),
  'file.path': ecs('keyword', { text: true, substring: true }),
  'file.size': ecs('long'),
  'error.code': ecs('keyword'),
  'error.message': ecs('match_only_text'),
  message: ecs('match_only_text', { substring: true }),
  'user.name': ecs('keyword', { text: true }),
  'log.file.path': ecs('keyword'),
  'log.offset': custom('long'),
  'recovery.os_line': custom('keyword'),
  'recovery.status': custom('keyword'),
  'recovery.mode': custom('keyword'),
  'recovery.session': custom('keyword'),
  'recovery.correlation_id': custom('keyword'),
  'recovery.parent_id': custom('keyword'),
  'recovery.instance': custom('keyword'),
  'recovery.module': custom('keyword'),
  'recovery.kernel': custom('keyword'),
  'recovery.snapshot': custom('keyword'),
  'recovery.restore.mode': custom('keyword'),
  'recovery.restore.target': custom('keyword'),
  'recovery.details': custom('flattened'),
};

/** The alert document (pipeline/alerts/alert.ts, built by pipeline/rules/alert-doc.ts). */
export const ALERT_FIELDS: FieldTable<Alert> = {
  '@timestamp': ecs('date'),
  'event.kind': ecs('keyword'),
  'event.id': ecs('keyword'),
  'event.dataset': ecs('keyword'),
  'event.category': ecs('keyword'),
  'event.type': ecs('keyword'),
  'event.action': ecs('keyword'),
  'event.severity': ecs('long'),
  'event.start': ecs('date'),
  'event.end': ecs('date'),
  'rule.id': ecs('keyword'),
  'rule.name': ecs('keyword'),
  'rule.description': ecs('keyword'),
  'rule.category': ecs('keyword'),
  'rule.ruleset': ecs('keyword'),
  'host.name': ecs('keyword'),
  'host.os.version': ecs('keyword'),
  'related.hosts': ecs('keyword'),
  'recovery.correlation_id': custom('keyword'),
  'recovery.instance': custom('keyword'),
  'recovery.module': custom('keyword'),
  'recovery.kernel': custom('keyword'),
  'recovery.alert.status': custom('keyword'),
  'recovery.alert.type': custom('keyword'),
  'recovery.alert.severity': custom('keyword'),
  'recovery.alert.key': custom('keyword'),
  'recovery.alert.group': custom('flattened'),
  'recovery.alert.count': custom('long'),
  'recovery.alert.distinct_count': custom('long'),
  'recovery.alert.distinct_field': custom('keyword'),
  'recovery.alert.threshold': custom('long'),
  'recovery.alert.window': custom('keyword'),
  'recovery.alert.first_seen': custom('date'),
  'recovery.alert.last_seen': custom('date'),
  'recovery.alert.fired_at': custom('date'),
  'recovery.alert.resolved_at': custom('date'),
  'recovery.alert.withdrawn_at': custom('date'),
  'recovery.alert.superseded_by': custom('keyword'),
  'recovery.alert.related_event_ids': custom('keyword'),
  'recovery.alert.os_versions': custom('keyword'),
  'recovery.alert.affected_components': custom('keyword'),
  'recovery.alert.recommended_actions': custom('keyword'),
  'recovery.alert.hold_automated_restores': custom('boolean'),
};

/** The dead letter (parsers/event.ts, `DeadLetter`). */
export const DEAD_LETTER_FIELDS: FieldTable<DeadLetter> = {
  '@timestamp': ecs('date'),
  'event.id': ecs('keyword'),
  'event.kind': ecs('keyword'),
  'event.dataset': ecs('keyword'),
  'event.original': ecs('keyword', { stored: 'source-only' }),
  'event.ingested': ecs('date'),
  'log.file.path': ecs('keyword'),
  'log.offset': custom('long'),
  'kafka.topic': custom('keyword'),
  'kafka.partition': custom('long'),
  // A Kafka offset is a 64-bit integer sent as a string; kept as the string it is.
  'kafka.offset': custom('keyword'),
  'error.type': ecs('keyword'),
  'error.message': ecs('match_only_text'),
  'replayed.at': custom('date'),
  'replayed.event_id': custom('keyword'),
  'recovery.rlog_session.id': custom('keyword'),
  'recovery.rlog_session.host': custom('keyword'),
  'recovery.rlog_session.version': custom('keyword'),
};

/**
 * Fields the store adds to a document beside its own (not part of the document's type): removed
 * from every document the store reads back (`_source.excludes`).
 */
export const STORE_FIELDS: { readonly [K in IndexKind]: Readonly<Record<string, FieldSpec>> } = {
  // The write order (EventStore.eventsSince): Elasticsearch has no global sequence of its own.
  events: { 'kintsugi.seq': custom('long') },
  alerts: {},
  'dead-letters': {},
};

/** The top-level object that holds the store's own fields. */
export const STORE_FIELDS_OBJECT = 'kintsugi';

/** Fields outside `recovery.*` that are not ECS, each with its reason (event-schema.md). */
export const NON_ECS_EXCEPTIONS: Readonly<Record<string, string>> = {
  'log.offset': 'written as Filebeat writes it (event-schema.md)',
  'kafka.topic': 'dead letter origin when not read from a file (parsers/event.ts KafkaOrigin)',
  'kafka.partition': 'dead letter origin when not read from a file',
  'kafka.offset': 'dead letter origin when not read from a file',
  'replayed.at': 'set on a dead letter by a replay (pipeline/store)',
  'replayed.event_id': 'set on a dead letter by a replay (pipeline/store)',
};

// ---------------------------------------------------------------------------------------------
// Index kinds, names, lifecycle
// ---------------------------------------------------------------------------------------------

export const INDEX_KINDS = ['events', 'alerts', 'dead-letters'] as const;
export type IndexKind = (typeof INDEX_KINDS)[number];

/** The prefix of every index, alias, template and policy name unless the configuration sets one. */
export const DEFAULT_INDEX_PREFIX = 'kintsugi';

/**
 * What an index prefix may be: lower case (Elasticsearch refuses upper-case index names), not
 * starting with `_`, `-` or `+`, no `*` (it would make the template's pattern match others).
 */
export const INDEX_PREFIX_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,99}$';

/** The query alias of a kind under a prefix: `<prefix>-events`, `<prefix>-alerts`, `<prefix>-dead-letters`. */
export function aliasName(kind: IndexKind, prefix: string = DEFAULT_INDEX_PREFIX): string {
  return `${prefix}-${kind}`;
}

/** The query alias of each kind (default prefix): what dashboards, SIEMs and the API search. */
export const INDEX_ALIASES: Readonly<Record<IndexKind, string>> = {
  events: aliasName('events'),
  alerts: aliasName('alerts'),
  'dead-letters': aliasName('dead-letters'),
};

export const FIELD_TABLES: { readonly [K in IndexKind]: Readonly<Record<string, FieldSpec>> } = {
  events: EVENT_FIELDS,
  alerts: ALERT_FIELDS,
  'dead-letters': DEAD_LETTER_FIELDS,
};

/** Events are many (an index a day); alerts and dead letters few (an index a month). */
export const INDEX_PERIOD: Readonly<Record<IndexKind, 'day' | 'month'>> = {
  events: 'day',
  alerts: 'month',
  'dead-letters': 'month',
};

/** Days an index is kept after its creation, by default. */
export const DEFAULT_RETENTION_DAYS: Readonly<Record<IndexKind, number>> = {
  events: 400,
  alerts: 730,
  'dead-letters': 90,
};

/** Bumped whenever a mapping changes; written as the template `version` and in `_meta`. */
export const TEMPLATE_VERSION = 2;

/**
 * The concrete index of a document: `kintsugi-events-2026.03.14`, `kintsugi-alerts-2026.03`,
 * from its `@timestamp` (ISO 8601; its UTC date). A pure function of the document, so a rewrite
 * of the same `_id` always reaches the index that holds it.
 */
export function indexName(kind: IndexKind, timestamp: string, prefix: string = DEFAULT_INDEX_PREFIX): string {
  const ms = Date.parse(timestamp);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO 8601 timestamp: ${JSON.stringify(timestamp)}`);
  const d = new Date(ms);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, '0');
  const alias = aliasName(kind, prefix);
  return INDEX_PERIOD[kind] === 'day' ? `${alias}-${y}.${m}.${day}` : `${alias}-${y}.${m}`;
}

/** The pattern the kind's template applies to. */
export function indexPattern(kind: IndexKind, prefix: string = DEFAULT_INDEX_PREFIX): string {
  return `${aliasName(kind, prefix)}-*`;
}

// ---------------------------------------------------------------------------------------------
// Generated Elasticsearch objects
// ---------------------------------------------------------------------------------------------

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
export type JsonMap = { readonly [key: string]: Json };

function leafMapping(spec: FieldSpec): JsonMap {
  const fields: { [key: string]: Json } = {};
  if (spec.text === true) fields['text'] = { type: 'match_only_text' };
  if (spec.substring === true) fields['wildcard'] = { type: 'wildcard' };
  const leaf = typedLeaf(spec);
  return Object.keys(fields).length === 0 ? leaf : { ...leaf, fields };
}

function typedLeaf(spec: FieldSpec): JsonMap {
  switch (spec.type) {
    case 'keyword':
      if (spec.stored === 'source-only') return { type: 'keyword', index: false, doc_values: false };
      return { type: 'keyword', ignore_above: 1024 };
    case 'date':
      return { type: 'date' };
    case 'long':
      return { type: 'long' };
    case 'boolean':
      return { type: 'boolean' };
    case 'match_only_text':
      return { type: 'match_only_text' };
    case 'flattened':
      return { type: 'flattened' };
  }
}

interface MappingNode {
  leaf?: JsonMap;
  readonly children: Map<string, MappingNode>;
}

function toProperties(node: MappingNode): JsonMap {
  const out: { [key: string]: Json } = {};
  for (const [name, child] of node.children) out[name] = child.leaf ?? { properties: toProperties(child) };
  return out;
}

/** `{ properties }` of nested objects from dotted paths, keys in sorted order (stable output). */
export function mappingProperties(table: Readonly<Record<string, FieldSpec>>): JsonMap {
  const root: MappingNode = { children: new Map() };
  for (const [path, spec] of Object.entries(table).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let node = root;
    for (const part of path === '@timestamp' ? [path] : path.split('.')) {
      let child = node.children.get(part);
      if (child === undefined) {
        child = { children: new Map() };
        node.children.set(part, child);
      }
      if (node.leaf !== undefined) throw new Error(`field ${path} is under a field mapped as a leaf`);
      node = child;
    }
    if (node.children.size > 0) throw new Error(`field ${path} is mapped both as a leaf and an object`);
    node.leaf = leafMapping(spec);
  }
  return toProperties(root);
}

/** The `mappings` of a kind. Unknown fields stay in `_source` but are not indexed. */
export function mappings(kind: IndexKind): JsonMap {
  return {
    dynamic: false,
    date_detection: false,
    _meta: { managed_by: 'kintsugi', kind, version: TEMPLATE_VERSION },
    properties: mappingProperties({ ...FIELD_TABLES[kind], ...STORE_FIELDS[kind] }),
  };
}

/** The ILM policy `kintsugi-<kind>`: hot, warm after 7 days, deleted after the retention. */
export function ilmPolicy(kind: IndexKind, retentionDays: number = DEFAULT_RETENTION_DAYS[kind]): JsonMap {
  if (!Number.isInteger(retentionDays) || retentionDays < 8) throw new RangeError(`retentionDays must be an integer of at least 8, got ${retentionDays}`);
  return {
    policy: {
      _meta: { managed_by: 'kintsugi', kind, version: TEMPLATE_VERSION },
      phases: {
        hot: { min_age: '0ms', actions: { set_priority: { priority: 100 } } },
        // No read-only, shrink or rollover: late events (a host offline for a week, an import of
        // old files) are still written into their day's index.
        warm: { min_age: '7d', actions: { set_priority: { priority: 50 } } },
        delete: { min_age: `${retentionDays}d`, actions: { delete: {} } },
      },
    },
  };
}

/** The name of the kind's index template, ILM policy and optional `@custom` component. */
export function templateName(kind: IndexKind, prefix: string = DEFAULT_INDEX_PREFIX): string {
  return aliasName(kind, prefix);
}

/**
 * The composable index template of a kind (`PUT _index_template/<name>`): settings, mappings and
 * the query alias, composed with an optional `<name>@custom` component template that operators
 * may create for their own settings (replicas, tiers) without editing this one.
 */
export function indexTemplate(kind: IndexKind, prefix: string = DEFAULT_INDEX_PREFIX): JsonMap {
  const name = templateName(kind, prefix);
  return {
    index_patterns: [indexPattern(kind, prefix)],
    priority: 200,
    version: TEMPLATE_VERSION,
    composed_of: [`${name}@custom`],
    ignore_missing_component_templates: [`${name}@custom`],
    _meta: { managed_by: 'kintsugi', kind, description: `Kintsugi ${kind} (ECS), see pipeline/store/elasticsearch/README.md` },
    template: {
      settings: {
        'index.lifecycle.name': name,
        'index.number_of_shards': 1,
        'index.refresh_interval': '5s',
        'index.codec': 'best_compression',
      },
      mappings: mappings(kind),
      aliases: { [aliasName(kind, prefix)]: {} },
    },
  };
}

export interface SetupRequest {
  readonly method: 'PUT';
  readonly path: string;
  readonly body: JsonMap;
}

/** What the store applies at start, in order: the ILM policies, then the index templates. */
export function setupRequests(retentionDays: Partial<Record<IndexKind, number>> = {}, prefix: string = DEFAULT_INDEX_PREFIX): readonly SetupRequest[] {
  const out: SetupRequest[] = [];
  for (const kind of INDEX_KINDS) out.push({ method: 'PUT', path: `/_ilm/policy/${templateName(kind, prefix)}`, body: ilmPolicy(kind, retentionDays[kind]) });
  for (const kind of INDEX_KINDS) out.push({ method: 'PUT', path: `/_index_template/${templateName(kind, prefix)}`, body: indexTemplate(kind, prefix) });
  return out;
}

/** The mapped type of a dotted field in a kind's index, or undefined when it is not mapped. */
export function fieldType(kind: IndexKind, path: string): FieldSpec | undefined {
  return FIELD_TABLES[kind][path];
}
