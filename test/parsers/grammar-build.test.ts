/** The compiled grammar is checked in: it must be what grammar.ne compiles to today. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildGrammar } from '../../parsers/rlog/build-grammar.mjs';

describe('parsers/rlog/grammar.gen.ts', () => {
  it('is not stale (run `npm run grammar` after editing grammar.ne)', () => {
    const checkedIn = readFileSync(fileURLToPath(new URL('../../parsers/rlog/grammar.gen.ts', import.meta.url)), 'utf8');
    expect((buildGrammar as () => string)()).toBe(checkedIn);
  });
});
