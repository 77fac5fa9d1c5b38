/**
 * The closed loop through the real `kintsugi serve`: OPS logs written → recurring-module-corruption
 * alert → restore job → policy → verified restore of the chosen instance → the runner's events
 * followed back into the store, one trace under the alert's correlation id from the corrupt
 * checks (linked in from their sessions) to `restore.end`. And the blast-radius guard: corruption
 * across the fleet raises the fleet alert and no automated restore runs.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { serviceAuthHeaders } from '../../../pipeline/access/service-token.js';
import { TokenFile, TOKENS_FILE } from '../../../pipeline/access/token-store.js';
import { ulid } from '../../../restore-runner/events/ulid.js';
import { CLI, runCli } from '../../cli/run-cli.js';
import { tempDir } from '../helpers.js';
import { makeFleet, MODULE_PATH, write } from './fleet.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function check(host: string, instance: string, cid: string, timeMs: number): string {
  return JSON.stringify({ schema: 2, time: timeMs, event_id: ulid(timeMs), host: { name: host }, os: { version: '4.2.3', instance }, op: 'check.file', status: 'corrupt', code: 'E1207', correlation_id: cid, file: { path: MODULE_PATH }, message: 'checksum mismatch' });
}

interface Setup {
  readonly dir: string;
  readonly data: string;
  readonly fleet: ReturnType<typeof makeFleet>;
  readonly config: string;
}

function setup(lines: readonly string[], before: (fleet: ReturnType<typeof makeFleet>) => void = () => undefined): Setup {
  const dir = tempDir('loop');
  const fleet = makeFleet(join(dir, 'fleet'));
  before(fleet);
  fleet.snapshot('os-a', new Date(Date.now() - 86_400_000).toISOString());
  fleet.snapshot('os-b', new Date(Date.now() - 86_400_000).toISOString());
  for (const i of ['os-a', 'os-b']) write(join(fleet.root(i), MODULE_PATH), Buffer.alloc(20_000, 'CORRUPT'));
  const instances = join(dir, 'instances.yaml');
  writeFileSync(instances, stringify({ hosts: [{ host: 'lab-1', instances: ['os-a', 'os-b'].map((i) => ({ id: i, osLine: '4.2', version: '4.2.3', root: fleet.root(i), repository: fleet.repo.dir, bootConfig: join(dir, 'grub.cfg') })) }] }));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, stringify({ version: 1, groups: [{ name: 'lab', hosts: ['lab-*'], restore: 'auto', cooldown: '1m' }] }));
  write(join(dir, 'logs', 'ops.jsonl'), `${lines.join('\n')}\n`);
  const data = join(dir, 'data');
  const config = join(dir, 'kintsugi.yaml');
  writeFileSync(config, stringify({ data, api: { port: 0 }, followers: { pollIntervalMs: 50, idleFlushMs: 200 }, sources: [{ name: 'ops', format: 'ops', paths: [join(dir, 'logs', '*.jsonl')] }], restores: { policy, instances } }));
  return { dir, data, fleet, config };
}

function serve(config: string): ChildProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it)`);
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.resume();
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`serve exited ${code}: ${err}\n`);
  });
  children.push(child);
  return child;
}

function jobs(data: string): Record<string, unknown>[] {
  const dir = join(data, 'restores', 'jobs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.endsWith('.json')).map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as Record<string, unknown>);
}

async function api(data: string, path: string): Promise<unknown> {
  const url = (JSON.parse(readFileSync(join(data, 'service.json'), 'utf8')) as { url: string }).url;
  const r = await fetch(`${url}${path}`, { headers: serviceAuthHeaders(data) });
  return r.ok ? r.json() : undefined;
}

function stopped(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

describe('closed loop through kintsugi serve', () => {
  it('a runner killed (SIGKILL) mid-restore leaves no half-written file and resumes the job on restart: one start, one end', async () => {
    const t0 = Date.now() - 3_600_000;
    const big = randomBytes(24 * 1024 * 1024); // large enough that the restore takes a while to write, fsync and read back
    const s = setup([0, 1, 2].map((n) => check('lab-1', 'os-a', `session-${n}`, t0 + n * 60_000)), (fleet) => write(join(fleet.root('os-a'), MODULE_PATH), big));
    const damaged = Buffer.alloc(20_000, 'CORRUPT');
    const log = join(s.data, 'runner', 'ops.jsonl');
    const first = serve(s.config);
    await until('restore.start in the runner log', () => (existsSync(log) && readFileSync(log, 'utf8').includes('"restore.start"') ? true : undefined), 240_000, 5);
    first.kill('SIGKILL');
    await stopped(first);
    const [killed] = jobs(s.data);
    expect(killed?.['state'], 'the restore ended before the kill: nothing was tested').toBe('running');
    // Whole or not at all: the damaged bytes, or the snapshot's.
    const now = readFileSync(join(s.fleet.root('os-a'), MODULE_PATH));
    expect(now.equals(damaged) || now.equals(big)).toBe(true);

    const second = serve(s.config);
    const done = await until('the resumed job to end', () => jobs(s.data).find((j) => j['state'] === 'succeeded' || j['state'] === 'failed'));
    expect(done['state'], JSON.stringify(done, null, 2)).toBe('succeeded');
    expect(done['interruptions']).toBe(1);
    expect(readFileSync(join(s.fleet.root('os-a'), MODULE_PATH)).equals(big)).toBe(true);
    const leftovers = readdirSync(s.fleet.root('os-a'), { recursive: true }).map(String).filter((p) => p.includes('.kintsugi-tmp-'));
    expect(leftovers).toEqual([]);
    type Node = { event: { event: { action: string } } };
    const trace = await until('restore.end in the store', async () => {
      const t = (await api(s.data, `/api/traces/${String(done['correlationId'])}`)) as { nodes: Node[] } | undefined;
      return t?.nodes.some((n) => n.event.event.action === 'restore.end') === true ? t : undefined;
    });
    const actions = trace.nodes.map((n) => n.event.event.action);
    expect(actions.filter((a) => a === 'restore.start')).toHaveLength(1);
    expect(actions.filter((a) => a === 'restore.end')).toHaveLength(1);
    second.kill('SIGINT');
    expect(await stopped(second)).toBe(0);
  }, 480_000);

  it('logs → alert → job → verified restore of the chosen instance → runner events in the store, one trace', async () => {
    const t0 = Date.now() - 3_600_000;
    const s = setup([0, 1, 2].map((n) => check('lab-1', 'os-a', `session-${n}`, t0 + n * 60_000)));
    const child = serve(s.config);
    const done = await until('the restore job to end', () => jobs(s.data).find((j) => j['state'] === 'succeeded' || j['state'] === 'failed'));
    expect(done['state'], JSON.stringify(done, null, 2)).toBe('succeeded');
    expect(readFileSync(join(s.fleet.root('os-a'), MODULE_PATH))).toEqual(Buffer.alloc(20_000, 'good module of os-a '));
    expect(readFileSync(join(s.fleet.root('os-b'), MODULE_PATH))).toEqual(Buffer.alloc(20_000, 'CORRUPT'));

    const alerts = (await api(s.data, '/api/alerts?rule=recurring-module-corruption')) as { alerts: { recovery: { correlation_id: string }; event: { id: string } }[] };
    const alert = alerts.alerts[0];
    expect(alert?.recovery.correlation_id).toBe(done['correlationId']);
    type Node = {
      event: { event: { id: string; action: string }; recovery: { status: string; parent_id?: string; correlation_id?: string } };
      parent: { kind: string; parentId?: string };
      linked?: { via: string; correlationId: string | null; alertId?: string };
    };
    const cid = alert?.recovery.correlation_id ?? '';
    const trace = await until('restore.end in the trace', async () => {
      const t = (await api(s.data, `/api/traces/${cid}`)) as { nodes: Node[]; linksCut: boolean } | undefined;
      return t?.nodes.some((n) => n.event.event.action === 'restore.end') === true ? t : undefined;
    });
    // One request, detection and repair: the corrupt checks the alert counted, from their own
    // sessions, then the runner's events under the alert's correlation id.
    expect(trace.nodes.map((n) => `${n.event.event.action}:${n.event.recovery.status}`)).toEqual([
      'check.file:corrupt',
      'check.file:corrupt',
      'check.file:corrupt',
      'integrity.verify:corrupt',
      'restore.start:started',
      'restore.file:ok',
      'integrity.verify:ok',
      'restore.end:ok',
    ]);
    expect(trace.nodes.map((n) => n.event.recovery.correlation_id)).toEqual(['session-0', 'session-1', 'session-2', cid, cid, cid, cid, cid]);
    expect(trace.nodes.map((n) => n.linked)).toEqual([
      { via: 'parent', correlationId: 'session-0' },
      { via: 'alert', correlationId: 'session-1', alertId: alert?.event.id },
      { via: 'alert', correlationId: 'session-2', alertId: alert?.event.id },
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // The restore's first event hangs under the first corrupt check, now a node of the trace.
    expect(trace.nodes[3]?.parent).toEqual({ kind: 'present', parentId: trace.nodes[0]?.event.event.id });
    expect(trace.linksCut).toBe(false);

    // The same trace from the command, through the service, linked rows marked.
    const shown = await runCli(['query', 'trace', cid, '--data', s.data]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`trace ${cid}: 8 events (3 linked from other correlation ids)`);
    expect(shown.stdout).toMatch(/^\S+ {2}check\.file corrupt lab-1 .*<- linked from session-0: parent of an event here$/m);
    expect(shown.stdout).toMatch(/^\S+ {4}integrity\.verify corrupt lab-1 /m);
    expect(shown.stdout).toMatch(new RegExp(`^\\S+ {2}check\\.file corrupt lab-1 .*<- linked from session-2: behind alert ${alert?.event.id ?? ''}$`, 'm'));

    child.kill('SIGINT');
    expect(await stopped(child)).toBe(0);
  }, 300_000);

  it('blast-radius guard: the same module corrupt on 5 hosts raises the fleet alert and no automated restore runs', async () => {
    const t0 = Date.now() - 1_800_000;
    const lines = [0, 1, 2].map((n) => check('lab-1', 'os-a', `session-${n}`, t0 + n * 60_000));
    for (const h of [2, 3, 4, 5]) lines.push(check(`lab-${h}`, 'default', `other-${h}`, t0 + h * 1000));
    const s = setup(lines);
    const child = serve(s.config);
    const held = await until('the job decision', () => jobs(s.data).find((j) => j['state'] !== 'queued'));
    expect(held['state'], JSON.stringify(held, null, 2)).toBe('held');
    const fleetAlerts = (await api(s.data, '/api/alerts?rule=fleet-module-corruption&status=open')) as { alerts: { event: { id: string } }[] };
    expect(fleetAlerts.alerts).toHaveLength(1);
    expect(JSON.stringify(held['decision'])).toContain(fleetAlerts.alerts[0]?.event.id ?? 'none');
    await sleep(1500);
    expect(jobs(s.data).map((j) => j['state'])).toEqual(['held']);
    expect(readFileSync(join(s.fleet.root('os-a'), MODULE_PATH))).toEqual(Buffer.alloc(20_000, 'CORRUPT'));
    const restores = (await api(s.data, '/api/events?action=restore.start')) as { events: unknown[] };
    expect(restores.events).toEqual([]);

    // The commands: a viewer may list and show but not approve (refused, stored as auth.denied);
    // an approver's approval releases the hold and the restore runs.
    const tokens = new TokenFile(join(s.data, TOKENS_FILE));
    const viewer = tokens.create('vera', 'viewer').token;
    const approver = tokens.create('alice', 'approver').token;
    const id = String(held['id']);
    const listed = await runCli(['restores', 'list', '--data', s.data, '--token', viewer]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout, listed.stderr).toContain(`${id}`);
    expect(listed.stdout).toContain('held');
    const shown = await runCli(['restores', 'show', id, '--data', s.data, '--token', viewer]);
    expect(shown.stdout, `exit ${String(shown.code)}: ${shown.stderr}`).toContain('held: alert');
    const refused = await runCli(['restores', 'approve', id, '--data', s.data, '--token', viewer]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/403|ACC_ERR/);
    const denied = await until('the auth.denied event', async () => {
      const r = (await api(s.data, '/api/events?action=auth.denied')) as { events: { user?: { name?: string } }[] };
      return r.events.length > 0 ? r.events : undefined;
    });
    expect(JSON.stringify(denied)).toContain('vera');
    const approved = await runCli(['restores', 'approve', id, '--data', s.data, '--token', approver]);
    expect(approved.code, approved.stderr).toBe(0);
    const done = await until('the approved job to end', () => jobs(s.data).find((j) => j['state'] === 'succeeded' || j['state'] === 'failed'));
    expect(done['state']).toBe('succeeded');
    expect(done['approvedBy']).toBe('token:alice');
    expect(readFileSync(join(s.fleet.root('os-a'), MODULE_PATH))).toEqual(Buffer.alloc(20_000, 'good module of os-a '));
    // The engine's last progress report stays with the job.
    const after = await runCli(['restores', 'show', id, '--data', s.data, '--token', viewer]);
    expect(after.stdout, after.stderr).toMatch(/progress: done .* of .*, 1 of 1 files/);
    const bad = await runCli(['restores', 'request', '--host', 'lab-1', '--instance', 'nope', '--data', s.data, '--token', approver]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('JOB_ERR_BAD_REQUEST');
    child.kill('SIGINT');
    expect(await stopped(child)).toBe(0);
  }, 300_000);
});
