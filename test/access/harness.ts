/** Access for API tests: a real tokens file in a temp folder with one token per role. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail } from '../../pipeline/access/audit.js';
import { Authenticator, type PasswordChecker } from '../../pipeline/access/authenticate.js';
import type { AccessDeps } from '../../pipeline/access/guard.js';
import { ROLES, type Role } from '../../pipeline/access/roles.js';
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleOptions } from '../../pipeline/access/throttle.js';
import { TokenFile } from '../../pipeline/access/token-store.js';
import type { EventStore } from '../../pipeline/store/event-store.js';

export interface TestAccess {
  readonly deps: AccessDeps;
  readonly tokens: TokenFile;
  /** A valid token of each role. */
  readonly token: Readonly<Record<Role, string>>;
  /** `{ authorization: 'Bearer …' }` of a role. */
  headers(role: Role): Record<string, string>;
  cleanup(): void;
}

export function testAccess(
  store: EventStore,
  options: { anonymous?: Role; throttle?: Partial<ThrottleOptions>; now?: () => number; passwords?: PasswordChecker } = {},
): TestAccess {
  const dir = mkdtempSync(join(tmpdir(), 'kintsugi-access-'));
  const tokens = new TokenFile(join(dir, 'tokens.json'));
  const token = Object.fromEntries(ROLES.map((r) => [r, tokens.create(`test-${r}`, r).token])) as Record<Role, string>;
  const deps: AccessDeps = {
    authenticator: new Authenticator({ tokens, ...(options.passwords !== undefined ? { passwords: options.passwords } : {}) }),
    audit: new AuditTrail(store),
    throttle: new LoginThrottle({ ...DEFAULT_THROTTLE, ...options.throttle }, options.now),
    ...(options.anonymous !== undefined ? { anonymous: options.anonymous } : {}),
  };
  return {
    deps,
    tokens,
    token,
    headers: (role) => ({ authorization: `Bearer ${token[role]}` }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
