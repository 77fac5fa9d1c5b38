/**
 * The running service's own admin token, for the commands that go through its API on the same
 * data folder (`kintsugi query`, `ingest`, `alerts`). Made new at each start, written to
 * `<data>/service.token` (mode 0600) and removed at stop: whoever may read the data folder may
 * open the store itself anyway, so this gives them nothing more.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken } from './token-store.js';

export const SERVICE_TOKEN_FILE = 'service.token';

/** Writes a new service token; returns its hash for the authenticator. */
export function issueServiceToken(dataDir: string): string {
  const token = `kin_local_${randomBytes(32).toString('base64url')}`;
  writeFileSync(join(dataDir, SERVICE_TOKEN_FILE), `${token}\n`, { mode: 0o600 });
  return hashToken(token);
}

export function removeServiceToken(dataDir: string): void {
  rmSync(join(dataDir, SERVICE_TOKEN_FILE), { force: true });
}

/** The header a local command sends to the service of `dataDir`; none when there is no token. */
export function serviceAuthHeaders(dataDir: string): Record<string, string> {
  try {
    const token = readFileSync(join(dataDir, SERVICE_TOKEN_FILE), 'utf8').trim();
    return token === '' ? {} : { authorization: `Bearer ${token}` };
  } catch {
    return {};
  }
}
