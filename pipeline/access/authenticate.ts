/**
 * Credentials to a principal. A bearer token is looked up among the service's own token (the one
 * local commands use) and the tokens file; HTTP Basic is a directory login, checked by LDAP when
 * it is configured (ldap.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import { hashToken, type TokenFile } from './token-store.js';
import type { Role } from './roles.js';

export interface Principal {
  /** `token:<name>`, the LDAP login, `kintsugi-local` or `anonymous`. */
  readonly name: string;
  readonly role: Role;
  readonly via: 'token' | 'ldap' | 'service' | 'anonymous';
}

export type Credentials =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly user: string; readonly password: string };

export type AuthResult =
  | { readonly kind: 'ok'; readonly principal: Principal }
  /** Wrong token or password: counts as a failed login. */
  | { readonly kind: 'refused'; readonly who: string; readonly reason: string }
  /** A valid login that no role is given to (an LDAP user in none of the mapped groups). */
  | { readonly kind: 'no-role'; readonly who: string; readonly reason: string }
  /** The directory could not be asked: not the caller's fault, not a failed login. */
  | { readonly kind: 'unavailable'; readonly who: string; readonly reason: string };

export interface PasswordChecker {
  check(user: string, password: string): Promise<AuthResult>;
}

/** Reads the Authorization header; null when there is none, `malformed` when it cannot be read. */
export function parseAuthorization(header: string | undefined): Credentials | null | 'malformed' {
  if (header === undefined || header === '') return null;
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer' && value !== '') return { kind: 'bearer', token: value };
  if (scheme === 'basic' && value !== '') {
    const text = Buffer.from(value, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) return 'malformed';
    return { kind: 'basic', user: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  return 'malformed';
}

export interface AuthenticatorOptions {
  readonly tokens: TokenFile;
  /** The SHA-256 (hex) of the running service's own admin token (service-token.ts). */
  readonly serviceTokenHash?: string;
  readonly passwords?: PasswordChecker;
}

export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  async authenticate(credentials: Credentials): Promise<AuthResult> {
    if (credentials.kind === 'basic') {
      if (this.options.passwords === undefined) return { kind: 'refused', who: credentials.user, reason: 'no directory (access.ldap) is configured for logins' };
      return this.options.passwords.check(credentials.user, credentials.password);
    }
    const token = credentials.token;
    const serviceHash = this.options.serviceTokenHash;
    if (serviceHash !== undefined && sameHex(serviceHash, hashToken(token))) return { kind: 'ok', principal: { name: 'kintsugi-local', role: 'admin', via: 'service' } };
    const entry = this.options.tokens.find(token);
    if (entry === null) return { kind: 'refused', who: tokenLabel(token), reason: 'unknown or revoked token' };
    return { kind: 'ok', principal: { name: `token:${entry.name}`, role: entry.role, via: 'token' } };
  }
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What a refused token is called in the audit trail: its id part, never the secret. */
function tokenLabel(token: string): string {
  const m = /^kin_([0-9a-f]{12})_/.exec(token);
  return m !== null ? `token-id:${m[1]}` : 'malformed-token';
}
