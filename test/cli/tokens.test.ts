/** `kintsugi tokens`: the built command on a temp data folder, exit codes, and the token works. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenFile } from '../../pipeline/access/token-store.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'kintsugi-tokens-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kintsugi tokens', () => {
  it('creates, lists and revokes, printing the secret once', async () => {
    const made = await runCli(['tokens', 'create', '--name', 'siem', '--role', 'viewer', '--data', dir]);
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^kin_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(join(dir, 'tokens.json'), 'utf8')).not.toContain(token);
    expect(new TokenFile(join(dir, 'tokens.json')).find(token)?.role).toBe('viewer');

    const list = await runCli(['tokens', 'list', '--format', 'ndjson', '--data', dir]);
    expect(list.code).toBe(0);
    const [entry] = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; name: string; hash?: string });
    expect(entry).toMatchObject({ name: 'siem', role: 'viewer' });
    expect(entry?.hash).toBeUndefined();

    expect((await runCli(['tokens', 'revoke', entry?.id ?? '', '--data', dir])).code).toBe(0);
    expect(new TokenFile(join(dir, 'tokens.json')).find(token)).toBeNull();
    expect((await runCli(['tokens', 'list', '--data', dir])).stdout).toMatch(/siem\s+\S+\s+\d{4}-.*Z\s*$/m);
  });

  it('exits 2 on bad usage and 1 on an unknown token', async () => {
    expect((await runCli(['tokens', 'create', '--name', 'x', '--role', 'root', '--data', dir])).code).toBe(2);
    expect((await runCli(['tokens', 'create', '--name', 'two words', '--role', 'viewer', '--data', dir])).code).toBe(2);
    expect((await runCli(['tokens', 'create', '--role', 'viewer', '--data', dir])).code).toBe(2);
    const unknown = await runCli(['tokens', 'revoke', '000000000000', '--data', dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ACC_ERR_TOKEN_NOT_FOUND/);
  });
});
