/**
 * LDAP logins (ldapts): bind as the user, then, as that user, find its groups and give it the
 * highest role the configuration maps one of them to. Logins and DNs reach the directory escaped
 * (a DN value by RFC 4514, a filter value by RFC 4515), never as syntax.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, InvalidCredentialsError, type ClientOptions } from 'ldapts';
import type { AuthResult, PasswordChecker } from './authenticate.js';
import { highestRole, type Role } from './roles.js';

export interface LdapOptions {
  readonly url: string;
  /** `uid={user},ou=people,dc=example,dc=org` */
  readonly userDn: string;
  readonly groupBase: string;
  /** `{dn}` stands for the user's DN. */
  readonly groupFilter?: string;
  /** Group DN to role. */
  readonly roles: Readonly<Record<string, Role>>;
  readonly caFile?: string;
  readonly startTls?: boolean;
  readonly timeoutMs?: number;
  readonly cacheSeconds?: number;
}

export const DEFAULT_GROUP_FILTER = '(&(objectClass=groupOfNames)(member={dn}))';

/** A DN attribute value, escaped (RFC 4514 section 2.4). */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** A filter assertion value, escaped (RFC 4515 section 3). */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** DNs compared the way directories do for these: case and spaces around separators ignored. */
export function normalizeDn(dn: string): string {
  return dn.replace(/\s*([,=+])\s*/g, '$1').trim().toLowerCase();
}

export class LdapPasswordChecker implements PasswordChecker {
  private readonly roles: ReadonlyMap<string, Role>;
  private readonly cache = new Map<string, { readonly result: AuthResult; readonly until: number }>();
  private readonly tlsCa: Buffer | undefined;

  constructor(
    readonly options: LdapOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.roles = new Map(Object.entries(options.roles).map(([dn, role]) => [normalizeDn(dn), role]));
    this.tlsCa = options.caFile !== undefined ? readFileSync(options.caFile) : undefined;
  }

  async check(user: string, password: string): Promise<AuthResult> {
    // An empty password would be an "unauthenticated bind", which directories accept as anonymous.
    if (user === '' || user.length > 256 || password === '') return { kind: 'refused', who: user.slice(0, 256), reason: 'an empty login or password' };
    const key = createHash('sha256').update(`${user}\0${password}`).digest('hex');
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.until > this.now()) return hit.result;
    const result = await this.ask(user, password);
    const ttl = (this.options.cacheSeconds ?? 60) * 1000;
    if (ttl > 0 && (result.kind === 'ok' || result.kind === 'no-role')) {
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(key, { result, until: this.now() + ttl });
    }
    return result;
  }

  private async ask(user: string, password: string): Promise<AuthResult> {
    const timeout = this.options.timeoutMs ?? 5000;
    const tlsOptions = this.tlsCa !== undefined ? { ca: this.tlsCa } : undefined;
    const clientOptions: ClientOptions = { url: this.options.url, timeout, connectTimeout: timeout, ...(tlsOptions !== undefined ? { tlsOptions } : {}) };
    const client = new Client(clientOptions);
    const dn = this.options.userDn.replace(/\{user\}/g, escapeDnValue(user));
    try {
      if (this.options.startTls === true) await client.startTLS(tlsOptions ?? {});
      try {
        await client.bind(dn, password);
      } catch (err: unknown) {
        if (err instanceof InvalidCredentialsError) return { kind: 'refused', who: user, reason: 'the directory refused the login' };
        throw err;
      }
      const filter = (this.options.groupFilter ?? DEFAULT_GROUP_FILTER).replace(/\{dn\}/g, escapeFilterValue(dn));
      const { searchEntries } = await client.search(this.options.groupBase, { scope: 'sub', filter, attributes: ['dn'] });
      const roles = searchEntries.flatMap((e) => {
        const role = this.roles.get(normalizeDn(e.dn));
        return role === undefined ? [] : [role];
      });
      const role = highestRole(roles);
      if (role === null) return { kind: 'no-role', who: user, reason: `no group of ${user} is mapped to a role (access.ldap.roles)` };
      return { kind: 'ok', principal: { name: user, role, via: 'ldap' } };
    } catch (err: unknown) {
      return { kind: 'unavailable', who: user, reason: `${this.options.url}: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}
