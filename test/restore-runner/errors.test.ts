/** The RST_ERR_* catalogue: unique codes, each documented in restore-runner/README.md, messages that say what to do. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RST_ERRORS, RstError, rstError } from '../../restore-runner/errors.js';

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'restore-runner', 'README.md'), 'utf8');
const documented = [...readme.matchAll(/^\| `(RST_ERR_[A-Z_]+)` \| (yes|no) \|/gm)].map((m) => [m[1], m[2]]);

describe('error catalogue', () => {
  it('every code is prefixed, unique and documented with its retriable flag', () => {
    const codes = Object.keys(RST_ERRORS);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^RST_ERR_[A-Z_]+$/);
    expect(documented.map(([c]) => c).sort()).toEqual([...codes].sort());
    const table = new Map(Object.entries(RST_ERRORS));
    for (const [c, r] of documented) expect(table.get(c ?? "")?.retriable).toBe(r === "yes");
  });

  it('fills the message from the details and keeps the code', () => {
    const e = rstError('RST_ERR_PATH_ESCAPE', '../x', '/target', '".." component');
    expect(e).toBeInstanceOf(RstError);
    expect(e.code).toBe('RST_ERR_PATH_ESCAPE');
    expect(e.message).toBe('Refusing path ../x: it would write outside the target /target (".." component)');
    expect(e.details).toEqual(['../x', '/target', '".." component']);
  });
});
