import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STORE_ERROR_CODES, STORE_ERRORS, StoreError } from '../../pipeline/store/errors.js';

const readme = readFileSync(new URL('../../pipeline/store/README.md', import.meta.url), 'utf8');
const documented = [...readme.matchAll(/^\| `(PIP_ERR_STORE_[A-Z_]+)` \|/gm)].map((m) => m[1]);

describe('store error catalogue', () => {
  it('has 19 codes, each prefixed PIP_ERR_STORE_ and unique', () => {
    expect(STORE_ERROR_CODES).toHaveLength(19);
    expect(new Set(STORE_ERROR_CODES).size).toBe(STORE_ERROR_CODES.length);
    for (const code of STORE_ERROR_CODES) expect(code).toMatch(/^PIP_ERR_STORE_[A-Z_]+$/);
  });

  it('documents every code in pipeline/store/README.md, and nothing else', () => {
    expect([...documented].sort()).toEqual([...STORE_ERROR_CODES].sort());
  });

  it('builds errors with code, status, retriable and a filled-in message', () => {
    for (const code of STORE_ERROR_CODES) {
      const entry = STORE_ERRORS[code];
      const placeholders = entry.message.split('%s').length - 1;
      const e = new StoreError(code, Array.from({ length: placeholders }, (_, i) => `arg${i}`));
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe('StoreError');
      expect(e.code).toBe(code);
      expect(e.httpStatus).toBe(entry.httpStatus);
      expect(e.retriable).toBe(entry.retriable);
      expect(e.message).not.toContain('%s');
      for (let i = 0; i < placeholders; i++) expect(e.message).toContain(`arg${i}`);
    }
  });

  it('says what to do in every message', () => {
    const advice = /\b(fix|pass|give|correct|use|open|stop|check|write|try|restore)\b/i;
    for (const code of STORE_ERROR_CODES) expect(STORE_ERRORS[code].message, code).toMatch(advice);
  });
});
