/**
 * `kintsugi tokens`, in process through commander as cli/main.ts registers it (the built command
 * is the same code; spawning it once per step costs seconds each): output, exit codes, and that
 * the token made is the one the file accepts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerTokensCommand } from '../../cli/tokens.js';
import { TokenFile } from '../../pipeline/access/token-store.js';

const dir = mkdtempSync(join(tmpdir(), 'kintsugi-tokens-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const program = new Command('kintsugi').exitOverride();
  registerTokensCommand(program);
  let code = 0;
  try {
    await program.parseAsync(['node', 'kintsugi', ...args]);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch {
    // commander refused the command line: a usage error (cli/main.ts maps it to 2).
    code = 2;
  }
  vi.restoreAllMocks();
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

describe('kintsugi tokens', () => {
  it('creates, lists and revokes, printing the secret once', async () => {
    const made = await run(['tokens', 'create', '--name', 'siem', '--role', 'viewer', '--data', dir]);
    expect(made.code).toBe(0);
    const token = made.stdout.trim();
    expect(token).toMatch(/^kin_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toMatch(/\(siem, viewer\) stored in .*tokens\.json; it is not shown again/);
    expect(readFileSync(join(dir, 'tokens.json'), 'utf8')).not.toContain(token);
    expect(new TokenFile(join(dir, 'tokens.json')).find(token)?.role).toBe('viewer');

    const list = await run(['tokens', 'list', '--format', 'ndjson', '--data', dir]);
    expect(list.code).toBe(0);
    const [entry] = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; name: string; hash?: string });
    expect(entry).toMatchObject({ name: 'siem', role: 'viewer' });
    expect(entry?.hash).toBeUndefined();

    expect((await run(['tokens', 'revoke', entry?.id ?? '', '--data', dir])).code).toBe(0);
    expect(new TokenFile(join(dir, 'tokens.json')).find(token)).toBeNull();
    expect((await run(['tokens', 'list', '--data', dir])).stdout).toMatch(/siem\s+\S+\s+\d{4}-.*Z\s*$/m);
  });

  it('exits 2 on bad usage and 1 on an unknown token', async () => {
    expect((await run(['tokens', 'create', '--name', 'x', '--role', 'root', '--data', dir])).code).toBe(2);
    expect((await run(['tokens', 'create', '--name', 'two words', '--role', 'viewer', '--data', dir])).code).toBe(2);
    expect((await run(['tokens', 'create', '--role', 'viewer', '--data', dir])).code).toBe(2);
    const unknown = await run(['tokens', 'revoke', '000000000000', '--data', dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ACC_ERR_TOKEN_NOT_FOUND/);
  });
});
