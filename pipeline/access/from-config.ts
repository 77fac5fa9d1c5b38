/** The access guard's parts from the configuration's `access:` section (pipeline/config/schema.ts). */
import type { Config } from '../config/schema.js';
import type { EventStore } from '../store/event-store.js';
import { AuditTrail, type AuditLogger } from './audit.js';
import { Authenticator } from './authenticate.js';
import type { AccessErrorCode } from './errors.js';
import type { AccessDeps } from './guard.js';
import { LdapPasswordChecker } from './ldap.js';
import { issueServiceToken } from './service-token.js';
import { DEFAULT_THROTTLE, LoginThrottle } from './throttle.js';
import { tokensFileOf } from './token-store.js';

export type AccessConfig = NonNullable<Config['access']>;

/** The guard of a running service: its own service token is issued here (service-token.ts). */
export function accessFromConfig(access: AccessConfig | undefined, dataDir: string, store: EventStore, logError: AuditLogger, onDenied?: (code: AccessErrorCode) => void): AccessDeps {
  const t = access?.throttle ?? {};
  const tokens = tokensFileOf(access, dataDir);
  return {
    tokens,
    authenticator: new Authenticator({
      tokens,
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
