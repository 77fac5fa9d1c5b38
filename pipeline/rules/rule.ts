/**
 * A compiled rule: the validated spec plus what evaluation needs (matchers, key functions,
 * windows in milliseconds). Built once by load.ts; pure data and pure functions.
 */
import type { RecoveryEvent } from '../../parsers/event.js';
import type { EventFilter } from '../store/event-store.js';
import { SELECTOR_FIELDS, type KeyField, type RuleSpec, type SelectorField, type SelectorSpec, type Severity } from './schema.js';

export interface Selector {
  readonly spec: SelectorSpec;
  /** The same selection as an EventStore filter (rebuilding state after a restart). */
  readonly filter: EventFilter;
  test(event: RecoveryEvent): boolean;
}

interface RuleBase {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly severity: Severity;
  readonly groupBy: readonly KeyField[];
  readonly windowMs: number;
  readonly window: string;
  readonly latenessMs: number;
  readonly holdAutomatedRestores: boolean;
  /** Where the rule was defined: `file` and `rules[i]`. */
  readonly source: string;
}

export interface ThresholdRule extends RuleBase {
  readonly type: 'threshold';
  readonly match: Selector;
  readonly threshold: number;
  readonly distinct: { readonly field: KeyField; readonly missing: 'skip' | 'unique' } | null;
}

export interface AbsenceRule extends RuleBase {
  readonly type: 'absence';
  readonly match: Selector;
  /** Events that make a key known; null: the matching events themselves. */
  readonly known: Selector | null;
}

export interface SequenceRule extends RuleBase {
  readonly type: 'sequence';
  readonly first: Selector;
  readonly then: Selector;
}

export type Rule = ThresholdRule | AbsenceRule | SequenceRule;

/** The value of a key field in an event; undefined when the event has none. */
export function fieldValue(event: RecoveryEvent, field: KeyField): string | undefined {
  switch (field) {
    case 'host':
      return event.host.name;
    case 'instance':
      return event.recovery.instance;
    case 'module':
      return event.recovery.module;
    case 'kernel':
      return event.recovery.kernel;
    case 'correlation_id':
      return event.recovery.correlation_id;
    case 'os_version':
      return event.host.os.version;
    case 'file_path':
      return event.file?.path;
    case 'code':
      return event.event.code;
  }
}

/** The group of an event (field → value), or null when it lacks one of the fields. */
export function groupOf(event: RecoveryEvent, fields: readonly KeyField[]): Record<string, string> | null {
  const group: Record<string, string> = {};
  for (const f of fields) {
    const v = fieldValue(event, f);
    if (v === undefined || v === '') return null;
    group[f] = v;
  }
  return group;
}

/** The canonical text of a group: `host=db-07,module=ext4` in group_by order, values escaped. */
export function keyText(fields: readonly KeyField[], group: Readonly<Record<string, string>>): string {
  return fields.map((f) => `${f}=${encodeURIComponent(group[f] ?? '')}`).join(',');
}

function selectorValue(event: RecoveryEvent, field: SelectorField): string | undefined {
  switch (field) {
    case 'action':
      return event.event.action;
    case 'status':
      return event.recovery.status;
    case 'outcome':
      return event.event.outcome;
    case 'code':
      return event.event.code;
    case 'dataset':
      return event.event.dataset;
    case 'host':
      return event.host.name;
    case 'instance':
      return event.recovery.instance;
    case 'module':
      return event.recovery.module;
  }
}

export function compileSelector(spec: SelectorSpec): Selector {
  const tests: { field: SelectorField; values: ReadonlySet<string> }[] = [];
  const filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = {};
  const list = <T extends string>(v: T | readonly T[]): T | readonly T[] => (typeof v === 'string' || v.length !== 1 ? v : (v[0] as T));
  if (spec.action !== undefined) filter.action = list(spec.action);
  if (spec.status !== undefined) filter.status = list(spec.status);
  if (spec.outcome !== undefined) filter.outcome = list(spec.outcome);
  if (spec.code !== undefined) filter.code = list(spec.code);
  if (spec.dataset !== undefined) filter.dataset = list(spec.dataset);
  if (spec.host !== undefined) filter.host = list(spec.host);
  if (spec.instance !== undefined) filter.instance = list(spec.instance);
  if (spec.module !== undefined) filter.module = list(spec.module);
  for (const field of SELECTOR_FIELDS) {
    const raw = spec[field];
    if (raw === undefined) continue;
    tests.push({ field, values: new Set<string>(typeof raw === 'string' ? [raw] : raw) });
  }
  return {
    spec,
    filter,
    test(event) {
      for (const t of tests) {
        const v = selectorValue(event, t.field);
        if (v === undefined || !t.values.has(v)) return false;
      }
      return true;
    },
  };
}

export type { RuleSpec };
