/** Every error code of a catalogue is documented in its part's README, and codes are unique. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_ERRORS } from '../../collectors/errors.js';
import { ACCESS_ERRORS } from '../../pipeline/access/errors.js';
import { PIPELINE_ERRORS } from '../../pipeline/errors.js';
import { JOB_ERRORS } from '../../restore-runner/jobs/errors.js';
import { TRANSPORT_ERRORS } from '../../pipeline/transport/errors.js';

function readme(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
}

describe('error catalogues', () => {
  it.each([
    ['collectors/README.md', Object.keys(COLLECTOR_ERRORS), 'COL_ERR_'],
    ['pipeline/README.md', Object.keys(PIPELINE_ERRORS), 'PIP_ERR_'],
    ['pipeline/access/README.md', Object.keys(ACCESS_ERRORS), 'ACC_ERR_'],
    ['restore-runner/jobs/README.md', Object.keys(JOB_ERRORS), 'JOB_ERR_'],
    ['pipeline/transport/README.md', Object.keys(TRANSPORT_ERRORS), 'TRN_ERR_'],
  ])('%s documents every code, and only those of its catalogue', (file, codes, prefix) => {
    const text = readme(file);
    for (const code of codes) expect(text).toContain(`| \`${code}\` |`);
    const documented = [...text.matchAll(new RegExp(`\\| \`(${prefix}[A-Z_]+)\` \\|`, 'g'))].map((m) => m[1]);
    const apiCodes = documented.filter((c) => c?.startsWith('PIP_ERR_API_'));
    expect(documented.filter((c) => !apiCodes.includes(c)).sort()).toEqual([...codes].sort());
  });
});
