/**
 * Golden tests of Kintsugi's own inputs (test/fixtures/parsers): whole events, ids included, and
 * whole dead letters. `UPDATE_GOLDEN=1 npx vitest run test/parsers/golden-rules.test.ts` rewrites
 * the expected files; review the diff before committing it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, goldenInputs } from './golden-inputs.js';
import { readWhole } from './read.js';

const update = process.env['UPDATE_GOLDEN'] === '1';

describe.each(goldenInputs())('golden $name', ({ name, bytes, format, source }) => {
  const { items } = readWhole(bytes, format, source);
  const actual = items.map((i) => JSON.stringify(i.kind === 'event' ? i.event : { deadLetter: i.deadLetter })).join('\n') + '\n';
  const file = `${GOLDEN_DIR}${name}.golden.ndjson`;

  it('reads as its golden file says', () => {
    if (update || !existsSync(file)) writeFileSync(file, actual);
    expect(actual).toBe(readFileSync(file, 'utf8'));
  });
});
