/**
 * API tokens, stored hashed in a JSON file (`<data>/tokens.json`, mode 0600). A token is
 * `kin_<id>_<secret>`: the id finds the entry, the secret is 256 random bits, and only the SHA-256
 * of the whole token is kept (a random secret of that size needs no slow hash). The file is
 * written whole to a temporary name and renamed, so a reader never sees half of it; the service
 * reads it again when it changes, so `kintsugi tokens revoke` takes effect without a restart.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AccessError } from './errors.js';
import { isRole, type Role } from './roles.js';

export const TOKENS_FILE = 'tokens.json';

export interface TokenEntry {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the whole token, hex. */
  readonly hash: string;
  readonly created: string;
  readonly revoked?: string;
}

const TOKEN_PATTERN = /^kin_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new token: the secret to hand out once, and the entry to keep. */
export function newToken(name: string, role: Role, now: Date = new Date()): { readonly token: string; readonly entry: TokenEntry } {
  if (!NAME_PATTERN.test(name)) throw new AccessError('ACC_ERR_BAD_TOKEN_NAME', [JSON.stringify(name)]);
  const id = randomBytes(6).toString('hex');
  const token = `kin_${id}_${randomBytes(32).toString('base64url')}`;
  return { token, entry: { id, name, role, hash: hashToken(token), created: now.toISOString() } };
}

/** The entry a token belongs to, if it is one of these and not revoked. */
export function matchToken(entries: readonly TokenEntry[], token: string): TokenEntry | null {
  const m = TOKEN_PATTERN.exec(token);
  if (m === null) return null;
  const entry = entries.find((e) => e.id === m[1]);
  if (entry === undefined || entry.revoked !== undefined) return null;
  const want = Buffer.from(entry.hash, 'hex');
  const got = Buffer.from(hashToken(token), 'hex');
  return want.length === got.length && timingSafeEqual(want, got) ? entry : null;
}

function isEntry(v: unknown): v is TokenEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e['id'] === 'string' &&
    typeof e['name'] === 'string' &&
    isRole(e['role']) &&
    typeof e['hash'] === 'string' &&
    /^[0-9a-f]{64}$/.test(e['hash']) &&
    typeof e['created'] === 'string' &&
    (e['revoked'] === undefined || typeof e['revoked'] === 'string')
  );
}

/** The tokens file of a data folder (or any path). Cheap to ask often: it reads only on change. */
export class TokenFile {
  private cache: { readonly stamp: string; readonly entries: readonly TokenEntry[] } | null = null;

  constructor(readonly path: string) {}

  static inDataDir(dataDir: string): TokenFile {
    return new TokenFile(join(dataDir, TOKENS_FILE));
  }

  /** Every entry, revoked ones included; none when the file does not exist yet. */
  entries(): readonly TokenEntry[] {
    let stamp: string;
    try {
      const s = statSync(this.path);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return [];
    }
    if (this.cache?.stamp === stamp) return this.cache.entries;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err: unknown) {
      throw new AccessError('ACC_ERR_TOKENS_FILE', [this.path, err instanceof Error ? err.message : String(err)]);
    }
    const list = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['tokens'] : undefined;
    if (!Array.isArray(list) || !list.every(isEntry)) throw new AccessError('ACC_ERR_TOKENS_FILE', [this.path, 'it is not a kintsugi tokens file']);
    this.cache = { stamp, entries: list };
    return list;
  }

  find(token: string): TokenEntry | null {
    return matchToken(this.entries(), token);
  }

  /** Adds a new token; returns its secret (shown once, never stored). */
  create(name: string, role: Role): { readonly token: string; readonly entry: TokenEntry } {
    const made = newToken(name, role);
    this.write([...this.entries(), made.entry]);
    return made;
  }

  /** Marks a token revoked (kept for the audit trail). Revoking twice changes nothing. */
  revoke(id: string, now: Date = new Date()): TokenEntry {
    const entries = this.entries();
    const entry = entries.find((e) => e.id === id);
    if (entry === undefined) throw new AccessError('ACC_ERR_TOKEN_NOT_FOUND', [JSON.stringify(id)]);
    if (entry.revoked !== undefined) return entry;
    const revoked: TokenEntry = { ...entry, revoked: now.toISOString() };
    this.write(entries.map((e) => (e.id === id ? revoked : e)));
    return revoked;
  }

  private write(entries: readonly TokenEntry[]): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      if (!existsSync(dirname(this.path))) mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(tmp, `${JSON.stringify({ version: 1, tokens: entries }, null, 2)}\n`, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
    } catch (err: unknown) {
      throw new AccessError('ACC_ERR_TOKENS_FILE', [this.path, err instanceof Error ? err.message : String(err)]);
    }
    this.cache = null;
  }
}
