/** Every code of the rules and alerts catalogues is documented in its README's error table, and only those. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALERT_ERRORS } from '../../pipeline/alerts/errors.js';
import { RULES_ERRORS } from '../../pipeline/rules/errors.js';

describe('rules and alerts error catalogues', () => {
  it.each([
    ['pipeline/rules/README.md', Object.keys(RULES_ERRORS), 'PIP_ERR_RULES_'],
    ['pipeline/alerts/README.md', Object.keys(ALERT_ERRORS), 'PIP_ERR_ALERTS_'],
  ])('%s documents every code, and only those', (file, codes, prefix) => {
    const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
    const documented = [...text.matchAll(new RegExp(`\\| \`(${prefix}[A-Z_]+)\` \\|`, 'g'))].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
    expect(new Set(codes).size).toBe(codes.length);
  });
});
