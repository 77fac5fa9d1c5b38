/** Golden tests of the recovery policy's decisions: each scenario's decision and explanation. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { afterVerifyFailure, chooseSnapshot, decideAdmission, type FleetFacts, type JobFacts, type SnapshotFacts } from '../../../restore-runner/recovery-policy/decide.js';
import { loadPolicy, validatePolicy } from '../../../restore-runner/recovery-policy/load.js';
import { BUILT_IN_POLICY, groupOf } from '../../../restore-runner/recovery-policy/policy.js';
import { isJobError } from '../../../restore-runner/jobs/errors.js';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const policy = validatePolicy((await import('yaml')).parse(readFileSync(here('policy.yaml'), 'utf8')), 'policy.yaml');
const NOW = Date.parse('2026-03-14T03:00:00Z');
const fleet = (over: Partial<FleetFacts> = {}): FleetFacts => ({ nowMs: NOW, running: 0, lastRestoreOfHostMs: null, holds: [], ...over });
const job = (over: Partial<JobFacts> = {}): JobFacts => ({ trigger: 'alert', host: 'lab-1', instance: 'default', module: 'ixgbe', approvedBy: null, ...over });

const GOOD = 'a'.repeat(64);
const BAD = 'b'.repeat(64);
const OLD = 'c'.repeat(64);
const P = 'lib/modules/4.2.3/kernel/drivers/net/ixgbe.ko';
const snap = (id: string, time: string, version: string | null, files: Record<string, string> | null): SnapshotFacts => ({ id: id.repeat(64).slice(0, 64), time, osVersion: version, files: files === null ? null : new Map(Object.entries(files)) });
const s1 = snap('1', '2026-03-10T02:00:00Z', '4.2.2', { [P]: OLD });
const s2 = snap('2', '2026-03-12T02:00:00Z', '4.2.3', { [P]: GOOD });
const s3 = snap('3', '2026-03-13T02:00:00Z', '4.2.3', { [P]: BAD });
const s4 = snap('4', '2026-03-13T12:00:00Z', '4.2.3', {});
const img = snap('5', '2026-03-13T02:00:00Z', '4.2.3', null);
const damage = { paths: [P], current: new Map([[P, BAD]]), instanceVersion: '4.2.3' };
const lab = groupOf(policy, 'lab-1');
const db = groupOf(policy, 'db-7');

const scenarios: Record<string, () => unknown> = {
  'admission: auto group runs at once': () => decideAdmission(policy, job(), fleet()),
  'admission: glob ? matches one character': () => decideAdmission(policy, job({ host: 'demo-01' }), fleet()),
  'admission: host in no group takes the defaults (approval)': () => decideAdmission(policy, job({ host: 'web-3' }), fleet()),
  'admission: approval group waits for an approver': () => decideAdmission(policy, job({ host: 'db-7' }), fleet()),
  'admission: approved job runs': () => decideAdmission(policy, job({ host: 'db-7', approvedBy: 'alice' }), fleet()),
  'admission: never group refuses alerts': () => decideAdmission(policy, job({ host: 'vault-1' }), fleet()),
  'admission: blast-radius hold of the module': () => decideAdmission(policy, job(), fleet({ holds: [{ alertId: 'f1e2', rule: 'fleet-module-corruption', module: 'ixgbe' }] })),
  'admission: a hold of another module does not apply': () => decideAdmission(policy, job(), fleet({ holds: [{ alertId: 'f1e2', rule: 'fleet-module-corruption', module: 'e1000' }] })),
  'admission: an approved job passes a hold': () => decideAdmission(policy, job({ approvedBy: 'bob' }), fleet({ holds: [{ alertId: 'f1e2', rule: 'fleet-module-corruption', module: 'ixgbe' }] })),
  'admission: cooldown after the last restore of the host': () => decideAdmission(policy, job(), fleet({ lastRestoreOfHostMs: NOW - 5 * 60_000 })),
  'admission: cooldown over': () => decideAdmission(policy, job(), fleet({ lastRestoreOfHostMs: NOW - 11 * 60_000 })),
  'admission: fleet-wide limit reached': () => decideAdmission(policy, job(), fleet({ running: 2 })),
  'admission: manual request without approval waits': () => decideAdmission(policy, job({ trigger: 'manual' }), fleet()),
  'admission: manual request by an approver skips the cooldown': () => decideAdmission(policy, job({ trigger: 'manual', approvedBy: 'carol' }), fleet({ lastRestoreOfHostMs: NOW - 60_000 })),
  'admission: built-in policy wants approval': () => decideAdmission(BUILT_IN_POLICY, job(), fleet()),
  'snapshot: newest with a good copy (skips the one holding the damage, and the one lacking the file)': () => chooseSnapshot(lab, [s1, s2, s3, s4], damage, new Set()),
  'snapshot: the good one already tried, no rollback in this group': () => chooseSnapshot(db, [s1, s2, s3], damage, new Set([s2.id])),
  'snapshot: no good copy of this version: rollback to the previous version': () => chooseSnapshot(lab, [s1, s3, s4], damage, new Set()),
  'snapshot: delta group restores the whole instance': () => chooseSnapshot(db, [s2, s3], damage, new Set()),
  'snapshot: an image instance gets a delta restore': () => chooseSnapshot(lab, [img], damage, new Set()),
  'snapshot: whole-instance request takes the newest of the version': () => chooseSnapshot(lab, [s1, s2, s3], { paths: [], current: new Map(), instanceVersion: '4.2.3' }, new Set()),
  'snapshot: none at all': () => chooseSnapshot(lab, [], damage, new Set()),
  'verify failure: next older': () => afterVerifyFailure(lab, 1, s2.id, 'pack damaged'),
  'verify failure: attempts used up': () => afterVerifyFailure(lab, 3, s2.id, 'pack damaged'),
  'verify failure: group says fail': () => afterVerifyFailure(db, 1, s2.id, 'pack damaged'),
};

const GOLDEN = here('decisions.golden.json');

describe('recovery policy decisions (golden)', () => {
  const actual: Record<string, unknown> = {};
  for (const [name, run] of Object.entries(scenarios)) actual[name] = JSON.parse(JSON.stringify(run()));
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);
  const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, unknown>;
  it('covers the same scenarios as the golden file', () => expect(Object.keys(actual).sort()).toEqual(Object.keys(golden).sort()));
  for (const name of Object.keys(scenarios)) it(name, () => expect(actual[name]).toEqual(golden[name]));
});

describe('recovery policy file', () => {
  it('fills every group from the defaults and keeps the snapshots section whole', () => {
    expect(db.cooldown).toBe('30m');
    expect(db.cooldownMs).toBe(1_800_000);
    expect(lab.mode).toBe('files');
    expect(policy.snapshots).toEqual({ schedule: 'nightly', anything: ['passed', 'through'] });
  });
  it.each([
    [{ version: 2 }, 'key "version"'],
    [{ version: 1, groups: [{ name: 'a', hosts: ['x'], cooldown: 'soon' }] }, 'key "groups[0].cooldown"'],
    [{ version: 1, groups: [{ name: 'a', hosts: ['x'], restroe: 'auto' }] }, 'key "groups[0].restroe" is not a known key'],
    [{ version: 1, groups: [{ name: 'a', hosts: ['x'] }, { name: 'a', hosts: ['y'] }] }, 'key "groups[1].name" repeats "a"'],
    [{ version: 1, max_concurrent_restores: 0 }, 'key "max_concurrent_restores"'],
  ])('refuses %j naming the key', (doc, text) => {
    try {
      validatePolicy(doc, 'p.yaml');
      expect.unreachable();
    } catch (err: unknown) {
      expect(isJobError(err, 'JOB_ERR_POLICY_INVALID')).toBe(true);
      expect((err as Error).message).toContain('p.yaml');
      expect((err as Error).message).toContain(text);
    }
  });
  it('a missing file is JOB_ERR_POLICY_READ', () => {
    expect(() => loadPolicy(here('nope.yaml'))).toThrow(/JOB_ERR|Cannot read the recovery policy/);
  });
});
