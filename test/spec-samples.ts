/**
 * The shared format samples (`../shared/spec/samples/`, beside the repository). A clone that has
 * no `../shared` beside it (`git clone . /tmp/fresh`) reads the copy kept in
 * `test/fixtures/spec-samples/`; `test/spec-samples.test.ts` fails when the copy and the shared
 * folder differ, so the copy cannot go stale unnoticed.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED_SAMPLES_DIR = fileURLToPath(new URL('../../shared/spec/samples/', import.meta.url));
export const COPIED_SAMPLES_DIR = fileURLToPath(new URL('./fixtures/spec-samples/', import.meta.url));
export const SPEC_SAMPLES_DIR = existsSync(SHARED_SAMPLES_DIR) ? SHARED_SAMPLES_DIR : COPIED_SAMPLES_DIR;
