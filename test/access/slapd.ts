/**
 * A real OpenLDAP slapd from Debian for the tests: its own slapd.conf and database in a temp
 * folder (never the system's), on a free loopback port, loaded with a test directory by slapadd.
 * Installs the packages when missing (apt-get), as the other tests' services do.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SUFFIX = 'dc=kintsugi,dc=test';
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;

/** login → password and the groups it is in (cn). */
export const USERS: Readonly<Record<string, { password: string; groups: readonly string[] }>> = {
  alice: { password: 'alice-pw', groups: ['kintsugi-viewers'] },
  oscar: { password: 'oscar-pw', groups: ['kintsugi-operators', 'kintsugi-viewers'] },
  april: { password: 'april-pw', groups: ['kintsugi-approvers'] },
  nadia: { password: 'nadia-pw', groups: ['other-team'] },
  'o,dd*(user)': { password: 'odd-pw', groups: ['kintsugi-operators'] },
};
export const GROUP_NAMES = ['kintsugi-viewers', 'kintsugi-operators', 'kintsugi-approvers', 'other-team'] as const;

export interface Slapd {
  readonly url: string;
  stop(): Promise<void>;
}

function ensureInstalled(): void {
  if (existsSync('/usr/sbin/slapd') && existsSync('/usr/sbin/slapadd')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', 'slapd', 'ldap-utils'], { env, stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['update'], { env, stdio: 'ignore' });
    execFileSync('apt-get', ['install', '-y', 'slapd', 'ldap-utils'], { env, stdio: 'ignore' });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function escapeDn(v: string): string {
  return v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
}

function ldif(): string {
  const entries = [
    `dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: kintsugi\ndc: kintsugi`,
    `dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ${GROUPS}\nobjectClass: organizationalUnit\nou: groups`,
    ...Object.entries(USERS).map(([uid, u]) => `dn: uid=${escapeDn(uid)},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nuserPassword: ${u.password}`),
    ...GROUP_NAMES.map((g) => {
      const members = Object.entries(USERS).filter(([, u]) => u.groups.includes(g)).map(([uid]) => `member: uid=${escapeDn(uid)},${PEOPLE}`);
      return `dn: cn=${g},${GROUPS}\nobjectClass: groupOfNames\ncn: ${g}\n${members.join('\n')}`;
    }),
  ];
  return `${entries.join('\n\n')}\n`;
}

async function waitForPort(port: number, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`slapd did not listen on ${port} within ${ms} ms`);
}

export async function startSlapd(): Promise<Slapd> {
  ensureInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'kintsugi-slapd-'));
  mkdirSync(join(dir, 'db'));
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      'database mdb',
      'maxsize 16777216',
      `suffix "${SUFFIX}"`,
      `rootdn "cn=admin,${SUFFIX}"`,
      'rootpw admin-secret',
      `directory ${join(dir, 'db')}`,
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'data.ldif'), ldif());
  execFileSync('/usr/sbin/slapadd', ['-f', conf, '-l', join(dir, 'data.ldif')], { stdio: 'pipe' });
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d 0: stay in the foreground (the test owns the process) without debug output.
  const child = spawn('/usr/sbin/slapd', ['-f', conf, '-h', `${url}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    await waitForPort(port, child, 15_000);
  } catch (err: unknown) {
    child.kill('SIGKILL');
    throw new Error(`${err instanceof Error ? err.message : String(err)}: ${stderr}`);
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
