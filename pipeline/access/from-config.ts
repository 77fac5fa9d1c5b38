/** The access guard's parts from the configuration's `access:` section (pipeline/config/schema.ts). */
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { EventStore } from '../store/event-store.js';
import { AuditTrail, type AuditLogger } from './audit.js';
import { Authenticator } from './authenticate.js';
import type { AccessErrorCode } from './errors.js';
import type { AccessDeps } from './guard.js';
import { LdapPasswordChecker } from './ldap.js';
import { issueServiceToken } from './service-token.js';
import { DEFAULT_THROTTLE, LoginThrottle } from './throttle.js';
import { TOKENS_FILE, TokenFile } from './token-store.js';

export type AccessConfig = NonNullable<Config['access']>;

/** The tokens file a configuration names (relative to the data folder), else `<data>/tokens.json`. */
export function tokensFileOf(access: AccessConfig | undefined, dataDir: string): TokenFile {
  const path = access?.tokensFile;
  return new TokenFile(path === undefined ? join(dataDir, TOKENS_FILE) : isAbsolute(path) ? path : join(dataDir, path));
}

/** The guard of a running service: its own service token is issued here (service-token.ts). */
export function accessFromConfig(access: AccessConfig | undefined, dataDir: string, store: EventStore, logError: AuditLogger, onDenied?: (code: AccessErrorCode) => void): AccessDeps {
  const t = access?.throttle ?? {};
  return {
    authenticator: new Authenticator({
      tokens: tokensFileOf(access, dataDir),
      serviceTokenHash: issueServiceToken(dataDir),
      ...(access?.ldap !== undefined ? { passwords: new LdapPasswordChecker(access.ldap) } : {}),
    }),
    audit: new AuditTrail(store, logError),
    throttle: new LoginThrottle({
      ...DEFAULT_THROTTLE,
      ...(t.freeFailures !== undefined ? { freeFailures: t.freeFailures } : {}),
      ...(t.baseDelayMs !== undefined ? { baseDelayMs: t.baseDelayMs } : {}),
      ...(t.maxDelayMs !== undefined ? { maxDelayMs: t.maxDelayMs } : {}),
    }),
    ...(access?.anonymous !== undefined ? { anonymous: access.anonymous } : {}),
    ...(onDenied !== undefined ? { onDenied } : {}),
  };
}
