/**
 * The recovery policy's decisions: pure functions of the policy and the facts the runner gathered,
 * each returning the decision and the reasons for it in words (shown by `kintsugi restores show`,
 * logged, and carried by the runner's events). Golden tests pin them
 * (test/restore-runner/recovery-policy/).
 */
import { groupOf, type PolicyGroup, type PolicyRestoreMode, type RecoveryPolicy } from './policy.js';

export interface Decision<T> {
  readonly decision: T;
  readonly explanation: readonly string[];
}

/** An open alert that holds automated restores (`hold_automated_restores`). */
export interface Hold {
  readonly alertId: string;
  readonly rule: string;
  /** The module held fleet-wide; null holds every module. */
  readonly module: string | null;
}

export interface JobFacts {
  /** `alert`: made by an alert (automated); `manual`: asked for by a person. */
  readonly trigger: 'alert' | 'manual';
  readonly host: string;
  readonly instance: string;
  readonly module: string | null;
  /** Who approved it, if anyone did (a manual request by an approving role is approved). */
  readonly approvedBy: string | null;
}

export interface FleetFacts {
  readonly nowMs: number;
  /** Restores running now, fleet-wide, this job not counted. */
  readonly running: number;
  /** When the last restore of this host ended (any job), or null. */
  readonly lastRestoreOfHostMs: number | null;
  readonly holds: readonly Hold[];
}

export type Admission =
  | { readonly kind: 'run' }
  | { readonly kind: 'await-approval' }
  | { readonly kind: 'hold'; readonly alertId: string }
  | { readonly kind: 'cooldown'; readonly untilMs: number }
  | { readonly kind: 'wait-slot' }
  | { readonly kind: 'refuse' };

/** Whether, and when, a job may start now. */
export function decideAdmission(policy: RecoveryPolicy, job: JobFacts, fleet: FleetFacts): Decision<Admission> {
  const group = groupOf(policy, job.host);
  const why: string[] = [`host ${job.host} is in policy group "${group.name}" (${policy.source}): restore ${group.restore}, mode ${group.mode}, cooldown ${group.cooldown}`];
  const done = (decision: Admission, line: string): Decision<Admission> => ({ decision, explanation: [...why, line] });
  const automated = job.trigger === 'alert' && job.approvedBy === null;
  if (automated && group.restore === 'never') return done({ kind: 'refuse' }, 'the group allows no restore from an alert: restore by hand (`kintsugi restores request`)');
  if (automated) {
    const hold = fleet.holds.find((h) => h.module === null || h.module === job.module);
    if (hold !== undefined) {
      return done({ kind: 'hold', alertId: hold.alertId }, `held: alert ${hold.alertId} (${hold.rule}) holds automated restores of ${hold.module === null ? 'every module' : `module ${hold.module}`} fleet-wide; an approver may still approve this job`);
    }
  }
  if (job.approvedBy === null && (job.trigger === 'manual' || group.restore === 'approval')) {
    return done({ kind: 'await-approval' }, job.trigger === 'manual' ? 'a manual request by a role that may not approve: it waits for an approver' : 'the group wants an approval before a restore: it waits for an approver (`kintsugi restores approve ID`)');
  }
  if (job.approvedBy !== null) why.push(`approved by ${job.approvedBy}`);
  if (automated && fleet.lastRestoreOfHostMs !== null && fleet.nowMs < fleet.lastRestoreOfHostMs + group.cooldownMs) {
    const untilMs = fleet.lastRestoreOfHostMs + group.cooldownMs;
    return done({ kind: 'cooldown', untilMs }, `cooldown: the last restore of ${job.host} ended at ${new Date(fleet.lastRestoreOfHostMs).toISOString()}; automated restores wait until ${new Date(untilMs).toISOString()}`);
  }
  if (fleet.running >= policy.maxConcurrentRestores) {
    return done({ kind: 'wait-slot' }, `${fleet.running} restore(s) running, at most ${policy.maxConcurrentRestores} fleet-wide: it waits for a slot`);
  }
  return done({ kind: 'run' }, automated ? 'runs now, automatically' : 'runs now');
}

/** A verified snapshot of the instance, as the runner found it. */
export interface SnapshotFacts {
  readonly id: string;
  /** ISO 8601 */
  readonly time: string;
  readonly osVersion: string | null;
  /** Instance-relative path → SHA-256 of the file in the snapshot; null for an image snapshot. */
  readonly files: ReadonlyMap<string, string> | null;
}

export interface DamageFacts {
  /** Instance-relative paths of the damaged files; empty for a whole-instance restore. */
  readonly paths: readonly string[];
  /** SHA-256 of each damaged file as it is now; null when it is missing. */
  readonly current: ReadonlyMap<string, string | null>;
  readonly instanceVersion: string;
}

export type SnapshotChoice =
  | {
      readonly kind: 'restore';
      readonly snapshot: string;
      readonly mode: PolicyRestoreMode;
      /** The files to restore (mode `files`); empty for an instance restore. */
      readonly paths: readonly string[];
      readonly purpose: 'repair' | 'rollback';
    }
  | { readonly kind: 'none' };

/** Dotted versions compared number by number (4.2.10 > 4.2.9). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function short(id: string): string {
  return id.slice(0, 12);
}

/** Why a snapshot holds no good copy of the damage, or null when it does. */
function noGoodCopy(s: SnapshotFacts, damage: DamageFacts): string | null {
  if (s.files === null) return null;
  for (const p of damage.paths) {
    const have = s.files.get(p);
    if (have === undefined) return `it does not hold ${p}`;
    if (have === damage.current.get(p)) return `its copy of ${p} is the damaged one`;
  }
  return null;
}

/**
 * Which snapshot to restore from: the newest verified snapshot of the running version that holds
 * a good copy of every damaged file (one whose content differs from the damaged file's), skipping
 * those already tried; with none, and `rollback_after_bad_upgrade`, the newest snapshot of the
 * previous version (a whole-instance rollback).
 */
export function chooseSnapshot(group: PolicyGroup, snapshots: readonly SnapshotFacts[], damage: DamageFacts, tried: ReadonlySet<string>): Decision<SnapshotChoice> {
  const why: string[] = [];
  const newestFirst = [...snapshots].sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
  const instanceRestore = damage.paths.length === 0;
  const modeFor = (s: SnapshotFacts): PolicyRestoreMode => {
    if (instanceRestore && group.mode === 'files') return 'delta';
    if (s.files === null && group.mode === 'files') return 'delta';
    return group.mode;
  };
  const choose = (s: SnapshotFacts, purpose: 'repair' | 'rollback'): Decision<SnapshotChoice> => {
    const mode = purpose === 'rollback' && group.mode === 'files' ? 'delta' : modeFor(s);
    const what = mode === 'files' ? `restores ${damage.paths.join(', ')} only` : s.files === null && group.mode === 'files' ? 'the instance is an image: a delta restore of the image, which writes only the blocks that differ' : `a ${mode} restore of the whole instance`;
    why.push(`chose snapshot ${short(s.id)} of ${s.time} (version ${s.osVersion ?? 'unknown'}) for ${purpose}: ${what}`);
    return { decision: { kind: 'restore', snapshot: s.id, mode, paths: mode === 'files' ? [...damage.paths] : [], purpose }, explanation: why };
  };
  for (const s of newestFirst) {
    if (tried.has(s.id)) {
      why.push(`skipped ${short(s.id)}: already tried in this job`);
      continue;
    }
    if (s.osVersion !== null && s.osVersion !== damage.instanceVersion) {
      why.push(`skipped ${short(s.id)}: version ${s.osVersion}, the instance runs ${damage.instanceVersion}`);
      continue;
    }
    const bad = instanceRestore ? null : noGoodCopy(s, damage);
    if (bad !== null) {
      why.push(`skipped ${short(s.id)}: ${bad}`);
      continue;
    }
    return choose(s, 'repair');
  }
  if (group.rollbackAfterBadUpgrade) {
    const older = newestFirst.filter((s) => !tried.has(s.id) && s.osVersion !== null && compareVersions(s.osVersion, damage.instanceVersion) < 0);
    const previous = older.map((s) => s.osVersion ?? '').sort(compareVersions).at(-1);
    const last = older.find((s) => s.osVersion === previous);
    if (last !== undefined) {
      why.push(`no snapshot of version ${damage.instanceVersion} holds a good copy: a bad upgrade; rolling back to the last snapshot of the previous version ${previous ?? ''}`);
      return choose(last, 'rollback');
    }
    why.push(`no snapshot of version ${damage.instanceVersion} holds a good copy, and no snapshot of an earlier version exists to roll back to`);
  }
  why.push(snapshots.length === 0 ? 'no verified snapshot of this instance: nothing to restore from' : 'no verified snapshot is left to restore from');
  return { decision: { kind: 'none' }, explanation: why };
}

/** After a snapshot failed verification: try the next one, or fail, as the group says. */
export function afterVerifyFailure(group: PolicyGroup, attempts: number, failed: string, reason: string): Decision<'next-older' | 'fail'> {
  const why = [`snapshot ${short(failed)} failed verification: ${reason}`];
  if (group.onVerifyFailure === 'fail') return { decision: 'fail', explanation: [...why, `group "${group.name}" says on_verify_failure: fail`] };
  if (attempts >= group.maxAttempts) return { decision: 'fail', explanation: [...why, `${attempts} of ${group.maxAttempts} attempts used (max_attempts)`] };
  return { decision: 'next-older', explanation: [...why, 'trying the next older verified snapshot (on_verify_failure: next-older)'] };
}
