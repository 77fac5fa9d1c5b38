/**
 * The built-in demo fleet (`kintsugi demo`, `npm start`): a few simulated hosts in a data folder,
 * 3.2 and 4.2, one with two OS instances side by side; each instance a directory tree with kernel
 * modules, snapshotted into its host's repository; an instance map and a recovery policy (demo
 * hosts restore automatically) written beside them. Built once; a second start finds it and goes on.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { Repository } from '../repository/repository.js';
import { withLock } from '../repository/lock.js';
import { createTreeSnapshot } from '../snapshot/create-tree.js';

export interface DemoInstance {
  readonly host: string;
  readonly id: string;
  readonly osLine: '3.2' | '4.2';
  readonly version: string;
}

/** web-01 has two instances; the wizard damages web-01/os-a's ixgbe module again and again. */
export const DEMO_INSTANCES: readonly DemoInstance[] = [
  { host: 'web-01', id: 'os-a', osLine: '4.2', version: '4.2.3' },
  { host: 'web-01', id: 'os-b', osLine: '4.2', version: '4.2.3' },
  { host: 'web-02', id: 'default', osLine: '4.2', version: '4.2.3' },
  { host: 'db-01', id: 'default', osLine: '3.2', version: '3.2.7' },
  { host: 'db-02', id: 'default', osLine: '3.2', version: '3.2.7' },
];

export const DEMO_MODULES = ['kernel/drivers/net/ixgbe.ko', 'kernel/fs/ext4.ko', 'kernel/drivers/scsi/sd_mod.ko'] as const;

export interface DemoLayout {
  readonly fleetDir: string;
  readonly instancesFile: string;
  readonly policyFile: string;
  readonly logsDir: string;
  root(i: DemoInstance): string;
  repo(host: string): string;
  /** The log a host's wizard writes: recovery.log (3.2) or ops.jsonl (4.2). */
  log(host: string): string;
  modulePath(i: DemoInstance, module: string): string;
}

export function demoLayout(dataDir: string): DemoLayout {
  const fleetDir = join(dataDir, 'fleet');
  const lineOf = (host: string): string => DEMO_INSTANCES.find((i) => i.host === host)?.osLine ?? '4.2';
  return {
    fleetDir,
    instancesFile: join(fleetDir, 'instances.yaml'),
    policyFile: join(fleetDir, 'policy.yaml'),
    logsDir: join(fleetDir, 'logs'),
    root: (i) => join(fleetDir, 'hosts', i.host, i.id),
    repo: (host) => join(fleetDir, 'repos', host),
    log: (host) => join(fleetDir, 'logs', host, lineOf(host) === '3.2' ? 'recovery.log' : 'ops.jsonl'),
    modulePath: (i, module) => `/lib/modules/${i.version}/${module}`,
  };
}

/** Deterministic module bytes (an ELF-looking header and a hash stream): the same on every machine. */
export function moduleBytes(i: DemoInstance, module: string, size = 48 * 1024): Buffer {
  const out = Buffer.alloc(size);
  Buffer.from('\x7fELF\x02\x01\x01', 'latin1').copy(out);
  let block = createHash('sha256').update(`${i.host}/${i.id}/${module}`).digest();
  for (let pos = 16; pos < size; pos += block.length) {
    block.copy(out, pos);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

function put(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** Builds the fleet if it is not there yet; returns whether it was built now. */
export async function ensureDemoFleet(dataDir: string, say: (line: string) => void): Promise<boolean> {
  const layout = demoLayout(dataDir);
  if (existsSync(layout.instancesFile)) return false;
  say(`building the demo fleet in ${layout.fleetDir}`);
  const hosts = [...new Set(DEMO_INSTANCES.map((i) => i.host))];
  for (const host of hosts) {
    if (!existsSync(join(layout.repo(host), 'config'))) Repository.init(layout.repo(host));
    put(join(layout.fleetDir, 'hosts', host, 'boot', 'grub.cfg'), `# ${host}\n${DEMO_INSTANCES.filter((i) => i.host === host).map((i) => `menuentry "${i.id} ${i.version}" { linux /${i.id}/vmlinuz }`).join('\n')}\n`);
  }
  for (const i of DEMO_INSTANCES) {
    const root = layout.root(i);
    for (const m of DEMO_MODULES) put(join(root, layout.modulePath(i, m)), moduleBytes(i, m));
    put(join(root, 'etc', 'os-release'), `NAME=Recovering OS\nVERSION=${i.version}\nINSTANCE=${i.id}\n`);
    put(join(root, 'etc', 'hostname'), `${i.host}\n`);
    const repo = Repository.open(layout.repo(i.host));
    const snap = await withLock(repo.dir, 'exclusive', 'snapshot create', () =>
      createTreeSnapshot(repo, { source: root, host: i.host, instance: i.id, os: { line: i.osLine, version: i.version }, tags: ['demo'], signingKey: repo.signingKey(), time: new Date(Date.now() - 86_400_000), progress: false }),
    );
    say(`snapshot ${snap.id.slice(0, 12)} of ${i.host}/${i.id} (${i.osLine}, ${i.version}) in ${repo.dir}`);
  }
  const map = {
    hosts: hosts.map((host) => ({
      host,
      instances: DEMO_INSTANCES.filter((i) => i.host === host).map((i) => ({ id: i.id, osLine: i.osLine, version: i.version, root: layout.root(i), repository: layout.repo(host), bootConfig: join(layout.fleetDir, 'hosts', host, 'boot', 'grub.cfg') })),
    })),
  };
  put(layout.policyFile, `# The demo's recovery policy (restore-runner/recovery-policy/README.md)\n${stringify({ version: 1, max_concurrent_restores: 2, defaults: { restore: 'approval' }, groups: [{ name: 'demo', hosts: ['web-*', 'db-*'], restore: 'auto', cooldown: '5m' }] })}`);
  // Written last: its presence says the fleet is whole.
  put(layout.instancesFile, `# The demo's instance map (restore-runner/instances/README.md)\n${stringify(map)}`);
  return true;
}
