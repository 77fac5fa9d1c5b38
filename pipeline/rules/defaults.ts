/** The shipped rules (defaults.yaml), found next to this module or, when built, in the sources. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadRules } from './load.js';
import type { Rule } from './rule.js';

/** defaults.yaml: beside the .ts source, or from dist/pipeline/rules/ back to pipeline/rules/. */
export function defaultRulesPath(): string {
  const candidates = [new URL('./defaults.yaml', import.meta.url), new URL('../../../pipeline/rules/defaults.yaml', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  return fileURLToPath(candidates[0] as URL);
}

export function loadDefaultRules(): readonly Rule[] {
  return loadRules(defaultRulesPath());
}
