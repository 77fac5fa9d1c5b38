/**
 * Every field an event carries is an ECS field of the right type, checked against the field
 * definitions that @elastic/ecs ships, or lies under recovery.*, or is log.offset (event-schema.md).
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import type { RecoveryEvent } from '../../parsers/event.js';
import { SAMPLES, sampleBytes } from './samples.js';
import { readWhole } from './read.js';
import { goldenInputs } from './golden-inputs.js';

interface EcsField {
  readonly type: string;
  readonly normalize: readonly string[];
  readonly allowed_values?: readonly { readonly name: string; readonly expected_event_types?: readonly string[] }[];
}
const require = createRequire(import.meta.url);
const { EcsFlat } = require('@elastic/ecs') as { EcsFlat: Record<string, EcsField> };

function leaves(value: unknown, path: string, out: [string, unknown][]): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path === '' ? k : `${path}.${k}`, out);
  } else out.push([path, value]);
}

function fitsType(type: string, value: unknown): boolean {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'match_only_text':
    case 'text':
      return typeof value === 'string';
    case 'long':
      return Number.isSafeInteger(value);
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value);
    default:
      return false;
  }
}

function allEvents(): RecoveryEvent[] {
  const inputs = [...SAMPLES.map((s) => ({ bytes: sampleBytes(s.name), format: s.format, source: s.source })), ...goldenInputs()];
  return inputs.flatMap(({ bytes, format, source }) => readWhole(bytes, format, source).items.flatMap((i) => (i.kind === 'event' ? [i.event] : [])));
}

describe('ECS conformance', () => {
  const events = allEvents();

  it('reads enough events to mean something', () => {
    expect(events.length).toBeGreaterThan(60);
  });

  it('types every ECS field as ECS defines it; custom fields only under recovery.*', () => {
    const problems: string[] = [];
    for (const event of events) {
      const fields: [string, unknown][] = [];
      leaves(event, '', fields);
      for (const [path, value] of fields) {
        if (path.startsWith('recovery.') || path === 'log.offset') continue;
        const def = EcsFlat[path];
        if (def === undefined) {
          problems.push(`${path} is not an ECS field`);
          continue;
        }
        const isArray = def.normalize.includes('array');
        if (Array.isArray(value) !== isArray) problems.push(`${path} must ${isArray ? '' : 'not '}be an array`);
        for (const v of Array.isArray(value) ? value : [value]) {
          if (!fitsType(def.type, v)) problems.push(`${path} = ${JSON.stringify(v)} is not an ECS ${def.type}`);
          if (def.allowed_values !== undefined && !def.allowed_values.some((a) => a.name === v)) problems.push(`${path} = ${JSON.stringify(v)} is not an allowed value`);
        }
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  it('pairs every event.type with a category that expects it', () => {
    const categories = new Map((EcsFlat['event.category']?.allowed_values ?? []).map((a) => [a.name, a.expected_event_types ?? []]));
    for (const e of events) {
      for (const t of e.event.type) {
        expect(e.event.category.some((c) => categories.get(c)?.includes(t)), `${e.event.action}: ${e.event.category.join(',')} / ${t}`).toBe(true);
      }
    }
  });
});
