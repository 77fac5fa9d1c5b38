/**
 * The access error catalogue: stable codes, the HTTP status the API answers with, and messages
 * that say what to do. Documented in README.md of this folder.
 */
interface CatalogueEntry {
  readonly message: string;
  readonly httpStatus: number;
}

export const ACCESS_ERRORS = {
  ACC_ERR_UNAUTHENTICATED: { message: 'This route needs credentials (%s): send "Authorization: Bearer <token>" (kintsugi tokens create) or, with LDAP configured, HTTP Basic with your directory login.', httpStatus: 401 },
  ACC_ERR_BAD_CREDENTIALS: { message: 'The credentials were refused (%s): check the token or the login; repeated failures from one address are slowed down.', httpStatus: 401 },
  ACC_ERR_FORBIDDEN: { message: '%s has role %s; %s %s needs %s: ask an admin for a token or an LDAP group with that role.', httpStatus: 403 },
  ACC_ERR_THROTTLED: { message: 'Too many failed logins from %s: try again in %s s.', httpStatus: 429 },
  ACC_ERR_LDAP_UNAVAILABLE: { message: 'The LDAP directory %s does not answer (%s): try again; if it lasts, check access.ldap.url.', httpStatus: 503 },
  ACC_ERR_NO_ROLE: { message: 'Route %s %s declares no role: give it config.role (one of viewer, operator, approver, admin, public).', httpStatus: 500 },
  ACC_ERR_TOKENS_FILE: { message: 'Cannot use the tokens file %s (%s): check the data folder, or pass --data.', httpStatus: 500 },
  ACC_ERR_TOKEN_NOT_FOUND: { message: 'No token has id %s: kintsugi tokens list shows them.', httpStatus: 404 },
  ACC_ERR_BAD_TOKEN_NAME: { message: 'The token name %s is not allowed: use 1 to 64 letters, digits, dots, dashes or underscores.', httpStatus: 400 },
} as const satisfies Record<string, CatalogueEntry>;

export type AccessErrorCode = keyof typeof ACCESS_ERRORS;

export class AccessError extends Error {
  override readonly name = 'AccessError';
  readonly httpStatus: number;
  constructor(
    readonly code: AccessErrorCode,
    args: readonly (string | number)[],
    options?: { readonly cause?: unknown },
  ) {
    let i = 0;
    super(`${code}: ${ACCESS_ERRORS[code].message.replace(/%s/g, () => String(args[i++] ?? '%s'))}`, options);
    this.httpStatus = ACCESS_ERRORS[code].httpStatus;
  }
}
