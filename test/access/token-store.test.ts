/** The tokens file: stored hashed, 0600, revocation kept, a damaged file refused by name. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken, TokenFile } from '../../pipeline/access/token-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kintsugi-tokens-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('TokenFile', () => {
  it('stores only the hash, in a file only its owner reads', () => {
    const file = new TokenFile(join(dir, 'tokens.json'));
    const { token, entry } = file.create('siem', 'viewer');
    const text = readFileSync(file.path, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(-43));
    expect(text).toContain(hashToken(token));
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(file.find(token)?.id).toBe(entry.id);
    expect(new TokenFile(file.path).find(token)?.role).toBe('viewer');
  });

  it('refuses a token with a right id and a wrong secret, and garbage', () => {
    const file = new TokenFile(join(dir, 'tokens.json'));
    const { token } = file.create('a', 'admin');
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(file.find(wrong)).toBeNull();
    for (const t of ['', 'kin_', token.toUpperCase(), `${token}x`, "' OR 1=1 --"]) expect(file.find(t)).toBeNull();
  });

  it('revokes, keeps the entry, and another reader of the file sees it at once', () => {
    const path = join(dir, 'tokens.json');
    const writer = new TokenFile(path);
    const reader = new TokenFile(path);
    const { token, entry } = writer.create('ops', 'operator');
    expect(reader.find(token)).not.toBeNull();
    writer.revoke(entry.id);
    expect(reader.find(token)).toBeNull();
    expect(reader.entries().find((e) => e.id === entry.id)?.revoked).toMatch(/^\d{4}-/);
    expect(() => writer.revoke('000000000000')).toThrow(/ACC_ERR_TOKEN_NOT_FOUND/);
  });

  it('names a damaged file and refuses a bad name', () => {
    const path = join(dir, 'tokens.json');
    writeFileSync(path, '{"tokens": [{"id": 1}]}');
    expect(() => new TokenFile(path).entries()).toThrow(/ACC_ERR_TOKENS_FILE.*tokens\.json/);
    expect(() => new TokenFile(join(dir, 'b.json')).create('no spaces', 'viewer')).toThrow(/ACC_ERR_BAD_TOKEN_NAME/);
    expect(new TokenFile(join(dir, 'none.json')).entries()).toEqual([]);
  });
});
