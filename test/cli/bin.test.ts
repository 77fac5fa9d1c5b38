/**
 * `npx kintsugi ...`, as the README and the demo tell a user to type, runs the built command from
 * a checkout: the package's bin must be executable after `npm install` (which builds it).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the kintsugi bin', () => {
  it('runs through npx from the checkout', () => {
    const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };
    const r = spawnSync('npx', ['--no-install', 'kintsugi', '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect([r.status, r.stdout.trim()]).toEqual([0, version]);
  });
});
