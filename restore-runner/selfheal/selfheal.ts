/**
 * `selfheal scan` and `selfheal apply` on one instance: compare it with its newest verified
 * snapshot (scan.ts), then repair what the rules say (rules.ts) with a file restore of exactly
 * those paths into the instance's own root, and scan again to prove the repair. User data, and
 * paths no rule protects, are never written. Every step is an OPS v2 `selfheal.*` event.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { isRstError, messageOf, rstError } from '../errors.js';
import { shortId, type Id } from '../format/v1/ids.js';
import { fsPath, joinRaw, rawFromArg } from '../fsutil/raw-path.js';
import type { Instance } from '../instances/map.js';
import { newestVerified } from '../instances/snapshots.js';
import { OPS_CODES } from '../ops-events/codes.js';
import { ActionEvents, type EmitOps, type EventBody } from '../ops-events/record.js';
import { BlobReader } from '../repository/blob-reader.js';
import { Repository } from '../repository/repository.js';
import { restore } from '../restore/restore.js';
import { readManifest } from '../snapshot/content.js';
import type { VerifyDepth } from '../verify/snapshot.js';
import { scanTree, type Finding, type ScanSummary } from './scan.js';

export interface SelfhealOptions {
  readonly emit: EmitOps;
  readonly now?: () => number;
  /** How the snapshot is verified before it is trusted (default data). */
  readonly verify?: VerifyDepth;
  /** Correlation id of the alert or job this belongs to; a new one otherwise. */
  readonly correlationId?: string;
}

export interface ScanReport {
  readonly instance: Instance;
  readonly snapshot: Id;
  readonly correlationId: string;
  readonly summary: ScanSummary;
  /** Newer snapshots that failed verification and were passed over. */
  readonly rejected: readonly { readonly id: string; readonly problem: string }[];
}

export interface ApplyReport extends ScanReport {
  readonly dryRun: boolean;
  readonly repaired: readonly Finding[];
  /** Findings left as they are: the rules say so, or they could not be repaired (detail says why). */
  readonly left: readonly Finding[];
  /** Where the current content of replaced configuration files was kept. */
  readonly keptIn: string | null;
  /** What the scan after the repair still finds that the rules would repair (empty on success). */
  readonly remaining: readonly Finding[];
}

function statusOf(f: Finding): Pick<EventBody, 'status' | 'code'> {
  if (f.problem === 'missing') return { status: 'missing', code: OPS_CODES.fileMissing };
  if (f.problem === 'changed' && f.class !== 'system') return { status: 'misconfigured', code: OPS_CODES.configChanged };
  return { status: 'corrupt', code: OPS_CODES.fileCorrupt };
}

interface Opened {
  readonly repo: Repository;
  readonly snapshot: Id;
  readonly rejected: ScanReport['rejected'];
  readonly summary: ScanSummary;
}

/** Newest verified snapshot, and the comparison of the instance with it. */
function open(instance: Instance, depth: VerifyDepth): Opened {
  if (instance.location.kind !== 'tree') {
    throw rstError('RST_ERR_KIND_MISMATCH', `of ${instance.host}/${instance.id}`, 'image', 'self-healing compares files and applies to tree instances; restore an image instance with `kintsugi restore` or check it with `kintsugi drill`');
  }
  const repo = Repository.open(instance.repository);
  const trusted = repo.trustedKey();
  const { record, rejected } = newestVerified(repo, instance, trusted, depth);
  if (record === null) {
    const why = rejected.length === 0 ? 'it has none' : `none verifies: ${rejected.map((r) => `${shortId(r.id)} ${r.problem}`).join('; ')}`;
    throw rstError('RST_ERR_SNAPSHOT_NOT_FOUND', `a verified snapshot of ${instance.host}/${instance.id} (${why})`, repo.dir, repo.dir);
  }
  const { index } = repo.loadIndex();
  const reader = new BlobReader(repo, index);
  try {
    return { repo, snapshot: record.id, rejected, summary: scanTree(instance.location.path, readManifest(record, reader)) };
  } finally {
    reader.close();
  }
}

async function emitFindings(ev: ActionEvents, summary: ScanSummary, snapshot: Id, parent: string): Promise<void> {
  for (const f of summary.findings) {
    await ev.emit({ op: 'selfheal.scan', ...statusOf(f), path: `/${f.path}`, snapshot, message: `${f.class} file ${f.problem} (${f.detail}); rule: ${f.action}` }, parent);
  }
}

function eventsFor(instance: Instance, o: SelfhealOptions): ActionEvents {
  return new ActionEvents({ emit: o.emit, host: instance.host, instance: instance.id, version: instance.version, correlationId: o.correlationId ?? randomUUID(), ...(o.now !== undefined ? { now: o.now } : {}) });
}

function describeError(err: unknown): string {
  return isRstError(err) ? `${err.code}: ${err.message}` : messageOf(err);
}

export async function selfhealScan(instance: Instance, o: SelfhealOptions): Promise<ScanReport> {
  const ev = eventsFor(instance, o);
  const now = o.now ?? Date.now;
  const started = now();
  const parent = await ev.emit({ op: 'selfheal.scan', status: 'started', path: instance.location.path, message: `self-healing scan of ${instance.host}/${instance.id}` });
  let opened: Opened;
  try {
    opened = open(instance, o.verify ?? 'data');
  } catch (err: unknown) {
    await ev.emit({ op: 'selfheal.scan', status: 'failed', code: OPS_CODES.selfhealFailed, durationMs: now() - started, message: describeError(err) }, parent);
    throw err;
  }
  await emitFindings(ev, opened.summary, opened.snapshot, parent);
  const s = opened.summary;
  await ev.emit({ op: 'selfheal.scan', status: 'ok', snapshot: opened.snapshot, durationMs: now() - started, message: `${s.checked} files compared with ${shortId(opened.snapshot)}, ${s.findings.length} finding(s), ${s.userData} user-data files left alone`, details: { findings: s.findings.length, checked: s.checked } }, parent);
  return { instance, snapshot: opened.snapshot, correlationId: ev.correlationId, summary: s, rejected: opened.rejected };
}

/** Glob characters in a name would widen a file restore to other paths: such a file is left. */
const GLOB_CHARS = /[*?]/;

export async function selfhealApply(instance: Instance, o: SelfhealOptions & { readonly dataDir: string; readonly dryRun?: boolean }): Promise<ApplyReport> {
  const ev = eventsFor(instance, o);
  const now = o.now ?? Date.now;
  const started = now();
  const dryRun = o.dryRun ?? false;
  const parent = await ev.emit({ op: 'selfheal.apply', status: 'started', path: instance.location.path, message: `self-healing ${dryRun ? 'dry run' : 'repair'} of ${instance.host}/${instance.id}` });
  const failed = async (err: unknown): Promise<never> => {
    await ev.emit({ op: 'selfheal.apply', status: 'failed', code: OPS_CODES.selfhealFailed, durationMs: now() - started, message: describeError(err) }, parent);
    throw err;
  };
  let opened: Opened;
  try {
    opened = open(instance, o.verify ?? 'data');
  } catch (err: unknown) {
    return failed(err);
  }
  const { repo, snapshot, summary } = opened;
  await emitFindings(ev, summary, snapshot, parent);

  const toRepair: Finding[] = [];
  const left: Finding[] = [];
  for (const f of summary.findings) {
    if (f.action === 'leave') left.push(f);
    else if (GLOB_CHARS.test(f.path)) left.push({ ...f, action: 'leave', detail: `${f.detail}; its name holds * or ?, which a file restore would read as a pattern: restore it by hand` });
    else toRepair.push(f);
  }
  for (const f of left) await ev.emit({ op: 'selfheal.apply', status: 'skipped', path: `/${f.path}`, snapshot, message: `${f.class} file ${f.problem}: left alone (${f.detail})` }, parent);

  let keptIn: string | null = null;
  let remaining: readonly Finding[] = [];
  if (!dryRun && toRepair.length > 0) {
    try {
      const keep = toRepair.filter((f) => f.action === 'restore-keep-copy' && f.problem !== 'missing');
      if (keep.length > 0) {
        keptIn = join(dataDir(o.dataDir), instance.host, instance.id, new Date(started).toISOString().replace(/[:.]/g, '-'));
        for (const f of keep) {
          const dest = join(keptIn, f.path);
          mkdirSync(dirname(dest), { recursive: true });
          copyFileSync(fsPath(joinRaw(rawFromArg(instance.location.path), f.raw)), dest);
        }
      }
      await restore(repo, { snapshot, target: instance.location.path, mode: 'files', paths: toRepair.map((f) => f.path), trustedKey: repo.trustedKey(), progress: false, filter: { host: instance.host, instance: instance.id } });
      remaining = open(instance, 'structure').summary.findings.filter((f) => f.action !== 'leave' && toRepair.some((r) => r.path === f.path));
    } catch (err: unknown) {
      return failed(err);
    }
  }
  const repaired = dryRun ? [] : toRepair.filter((f) => !remaining.some((r) => r.path === f.path));
  for (const f of repaired) {
    const kept = f.action === 'restore-keep-copy' && f.problem !== 'missing' && keptIn !== null ? `; the replaced file is kept in ${join(keptIn, f.path)}` : '';
    await ev.emit({ op: 'selfheal.apply', status: 'ok', path: `/${f.path}`, snapshot, restoreMode: 'files', restoreTarget: instance.location.path, message: `${f.class} file ${f.problem}: restored from ${shortId(snapshot)}${kept}` }, parent);
  }
  const ok = remaining.length === 0;
  await ev.emit(
    {
      op: 'selfheal.apply',
      status: ok ? 'ok' : 'failed',
      ...(ok ? {} : { code: OPS_CODES.selfhealFailed }),
      snapshot,
      durationMs: now() - started,
      message: dryRun ? `dry run: ${toRepair.length} file(s) would be restored, ${left.length} left alone` : `${repaired.length} file(s) restored, ${left.length} left alone${ok ? '' : `, ${remaining.length} still differ`}`,
      details: { repaired: repaired.length, left: left.length, remaining: remaining.length },
    },
    parent,
  );
  return { instance, snapshot, correlationId: ev.correlationId, summary, rejected: opened.rejected, dryRun, repaired, left, keptIn, remaining };
}

/** Copies of replaced configuration files: `<data>/selfheal/kept/<host>/<instance>/<time>/`. */
function dataDir(data: string): string {
  return join(data, 'selfheal', 'kept');
}
