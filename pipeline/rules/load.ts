/**
 * Reads and validates a rules file once, at load; every problem names the file and the key
 * (`rules[2].window`, with the rule's id when it has one). The result is frozen and compiled.
 */
import type { Static } from '@sinclair/typebox';
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { parseDuration } from './duration.js';
import { RulesError } from './errors.js';
import { compileSelector, type Rule } from './rule.js';
import { RULE_SCHEMAS, RulesFileSchema, type RuleSpec, type RuleType } from './schema.js';
import { compiledOnFirstUse, errorKey, type Validator } from '../config/schema-errors.js';

const validateFile = compiledOnFirstUse<Static<typeof RulesFileSchema>>(RulesFileSchema);
const validateRule: Readonly<Record<RuleType, Validator<RuleSpec>>> = {
  threshold: compiledOnFirstUse<RuleSpec>(RULE_SCHEMAS.threshold),
  absence: compiledOnFirstUse<RuleSpec>(RULE_SCHEMAS.absence),
  sequence: compiledOnFirstUse<RuleSpec>(RULE_SCHEMAS.sequence),
};

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'is not a known key (see pipeline/rules/README.md)';
    case 'required':
      return 'is required';
    case 'pattern':
      return e.instancePath.endsWith('/id')
        ? 'must be lower-case letters, digits and dashes, starting with a letter or digit (at most 64)'
        : 'must be a whole number and a unit (ms, s, m, h, d, w), such as 15m or 30d';
    case 'const':
      return `must be ${JSON.stringify(e.params['allowedValue'])}`;
    default:
      return e.message ?? 'is not valid';
  }
}

function problemsOf(prefix: string, errors: readonly ErrorObject[] | null | undefined): string[] {
  // A union reports once per branch: literals become one "one of" list, and a "must be string"
  // beside a list's own problem is left out.
  const relevant = (errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
  const byKey = new Map<string, ErrorObject[]>();
  for (const e of relevant) {
    const key = errorKey(prefix, e);
    byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  const out: string[] = [];
  for (const [key, list] of byKey) {
    const consts = list.filter((e) => e.keyword === 'const');
    const others = list.filter((e) => e.keyword !== 'const' && e.keyword !== 'type');
    if (others.length > 0) {
      for (const m of new Set(others.map(describe))) out.push(`key "${key}" ${m}`);
    } else if (consts.length > 1) {
      out.push(`key "${key}" must be one of ${consts.map((e) => String(e.params['allowedValue'])).join(', ')}`);
    } else if (consts.length === 1) {
      out.push(`key "${key}" ${describe(consts[0] as ErrorObject)}`);
    } else {
      const types = [...new Set(list.map((e) => String(e.params['type'])))];
      out.push(`key "${key}" must be ${types.length > 1 ? 'a string, or a list of strings' : `of type ${types.join('')}`}`);
    }
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRuleType(v: unknown): v is RuleType {
  return v === 'threshold' || v === 'absence' || v === 'sequence';
}

/** Validates a parsed rules document and compiles it; throws RulesError with every problem. */
export function compileRules(doc: unknown, file: string): readonly Rule[] {
  if (!validateFile(doc)) throw new RulesError('PIP_ERR_RULES_INVALID', file, problemsOf('', validateFile.errors));
  const problems: string[] = [];
  const rules: Rule[] = [];
  const ids = new Map<string, number>();
  for (const [i, raw] of doc.rules.entries()) {
    const at = isRecord(raw) && typeof raw['id'] === 'string' ? `rules[${i}] (${raw['id']})` : `rules[${i}]`;
    if (!isRecord(raw)) {
      problems.push(`key "rules[${i}]" must be a mapping of keys to values`);
      continue;
    }
    const type = raw['type'];
    if (!isRuleType(type)) {
      problems.push(type === undefined ? `key "${at}.type" is required (threshold, absence or sequence)` : `key "${at}.type" must be threshold, absence or sequence, found ${JSON.stringify(type)}`);
      continue;
    }
    const validate = validateRule[type];
    if (!validate(raw)) {
      problems.push(...problemsOf(at, validate.errors));
      continue;
    }
    const spec = raw;
    const previous = ids.get(spec.id);
    if (previous !== undefined) problems.push(`key "${at}.id" repeats the id of rules[${previous}]: rule ids must be unique`);
    ids.set(spec.id, i);
    const windowMs = parseDuration(spec.window) ?? 0;
    if (windowMs <= 0) problems.push(`key "${at}.window" must be longer than 0`);
    const latenessMs = spec.allowed_lateness === undefined ? 0 : (parseDuration(spec.allowed_lateness) ?? 0);
    const base = {
      id: spec.id,
      name: spec.name,
      description: spec.description ?? spec.name,
      category: spec.category,
      severity: spec.severity,
      groupBy: spec.group_by,
      windowMs,
      window: spec.window,
      latenessMs,
      holdAutomatedRestores: spec.hold_automated_restores ?? false,
      source: `${file} ${at}`,
    };
    switch (spec.type) {
      case 'threshold': {
        if (spec.distinct !== undefined && spec.group_by.includes(spec.distinct.field)) {
          problems.push(`key "${at}.distinct.field" is also in group_by: each group has one value of "${spec.distinct.field}", so the count could never pass 1`);
        }
        rules.push({ ...base, type: 'threshold', match: compileSelector(spec.match), threshold: spec.threshold, distinct: spec.distinct === undefined ? null : { field: spec.distinct.field, missing: spec.distinct.missing ?? 'skip' } });
        break;
      }
      case 'absence':
        rules.push({ ...base, type: 'absence', match: compileSelector(spec.match), known: spec.known === undefined ? null : compileSelector(spec.known) });
        break;
      case 'sequence':
        rules.push({ ...base, type: 'sequence', first: compileSelector(spec.first), then: compileSelector(spec.then) });
        break;
    }
  }
  if (problems.length > 0) throw new RulesError('PIP_ERR_RULES_INVALID', file, problems);
  return deepFreeze(rules);
}

/** Parses YAML text of a rules file (named `file` in errors). */
export function parseRules(text: string, file: string): readonly Rule[] {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw new RulesError('PIP_ERR_RULES_YAML', file, document.errors.map((e) => e.message));
  return compileRules(document.toJS() as unknown, file);
}

export function loadRules(file: string): readonly Rule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new RulesError('PIP_ERR_RULES_READ', file, [err instanceof Error ? err.message : String(err)]);
  }
  return parseRules(text, file);
}

/** Rules of several files together; ids must be unique across them. */
export function mergeRules(sets: readonly (readonly Rule[])[]): readonly Rule[] {
  const seen = new Map<string, string>();
  const out: Rule[] = [];
  const problems: string[] = [];
  for (const set of sets) {
    for (const rule of set) {
      const other = seen.get(rule.id);
      if (other !== undefined) problems.push(`rule id "${rule.id}" of ${rule.source} is already defined in ${other}`);
      else {
        seen.set(rule.id, rule.source);
        out.push(rule);
      }
    }
  }
  if (problems.length > 0) throw new RulesError('PIP_ERR_RULES_INVALID', 'rules', problems);
  return out;
}
