/**
 * The rules file (YAML): one schema that gives the TypeScript type, the validator and the
 * documentation (README.md of this folder). Unknown keys are errors; durations spell their unit.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from './duration.js';

/** Fields a selector may test: exactly the equality filters of the EventStore, so that a rule's
 * events can be found again in the store with `queryEvents` (restart). */
export const SELECTOR_FIELDS = ['action', 'status', 'outcome', 'code', 'dataset', 'host', 'instance', 'module'] as const;
export type SelectorField = (typeof SELECTOR_FIELDS)[number];

/** Fields a rule may group by or count distinct values of. */
export const KEY_FIELDS = ['host', 'instance', 'module', 'kernel', 'correlation_id', 'os_version', 'file_path', 'code'] as const;
export type KeyField = (typeof KEY_FIELDS)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const Value = Type.String({ minLength: 1 });
const Values = Type.Union([Value, Type.Array(Value, { minItems: 1 })]);

const Selector = Type.Object(
  {
    action: Type.Optional(Values),
    status: Type.Optional(Values),
    outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('unknown'), Type.Array(Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('unknown')]), { minItems: 1 })])),
    code: Type.Optional(Values),
    dataset: Type.Optional(Type.Union([Type.Literal('recovery.v32'), Type.Literal('recovery.v42'), Type.Array(Type.Union([Type.Literal('recovery.v32'), Type.Literal('recovery.v42')]), { minItems: 1 })])),
    host: Type.Optional(Values),
    instance: Type.Optional(Values),
    module: Type.Optional(Values),
  },
  { additionalProperties: false, description: 'events whose fields equal one of the given values (all keys must match); {} matches every event' },
);

const KeyFieldSchema = Type.Union(KEY_FIELDS.map((f) => Type.Literal(f)));
const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'a whole number and a unit: ms, s, m, h, d, w' });

const common = {
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'stable id: rule.id of its alerts' }),
  name: Type.String({ minLength: 1, description: 'rule.name of its alerts' }),
  description: Type.Optional(Type.String({ minLength: 1 })),
  category: Type.String({ minLength: 1, description: 'rule.category (integrity, availability, backup, ...)' }),
  severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
  group_by: Type.Array(KeyFieldSchema, { minItems: 1, uniqueItems: true, description: 'one alert per value of these fields' }),
  window: Duration,
  allowed_lateness: Type.Optional(Type.String({ pattern: DURATION_PATTERN, description: 'how long to wait for late events before an absence or sequence fires, or an alert resolves (default 0s)' })),
  hold_automated_restores: Type.Optional(Type.Boolean({ description: 'alerts ask the recovery policy to hold automated restores of what they cover' })),
};

const ThresholdRule = Type.Object(
  {
    ...common,
    type: Type.Literal('threshold'),
    match: Selector,
    threshold: Type.Integer({ minimum: 1, description: 'fires when the count reaches this within the window' }),
    distinct: Type.Optional(
      Type.Object(
        {
          field: KeyFieldSchema,
          missing: Type.Optional(Type.Union([Type.Literal('skip'), Type.Literal('unique')], { description: 'an event without the field: skip it (default), or count it as a value of its own' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const AbsenceRule = Type.Object(
  {
    ...common,
    type: Type.Literal('absence'),
    match: Selector,
    known: Type.Optional(Selector),
  },
  { additionalProperties: false },
);

const SequenceRule = Type.Object(
  {
    ...common,
    type: Type.Literal('sequence'),
    first: Selector,
    then: Selector,
  },
  { additionalProperties: false },
);

export const RuleSchema = Type.Union([ThresholdRule, AbsenceRule, SequenceRule]);

export const RulesFileSchema = Type.Object(
  {
    version: Type.Literal(1, { description: 'format version of this file' }),
    rules: Type.Array(Type.Unknown(), { description: 'the rules; each is checked on its own against its type' }),
  },
  { additionalProperties: false },
);

export type SelectorSpec = Static<typeof Selector>;
export type ThresholdRuleSpec = Static<typeof ThresholdRule>;
export type AbsenceRuleSpec = Static<typeof AbsenceRule>;
export type SequenceRuleSpec = Static<typeof SequenceRule>;
export type RuleSpec = Static<typeof RuleSchema>;
export const RULE_SCHEMAS = { threshold: ThresholdRule, absence: AbsenceRule, sequence: SequenceRule } as const;
export type RuleType = keyof typeof RULE_SCHEMAS;
