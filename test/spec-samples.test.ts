import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COPIED_SAMPLES_DIR, SHARED_SAMPLES_DIR } from './spec-samples.js';

describe.skipIf(!existsSync(SHARED_SAMPLES_DIR))('the copy of the shared spec samples (skipped: no ../shared beside this clone)', () => {
  it('holds exactly the files of ../shared/spec/samples, byte for byte', () => {
    const shared = readdirSync(SHARED_SAMPLES_DIR).sort();
    expect(readdirSync(COPIED_SAMPLES_DIR).sort()).toEqual(shared);
    for (const f of shared) expect(readFileSync(join(COPIED_SAMPLES_DIR, f)).equals(readFileSync(join(SHARED_SAMPLES_DIR, f))), f).toBe(true);
  });
});
