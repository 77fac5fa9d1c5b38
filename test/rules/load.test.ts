/** Validation of rules files: every problem names the file and the key, all reported at once. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRulesPath, loadDefaultRules } from '../../pipeline/rules/defaults.js';
import { RulesError } from '../../pipeline/rules/errors.js';
import { loadRules, mergeRules, parseRules } from '../../pipeline/rules/load.js';

const dir = mkdtempSync(join(tmpdir(), 'kintsugi-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(text: string, file = 'rules.yaml'): { code: string; problems: readonly string[]; message: string } {
  try {
    parseRules(text, file);
  } catch (err: unknown) {
    if (err instanceof RulesError) return { code: err.code, problems: err.problems, message: err.message };
    throw err;
  }
  throw new Error('the rules were accepted');
}

const VALID = `version: 1
rules:
  - id: many-errors
    name: Many errors
    category: health
    severity: medium
    type: threshold
    match: { action: error }
    group_by: [host]
    threshold: 3
    window: 10m
`;

describe('rules files', () => {
  it('loads and compiles a valid file, frozen', () => {
    const [rule] = parseRules(VALID, 'rules.yaml');
    expect(rule).toMatchObject({ id: 'many-errors', type: 'threshold', windowMs: 600_000, threshold: 3, distinct: null, latenessMs: 0, groupBy: ['host'], source: 'rules.yaml rules[0] (many-errors)' });
    expect(Object.isFrozen(rule)).toBe(true);
    expect(rule?.type === 'threshold' ? rule.match.filter : null).toEqual({ action: 'error' });
  });

  it('ships valid default rules with the five documented ids', () => {
    expect(loadDefaultRules().map((r) => r.id)).toEqual(['recurring-module-corruption', 'fleet-module-corruption', 'restore-failed', 'restore-stuck', 'snapshot-stale']);
    expect(defaultRulesPath().endsWith(join('pipeline', 'rules', 'defaults.yaml'))).toBe(true);
  });

  it('checks the example rules file', () => {
    expect(loadRules(new URL('../../examples/rules.yaml', import.meta.url).pathname).length).toBeGreaterThan(0);
  });

  it('reports every problem of every rule, naming the rule and the key', () => {
    const result = problems(`version: 1
rules:
  - id: Bad_Id
    name: x
    category: c
    severity: urgent
    type: threshold
    match: { action: [], colour: red }
    group_by: [host, host]
    threshold: 0
    window: 30 days
  - id: no-type
    name: y
  - name: z
    type: sequence
    category: c
    severity: low
    first: { action: a }
    group_by: [hostname]
    window: 1h
    extra: 1
`);
    expect(result.code).toBe('PIP_ERR_RULES_INVALID');
    expect(result.problems).toEqual([
      'key "rules[0] (Bad_Id).id" must be lower-case letters, digits and dashes, starting with a letter or digit (at most 64)',
      'key "rules[0] (Bad_Id).severity" must be one of low, medium, high, critical',
      'key "rules[0] (Bad_Id).group_by" must NOT have duplicate items (items ## 0 and 1 are identical)',
      'key "rules[0] (Bad_Id).window" must be a whole number and a unit (ms, s, m, h, d, w), such as 15m or 30d',
      'key "rules[0] (Bad_Id).match.colour" is not a known key (see pipeline/rules/README.md)',
      'key "rules[0] (Bad_Id).match.action" must NOT have fewer than 1 items',
      'key "rules[0] (Bad_Id).threshold" must be >= 1',
      'key "rules[1] (no-type).type" is required (threshold, absence or sequence)',
      'key "rules[2].id" is required',
      'key "rules[2].then" is required',
      'key "rules[2].extra" is not a known key (see pipeline/rules/README.md)',
      'key "rules[2].group_by[0]" must be one of host, instance, module, kernel, correlation_id, os_version, file_path, code',
    ]);
    expect(result.message.startsWith('PIP_ERR_RULES_INVALID: rules.yaml: key "rules[0] (Bad_Id).id"')).toBe(true);
  });

  it('refuses repeated ids, a zero window, and a distinct field that is grouped by', () => {
    const rule = (id: string, extra: string): string => `  - { id: ${id}, name: n, category: c, severity: low, type: threshold, match: {}, group_by: [host], threshold: 2, window: 1h${extra} }\n`;
    const result = problems(`version: 1\nrules:\n${rule('a', '')}${rule('a', '')}${rule('b', ', distinct: { field: host }').replace('window: 1h', 'window: 0s')}`);
    expect(result.problems).toEqual([
      'key "rules[1] (a).id" repeats the id of rules[0]: rule ids must be unique',
      'key "rules[2] (b).window" must be longer than 0',
      'key "rules[2] (b).distinct.field" is also in group_by: each group has one value of "host", so the count could never pass 1',
    ]);
  });

  it('refuses a wrong version, a missing rules list and unknown top-level keys', () => {
    expect(problems('version: 2\nrule: []\n').problems).toEqual(['key "rules" is required', 'key "rule" is not a known key (see pipeline/rules/README.md)', 'key "version" must be 1']);
    expect(problems('version: 1\nrules: [3]\n').problems).toEqual(['key "rules[0]" must be a mapping of keys to values']);
    expect(problems('version: 1\nrules:\n  - { type: flatline }\n').problems).toEqual(['key "rules[0].type" must be threshold, absence or sequence, found "flatline"']);
  });

  it('refuses YAML that does not parse, and a file that cannot be read', () => {
    expect(problems('version: 1\nrules: [\n', 'broken.yaml').code).toBe('PIP_ERR_RULES_YAML');
    const file = join(dir, 'missing.yaml');
    expect(() => loadRules(file)).toThrowError(expect.objectContaining({ code: 'PIP_ERR_RULES_READ', file }) as Error);
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, VALID);
    expect(loadRules(ok).map((r) => r.source)).toEqual([`${ok} rules[0] (many-errors)`]);
  });

  it('refuses a rule id that another file already defines', () => {
    const defaults = loadDefaultRules();
    const mine = parseRules(VALID.replace('many-errors', 'restore-stuck'), 'mine.yaml');
    expect(() => mergeRules([defaults, mine])).toThrowError(expect.objectContaining({ code: 'PIP_ERR_RULES_INVALID' }) as Error);
  });
});
