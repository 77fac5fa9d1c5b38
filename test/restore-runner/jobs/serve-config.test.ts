/** `serve` refuses a bad recovery policy at start with exit 2 and the key named; a good one starts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../cli/run-cli.js';
import { tempDir } from '../helpers.js';

describe('serve with a restores section', () => {
  it('a policy with an unknown key stops the start: exit 2, file and key named', async () => {
    const dir = tempDir('serve-policy');
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, stringify({ version: 1, groups: [{ name: 'web', hosts: ['web-*'], restroe: 'auto' }] }));
    const config = join(dir, 'kintsugi.yaml');
    writeFileSync(config, stringify({ data: join(dir, 'data'), api: { port: 0 }, sources: [], restores: { policy } }));
    const r = await runCli(['serve', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(policy);
    expect(r.stderr).toContain('key "groups[0].restroe" is not a known key');
  }, 60_000);
});
