/**
 * LDAP logins against a real slapd (Debian's, started here on a loopback port): bind, groups to
 * roles, only the configured groups may act, escaping of odd logins, a directory that is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeDnValue, escapeFilterValue, LdapPasswordChecker, type LdapOptions } from '../../pipeline/access/ldap.js';
import { buildApi } from '../../pipeline/api/server.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { testAccess } from './harness.js';
import { GROUPS, PEOPLE, startSlapd, type Slapd } from './slapd.js';

let slapd: Slapd;
let options: LdapOptions;

beforeAll(async () => {
  slapd = await startSlapd();
  options = {
    url: slapd.url,
    userDn: `uid={user},${PEOPLE}`,
    groupBase: GROUPS,
    roles: {
      [`cn=kintsugi-viewers,${GROUPS}`]: 'viewer',
      [`CN=kintsugi-operators, ${GROUPS.toUpperCase()}`]: 'operator',
      [`cn=kintsugi-approvers,${GROUPS}`]: 'approver',
    },
    timeoutMs: 3000,
    cacheSeconds: 0,
  };
}, 60_000);
afterAll(async () => {
  await slapd?.stop();
});

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

describe('LdapPasswordChecker against slapd', () => {
  it('gives each user the highest role of its mapped groups', async () => {
    const ldap = new LdapPasswordChecker(options);
    expect(await ldap.check('alice', 'alice-pw')).toEqual({ kind: 'ok', principal: { name: 'alice', role: 'viewer', via: 'ldap' } });
    expect(await ldap.check('oscar', 'oscar-pw')).toMatchObject({ kind: 'ok', principal: { role: 'operator' } });
    expect(await ldap.check('april', 'april-pw')).toMatchObject({ kind: 'ok', principal: { role: 'approver' } });
    expect(await ldap.check('nadia', 'nadia-pw')).toMatchObject({ kind: 'no-role' });
  });

  it('refuses wrong passwords, unknown users, empty passwords, and takes odd logins as text', async () => {
    const ldap = new LdapPasswordChecker(options);
    expect(await ldap.check('alice', 'wrong')).toMatchObject({ kind: 'refused' });
    expect(await ldap.check('nobody', 'x')).toMatchObject({ kind: 'refused' });
    expect(await ldap.check('alice', '')).toMatchObject({ kind: 'refused' });
    expect(await ldap.check('o,dd*(user)', 'odd-pw')).toMatchObject({ kind: 'ok', principal: { role: 'operator' } });
    for (const user of ['*', 'alice,ou=people', 'alice)(uid=*', `admin,${PEOPLE}`, '\\2a']) expect((await ldap.check(user, 'alice-pw')).kind).toBe('refused');
  });

  it('says the directory is unavailable, not that the login is wrong, when slapd is not there', async () => {
    const ldap = new LdapPasswordChecker({ ...options, url: 'ldap://127.0.0.1:1', timeoutMs: 500 });
    expect(await ldap.check('alice', 'alice-pw')).toMatchObject({ kind: 'unavailable' });
  });

  it('escapes DN and filter values', () => {
    expect(escapeDnValue('a,b+c"d\\e<f>g;h=i')).toBe('a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
    expect(escapeDnValue(' #x ')).toBe('\\ #x\\ ');
    expect(escapeFilterValue('a*(b)\\')).toBe('a\\2a\\28b\\29\\5c');
  });
});

describe('the API with LDAP logins', () => {
  it('lets only members of the configured groups act, and slows down guessing', async () => {
    const store = new MemoryEventStore();
    const access = testAccess(store, { passwords: new LdapPasswordChecker(options), throttle: { freeFailures: 2 } });
    const app = await buildApi({ store, access: access.deps });
    expect((await app.inject({ url: '/api/events', headers: basic('alice', 'alice-pw') })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/events', headers: basic('nadia', 'nadia-pw') })).statusCode).toBe(403);
    const asOperator = await app.inject({ method: 'POST', url: '/api/items', headers: basic('oscar', 'oscar-pw'), payload: { events: [], deadLetters: [] } });
    expect(asOperator.statusCode).toBe(403);
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: '/api/events', headers: basic('alice', `guess-${i}`), remoteAddress: '10.7.7.7' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/events', headers: basic('alice', 'alice-pw'), remoteAddress: '10.7.7.7' })).statusCode).toBe(429);
    const denied = await store.queryEvents({ action: 'auth.denied' }, { limit: 0 });
    expect(denied.ok && denied.events.map((e) => [e.user?.name, e.recovery.details?.['reason']])).toEqual([
      ['nadia', 'ACC_ERR_FORBIDDEN'],
      ['oscar', 'ACC_ERR_FORBIDDEN'],
      ['alice', 'ACC_ERR_BAD_CREDENTIALS'],
      ['alice', 'ACC_ERR_BAD_CREDENTIALS'],
      ['alice', 'ACC_ERR_BAD_CREDENTIALS'],
      ['anonymous', 'ACC_ERR_THROTTLED'],
    ]);
    await app.close();
    access.cleanup();
  });
});
