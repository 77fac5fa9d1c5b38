/**
 * The Elasticsearch index templates (pipeline/store/elasticsearch/index-template.ts): ECS types as
 * `@elastic/ecs` defines them, custom fields only where the schema allows, names and lifecycle.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_FIELDS,
  EVENT_FIELDS,
  FIELD_TABLES,
  INDEX_ALIASES,
  INDEX_KINDS,
  NON_ECS_EXCEPTIONS,
  ilmPolicy,
  indexName,
  indexTemplate,
  mappings,
  setupRequests,
  STORE_FIELDS,
  STORE_FIELDS_OBJECT,
  type FieldSpec,
} from '../../pipeline/store/elasticsearch/index-template.js';

interface EcsField {
  readonly type: string;
  readonly index?: boolean;
  readonly doc_values?: boolean;
  readonly multi_fields?: readonly { readonly name: string; readonly type: string }[];
}

const require = createRequire(import.meta.url);
const ecsPackage: unknown = require('@elastic/ecs');

function ecsField(path: string): EcsField | undefined {
  if (typeof ecsPackage !== 'object' || ecsPackage === null || !('EcsFlat' in ecsPackage)) throw new Error('@elastic/ecs has no EcsFlat');
  const flat: unknown = ecsPackage.EcsFlat;
  if (typeof flat !== 'object' || flat === null) throw new Error('EcsFlat is not an object');
  const entry: unknown = (flat as Record<string, unknown>)[path];
  if (entry === undefined) return undefined;
  if (typeof entry !== 'object' || entry === null || !('type' in entry) || typeof entry.type !== 'string') throw new Error(`EcsFlat[${path}] has no type`);
  return entry as EcsField;
}

/** A mapping leaf by dotted path in generated `properties`. */
function leaf(kind: (typeof INDEX_KINDS)[number], path: string): Record<string, unknown> | undefined {
  let node: unknown = mappings(kind);
  const parts = path === '@timestamp' ? ['@timestamp'] : path.split('.');
  for (const part of parts) {
    if (typeof node !== 'object' || node === null || !('properties' in node)) return undefined;
    const props: unknown = node.properties;
    if (typeof props !== 'object' || props === null) return undefined;
    node = (props as Record<string, unknown>)[part];
  }
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
}

describe('field tables against ECS (@elastic/ecs)', () => {
  for (const kind of INDEX_KINDS) {
    const table: Readonly<Record<string, FieldSpec>> = FIELD_TABLES[kind];
    for (const [path, spec] of Object.entries(table)) {
      it(`${kind}: ${path} is ${spec.type}`, () => {
        const ecs = ecsField(path);
        if (spec.source === 'ecs') {
          expect(ecs, `${path} is marked ECS but @elastic/ecs does not define it`).toBeDefined();
          expect(spec.type).toBe(ecs?.type);
          if (ecs?.index === false) expect(spec.stored).toBe('source-only');
          const text = ecs?.multi_fields?.find((m) => m.name === 'text');
          expect(spec.text === true).toBe(text?.type === 'match_only_text');
        } else {
          // Custom: under recovery.*, or one of the documented exceptions, and never an ECS name.
          expect(path.startsWith('recovery.') || path in NON_ECS_EXCEPTIONS, `${path} is neither recovery.* nor a documented exception`).toBe(true);
          expect(ecs, `${path} is an ECS field: map it as ECS`).toBeUndefined();
        }
        expect(leaf(kind, path)?.['type']).toBe(spec.type);
      });
    }
  }

  it('maps the types the issue names', () => {
    expect(EVENT_FIELDS['@timestamp'].type).toBe('date');
    expect(EVENT_FIELDS.message.type).toBe('match_only_text');
    expect(EVENT_FIELDS['error.message'].type).toBe('match_only_text');
    expect(EVENT_FIELDS['recovery.details'].type).toBe('flattened');
    expect(EVENT_FIELDS['event.duration'].type).toBe('long');
    expect(DEAD_LETTER_FIELDS['error.type'].type).toBe('keyword');
    expect(leaf('events', 'event.original')).toEqual({ type: 'keyword', index: false, doc_values: false });
    expect(leaf('events', 'file.path')).toEqual({
      type: 'keyword',
      ignore_above: 1024,
      fields: { text: { type: 'match_only_text' }, wildcard: { type: 'wildcard' } },
    });
    expect(leaf('events', 'message')).toEqual({ type: 'match_only_text', fields: { wildcard: { type: 'wildcard' } } });
  });

  it("maps the store's own fields (the write order), outside ECS and the document types", () => {
    for (const kind of INDEX_KINDS) {
      for (const [path, spec] of Object.entries(STORE_FIELDS[kind])) {
        expect(path.startsWith(`${STORE_FIELDS_OBJECT}.`)).toBe(true);
        expect(ecsField(path)).toBeUndefined();
        expect(leaf(kind, path)?.['type']).toBe(spec.type);
      }
    }
    expect(leaf('events', 'kintsugi.seq')).toEqual({ type: 'long' });
  });
});

describe('templates, names, lifecycle', () => {
  it('names: dated indices by @timestamp (UTC) under the query aliases', () => {
    expect(INDEX_ALIASES).toEqual({ events: 'kintsugi-events', alerts: 'kintsugi-alerts', 'dead-letters': 'kintsugi-dead-letters' });
    expect(indexName('events', '2026-03-14T01:11:10.412Z')).toBe('kintsugi-events-2026.03.14');
    expect(indexName('events', '2026-03-14T00:30:00.000+01:00')).toBe('kintsugi-events-2026.03.13');
    expect(indexName('alerts', '2026-03-14T01:11:10.412Z')).toBe('kintsugi-alerts-2026.03');
    expect(indexName('dead-letters', '2026-12-31T23:59:59.999Z')).toBe('kintsugi-dead-letters-2026.12');
    expect(() => indexName('events', 'yesterday')).toThrow(RangeError);
  });

  it('each template covers its dated indices, carries the alias, the ILM policy and the @custom component', () => {
    for (const kind of INDEX_KINDS) {
      const t = indexTemplate(kind);
      const alias = INDEX_ALIASES[kind];
      expect(t['index_patterns']).toEqual([`${alias}-*`]);
      expect(indexName(kind, '2026-03-14T00:00:00Z').startsWith(`${alias}-`)).toBe(true);
      expect(t['composed_of']).toEqual([`${alias}@custom`]);
      expect(t['ignore_missing_component_templates']).toEqual([`${alias}@custom`]);
      const template = t['template'];
      expect(template).toMatchObject({ settings: { 'index.lifecycle.name': alias }, aliases: { [alias]: {} }, mappings: { dynamic: false } });
    }
  });

  it('ILM: hot, warm at 7 days, deleted after the retention; never read-only (late events still land)', () => {
    expect(ilmPolicy('events', 30)).toEqual({
      policy: {
        _meta: { managed_by: 'kintsugi', kind: 'events', version: 2 },
        phases: {
          hot: { min_age: '0ms', actions: { set_priority: { priority: 100 } } },
          warm: { min_age: '7d', actions: { set_priority: { priority: 50 } } },
          delete: { min_age: '30d', actions: { delete: {} } },
        },
      },
    });
    expect(() => ilmPolicy('events', 3)).toThrow(RangeError);
    expect(JSON.stringify(ilmPolicy('alerts'))).not.toMatch(/readonly|shrink|rollover/);
  });

  it('setup requests: policies before the templates that name them', () => {
    const paths = setupRequests({ events: 60 }).map((r) => r.path);
    expect(paths).toEqual([
      '/_ilm/policy/kintsugi-events',
      '/_ilm/policy/kintsugi-alerts',
      '/_ilm/policy/kintsugi-dead-letters',
      '/_index_template/kintsugi-events',
      '/_index_template/kintsugi-alerts',
      '/_index_template/kintsugi-dead-letters',
    ]);
    expect(setupRequests({ events: 60 })[0]?.body).toEqual(ilmPolicy('events', 60));
  });

  it('an index prefix renames indices, aliases, templates and policies together', () => {
    expect(indexName('events', '2026-03-14T01:11:10.412Z', 'acme')).toBe('acme-events-2026.03.14');
    const template = indexTemplate('alerts', 'acme');
    expect(template).toMatchObject({
      index_patterns: ['acme-alerts-*'],
      composed_of: ['acme-alerts@custom'],
      template: { settings: { 'index.lifecycle.name': 'acme-alerts' }, aliases: { 'acme-alerts': {} } },
    });
    expect(setupRequests({}, 'acme').map((r) => r.path)).toContain('/_index_template/acme-dead-letters');
  });
});
