/**
 * The restore runner: alert → job → policy decision → engine restore → verification, with every
 * step an OPS 4.2 v2 event under the alert's correlation id (events/event-log.ts) and every job a
 * durable file (job-store.ts).
 *
 * Crash safety: the engine replaces a file whole or not at all (temporary file, fsync, rename), so
 * a runner killed mid-job leaves no half-written file. On start, a job found `running` is queued
 * again and resumes (a files restore is idempotent; a delta restore resumes from its journal),
 * unless it was interrupted `max_attempts` times already: then it is marked failed. The ids of a
 * job's `restore.start` and `restore.end` are fixed in the job file before the first is written,
 * so a resumed job writes the same events again and the store keeps one of each.
 *
 * Cancelling a running job: the request is written into the job first (a runner restarted before
 * the job ended then ends it `cancelled` instead of resuming it), then the engine's AbortSignal
 * fires; the engine stops at its next file or block batch, the target safe (restore/control.ts).
 */
import { SpanStatusCode, type ObservableCallback, type SpanContext } from '@opentelemetry/api';
import type { Log } from '../../collectors/source.js';
import type { Alert } from '../../pipeline/alerts/alert.js';
import type { AlertChange } from '../../pipeline/rules/engine.js';
import type { Instruments } from '../../pipeline/telemetry/telemetry.js';
import { isRstError } from '../errors.js';
import type { RunnerEvent, RunnerEventLog } from '../events/event-log.js';
import { ulid } from '../events/ulid.js';
import { findInstance, requireInstance, type Instance, type InstanceMap } from '../instances/map.js';
import { afterVerifyFailure, chooseSnapshot, decideAdmission, type Admission, type Hold, type SnapshotChoice } from '../recovery-policy/decide.js';
import { groupOf, type RecoveryPolicy } from '../recovery-policy/policy.js';
import type { LocalChunks } from '../repository/blob-reader.js';
import type { RestoreProgress } from '../restore/control.js';
import { restore } from '../restore/restore.js';
import { ChunkCache, countedReads } from '../prefetch/cache.js';
import { JobError } from './errors.js';
import { gatherFacts, sha256OfFile } from './instance-facts.js';
import { FINAL_STATES, WAITING_STATES, type Job, type JobAttempt, type JobProgress, type JobState } from './job.js';
import { JobStore } from './job-store.js';
import { inSpan } from '../../pipeline/telemetry/spans.js';
import { join } from 'node:path';

/** The damaged files behind an alert, and the first event that reported one. */
export interface DamageReport {
  readonly paths: readonly string[];
  readonly firstEventId: string | null;
}

export interface RunnerOptions {
  readonly dataDir: string;
  readonly policy: RecoveryPolicy;
  readonly instances: InstanceMap | null;
  readonly events: RunnerEventLog;
  /** What an alert is about, from the event store. */
  readonly damage: (alert: Alert) => Promise<DamageReport>;
  /** Open alerts that hold automated restores. */
  readonly holds: () => Promise<readonly Hold[]>;
  /** Open alerts of the restoring rules (to make jobs missed while the runner was down). */
  readonly openAlerts?: () => Promise<readonly Alert[]>;
  /** Rules whose alerts become jobs (default: recurring-module-corruption). */
  readonly restoreRules?: readonly string[];
  readonly log?: Log;
  readonly now?: () => number;
  /** How often waiting jobs are re-decided (default 500 ms). */
  readonly pollIntervalMs?: number;
  /** The service's instruments (pipeline/telemetry/metrics.ts) the runner records its jobs with. */
  readonly instruments?: RunnerInstruments;
  /** How long a cancel of a running job waits for the engine to stop before answering (default 5 s; 0 answers at once). */
  readonly cancelWaitMs?: number;
  /** Each progress report of a running job, the job as GET shows it (for whoever pushes it on; tests follow a job with it). */
  readonly onJobProgress?: (job: Job) => void;
}

export type RunnerInstruments = Pick<Instruments, 'restores' | 'restoreDuration' | 'restoreJobsActive' | 'restoreWrittenBytes' | 'restoreApprovalsPending' | 'prefetchChunkReads'>;

/** The catalogue's outcome of a job that ended (kintsugi_restores). */
const OUTCOME_OF: Partial<Record<JobState, string>> = { succeeded: 'success', failed: 'failure', cancelled: 'cancelled' };

export interface RestoreRequest {
  readonly host: string;
  readonly instance: string;
  readonly paths?: readonly string[];
  readonly snapshot?: string;
  readonly by: string;
  /** The requester may approve (an approving role): the job needs no other approval. */
  readonly approved: boolean;
}

const STATE_OF: Readonly<Record<Admission['kind'], JobState>> = {
  run: 'running',
  'await-approval': 'awaiting-approval',
  hold: 'held',
  cooldown: 'cooldown',
  'wait-slot': 'queued',
  refuse: 'refused',
};

/** E-codes of the runner's failure events (OPS `code`). */
const CODE_VERIFY_FAILED = 'E7001';
const CODE_RESTORE_FAILED = 'E7002';
const CODE_NO_SNAPSHOT = 'E7003';
const CODE_INTERRUPTED = 'E7004';
/**
 * A job cancelled by a person (`restore.end` status `skipped`). OPS 4.2 has no code for a cancel:
 * its codes are S0000 (none), E (error) and W (warning) with four digits. A cancel is no error
 * (`skipped` maps to the outcome `unknown`, not `failure`), but the instance was not (fully)
 * restored, which whoever reads the trace must see: a warning, in the runner's own 70xx range.
 */
const CODE_CANCELLED = 'W7005';

/** Progress goes into the job file at most this often (and at every change of phase). */
const PROGRESS_SAVE_MS = 1000;

type NewJob = Pick<Job, 'id' | 'trigger' | 'alert' | 'correlationId' | 'host' | 'instance' | 'module' | 'paths' | 'snapshot' | 'requestedBy' | 'approvedBy'>;

/** A job as it is made: queued, nothing decided or tried yet. */
function newJob(at: string, fields: NewJob, note: string, by?: string): Job {
  return {
    ...fields,
    createdAt: at,
    updatedAt: at,
    state: 'queued',
    decision: { kind: 'new', explanation: [] },
    choice: [],
    attempts: [],
    events: null,
    interruptions: 0,
    history: [{ at, state: 'queued', note, ...(by !== undefined ? { by } : {}) }],
  };
}

export class RestoreRunner {
  readonly store: JobStore;
  private readonly now: () => number;
  private readonly log: Log | undefined;
  private readonly restoreRules: ReadonlySet<string>;
  private readonly active = new Map<string, Promise<void>>();
  /** The running jobs' engine signals. */
  private readonly aborts = new Map<string, AbortController>();
  /**
   * The rule evaluation that raised each alert this process saw raise (by alert id), for the job
   * span's link; taken when the job runs, and unknown after a restart.
   */
  private readonly evaluations = new Map<string, SpanContext>();
  /** The running jobs' last progress (the job file gets it at most once a second). */
  private readonly live = new Map<string, { readonly progress: JobProgress; readonly savedAtMs: number }>();
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly observePending: ObservableCallback;

  constructor(private readonly options: RunnerOptions) {
    this.store = new JobStore(options.dataDir);
    this.now = options.now ?? Date.now;
    this.log = options.log;
    this.restoreRules = new Set(options.restoreRules ?? ['recurring-module-corruption']);
    this.observePending = (result) => result.observe(this.store.all().filter((j) => j.state === 'awaiting-approval').length);
    options.instruments?.restoreApprovalsPending.addCallback(this.observePending);
  }

  /** The prefetch cache a tree restore reads first, its reads counted (kintsugi_prefetch_chunk_reads). */
  private chunkCache(repositoryId: string): LocalChunks {
    const cache = ChunkCache.open(this.options.dataDir, repositoryId);
    const reads = this.options.instruments?.prefetchChunkReads;
    return reads === undefined ? cache : countedReads(cache, (result) => reads.add(1, { result }));
  }

  /** A job ended (kintsugi_restores; the duration only of jobs that ran). */
  private recordEnd(job: Job): void {
    const outcome = OUTCOME_OF[job.state];
    if (outcome === undefined || this.options.instruments === undefined) return;
    this.options.instruments.restores.add(1, { outcome });
    if (job.events !== null) this.options.instruments.restoreDuration.record((this.now() - job.events.startMs) / 1000, { outcome });
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Applies `change` to the stored job (which a cancel or a progress report may have changed since the caller's copy). */
  private update(job: Job, change: Partial<Job>, note?: { readonly note: string; readonly by?: string }): Job {
    const current = this.store.get(job.id) ?? job;
    const state = change.state ?? current.state;
    const history = note === undefined ? current.history : [...current.history, { at: this.iso(), state, note: note.note, ...(note.by !== undefined ? { by: note.by } : {}) }];
    const next: Job = { ...current, ...change, updatedAt: this.iso(), history };
    this.store.put(next);
    return next;
  }

  /** Loads the jobs, settles those a killed runner left running, makes missed jobs, and follows. */
  async start(): Promise<void> {
    this.store.load((file, why) => this.log?.warn({ file, why }, 'restore job file ignored'));
    for (const job of this.store.all().filter((j) => j.state === 'running')) {
      if (job.cancelRequested !== undefined) {
        // Cancelled while it ran, and the runner stopped before the engine did: never resumed.
        const by = job.cancelRequested.by;
        const attempts = job.attempts.map((a) => (a.outcome === 'running' ? { ...a, outcome: 'cancelled' as const, endedAt: this.iso() } : a));
        const ended = this.endCancelled(job, by, { attempts }, `cancelled by ${by}: the runner stopped before the restore did; not resumed`,
          `cancelled by ${by}; the runner stopped before the restore did: ${job.host}/${job.instance} may be partly restored, every file whole; request the restore again to finish it`);
        this.recordEnd(ended);
        this.log?.info({ job: job.id, by }, 'restore job cancelled while the runner was down: not resumed');
        continue;
      }
      const interruptions = job.interruptions + 1;
      const group = groupOf(this.options.policy, job.host);
      if (interruptions >= group.maxAttempts) {
        const failed = this.update(job, { state: 'failed', interruptions, error: `the runner stopped ${interruptions} times while this job ran` }, { note: `interrupted ${interruptions} times (max_attempts ${group.maxAttempts}): failed` });
        this.emitEnd(failed, 'failed', CODE_INTERRUPTED, failed.error ?? '');
        this.recordEnd(failed);
      } else {
        this.update(job, { state: 'queued', interruptions }, { note: 'the runner stopped while this job ran: it resumes' });
        this.log?.info({ job: job.id }, 'restore job resumes after an interruption');
      }
    }
    if (this.options.openAlerts !== undefined) {
      for (const alert of await this.options.openAlerts()) await this.fromAlert(alert);
    }
    const every = this.options.pollIntervalMs ?? 500;
    const tick = (): void => {
      if (this.stopped) return;
      this.kick();
      this.timer = setTimeout(tick, every);
    };
    tick();
  }

  /**
   * The alert evaluator's hook: new (or reopened) open alerts of the restoring rules become jobs.
   * `evaluation`: the span of the rule evaluation that made the changes, which the job's span links to.
   */
  async onAlertChanges(changes: readonly AlertChange[], evaluation?: SpanContext): Promise<void> {
    for (const c of changes) {
      if ((c.kind !== 'new' && c.kind !== 'reopened') || c.alert.recovery.alert.status !== 'open') continue;
      const job = await this.fromAlert(c.alert);
      // Bounded: a job's entry goes when it ends; a flood of alerts without jobs run keeps the first.
      if (job !== null && evaluation !== undefined && !FINAL_STATES.includes(job.state) && this.evaluations.size < 10_000) this.evaluations.set(c.alert.event.id, evaluation);
    }
    this.kick();
  }

  private async fromAlert(alert: Alert): Promise<Job | null> {
    // Without an instance map there is nothing a job could restore into: no jobs at all.
    if (!this.restoreRules.has(alert.rule.id) || this.options.instances === null) return null;
    const host = alert.host?.name ?? alert.recovery.alert.group['host'];
    if (host === undefined) return null;
    const id = `a-${alert.event.id.slice(0, 16)}`;
    const existing = this.store.get(id);
    if (existing !== undefined) return existing;
    const damage = await this.options.damage(alert);
    const job = newJob(
      this.iso(),
      {
        id,
        trigger: 'alert',
        alert: { id: alert.event.id, rule: alert.rule.id, firstEventId: damage.firstEventId ?? alert.recovery.alert.related_event_ids[0] ?? null },
        correlationId: alert.recovery.correlation_id,
        host,
        instance: alert.recovery.instance ?? 'default',
        module: alert.recovery.module ?? null,
        paths: [...damage.paths],
        snapshot: null,
        requestedBy: null,
        approvedBy: null,
      },
      `made from alert ${alert.event.id} (${alert.rule.id}, ${alert.recovery.alert.key})`,
    );
    this.store.put(job);
    this.log?.info({ job: id, alert: alert.event.id, rule: alert.rule.id, host, instance: job.instance, module: job.module, paths: job.paths, correlation_id: job.correlationId }, 'restore job created from alert');
    return job;
  }

  /** A restore asked for by a person (the route checked the role). */
  request(r: RestoreRequest): Job {
    if (this.options.instances === null) throw new JobError('JOB_ERR_NO_INSTANCE_MAP', 'configure restores.instances to restore by hand');
    try {
      requireInstance(this.options.instances, r.instance, r.host);
    } catch (err: unknown) {
      throw new JobError('JOB_ERR_BAD_REQUEST', err instanceof Error ? err.message : String(err));
    }
    const id = `m-${ulid(this.now()).toLowerCase()}`;
    const job = newJob(
      this.iso(),
      { id, trigger: 'manual', alert: null, correlationId: crypto.randomUUID(), host: r.host, instance: r.instance, module: null, paths: [...(r.paths ?? [])], snapshot: r.snapshot ?? null, requestedBy: r.by, approvedBy: r.approved ? r.by : null },
      `requested by ${r.by}`,
      r.by,
    );
    this.store.put(job);
    this.log?.info({ job: id, host: r.host, instance: r.instance, by: r.by }, 'restore job requested');
    this.kick();
    return job;
  }

  private need(id: string): Job {
    const job = this.store.get(id);
    if (job === undefined) throw new JobError('JOB_ERR_NOT_FOUND', id);
    return job;
  }

  approve(id: string, by: string): Job {
    const job = this.need(id);
    if (!WAITING_STATES.includes(job.state)) throw new JobError('JOB_ERR_STATE', id, job.state, 'only a waiting job can be approved');
    if (job.approvedBy !== null) return job;
    const next = this.update(job, { approvedBy: by }, { note: `approved by ${by}`, by });
    this.log?.info({ job: id, by }, 'restore job approved');
    this.kick();
    return next;
  }

  /**
   * Cancels a waiting job at once, or a running one: the request is stored in the job, the engine
   * is told to stop, and this waits up to `cancelWaitMs` for it to have stopped. The job returned
   * is `cancelled` (or, when the engine passed its last check first, `succeeded`/`failed`), or
   * still `running` with `cancelRequested` when the engine has not stopped yet.
   */
  async cancel(id: string, by: string): Promise<Job> {
    const job = this.need(id);
    if (FINAL_STATES.includes(job.state)) throw new JobError('JOB_ERR_STATE', id, job.state, 'it has ended already');
    if (job.state !== 'running') {
      // A job that ran before (and was queued again after the runner stopped) has a restore.start to end.
      const next = this.endCancelled(job, by, {}, `cancelled by ${by}`, `cancelled by ${by} before it ran again`);
      this.recordEnd(next);
      this.log?.info({ job: id, by }, 'restore job cancelled');
      return next;
    }
    if (job.cancelRequested === undefined) {
      this.update(job, { cancelRequested: { by, at: this.iso() } }, { note: `cancel requested by ${by}: the restore stops at its next file or block batch`, by });
      this.log?.info({ job: id, by }, 'restore job cancel requested');
    }
    this.aborts.get(id)?.abort();
    const run = this.active.get(id);
    const waitMs = this.options.cancelWaitMs ?? 5000;
    // The abort only raises a flag the engine reads at its next file or block batch: without a wait, it is still running.
    if (run !== undefined && waitMs > 0) await settledWithin(run, waitMs);
    return this.get(id);
  }

  /** An engine report of a running job: kept live, written into the job file about once a second. */
  private progress(id: string, p: RestoreProgress): void {
    const nowMs = this.now();
    const progress: JobProgress = { ...p, updatedAt: new Date(nowMs).toISOString() };
    const last = this.live.get(id);
    const save = last === undefined || last.progress.phase !== p.phase || nowMs - last.savedAtMs >= PROGRESS_SAVE_MS;
    const job = this.store.get(id);
    if (save && job !== undefined) this.update(job, { progress });
    this.live.set(id, { progress, savedAtMs: save ? nowMs : (last?.savedAtMs ?? nowMs) });
    if (job !== undefined) this.options.onJobProgress?.(this.withLive(job));
  }

  private withLive(job: Job): Job {
    const l = this.live.get(job.id);
    return l === undefined ? job : { ...job, progress: l.progress };
  }

  /** One instance of the configured map, for the snapshot routes (404 when the map has none such). */
  instance(host: string, id: string): Instance {
    const map = this.options.instances;
    if (map === null) throw new JobError('JOB_ERR_NO_INSTANCE_MAP', 'configure restores.instances to list snapshots');
    const found = findInstance(map, id, host);
    if (!found.ok) throw new JobError('JOB_ERR_UNKNOWN_INSTANCE', id, host, map.file, map.instances.map((i) => `${i.host}/${i.id}`).join(', ') || 'none');
    return found.instance;
  }

  list(): Job[] {
    return this.store.all().map((j) => this.withLive(j));
  }

  get(id: string): Job {
    return this.withLive(this.need(id));
  }

  /** Re-decides the waiting jobs soon (one pass at a time). */
  kick(): void {
    this.pumping = this.pumping.then(() => this.pump()).catch((err: unknown) => this.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'restore runner pass failed'));
  }

  /** Waits for the passes asked for so far and the jobs they started (tests, the demo). */
  async settle(): Promise<void> {
    await this.pumping;
    await Promise.all(this.active.values());
  }

  private lastRestoreOf(host: string): number | null {
    let last: number | null = null;
    for (const j of this.store.all()) {
      if (j.host !== host) continue;
      for (const a of j.attempts) if (a.endedAt !== undefined) last = Math.max(last ?? 0, Date.parse(a.endedAt));
    }
    return last;
  }

  private async pump(): Promise<void> {
    if (this.stopped) return;
    const waiting = this.store.all().filter((j) => WAITING_STATES.includes(j.state));
    if (waiting.length === 0) return;
    const holds = await this.options.holds();
    for (const job of waiting) {
      const d = decideAdmission(this.options.policy, { trigger: job.trigger, host: job.host, instance: job.instance, module: job.module, approvedBy: job.approvedBy }, { nowMs: this.now(), running: this.active.size, lastRestoreOfHostMs: this.lastRestoreOf(job.host), holds });
      const state = STATE_OF[d.decision.kind];
      if (state === 'running') {
        const current = this.update(job, { decision: { kind: d.decision.kind, explanation: d.explanation } }, { note: d.explanation.at(-1) ?? '' });
        this.log?.info({ job: job.id, host: job.host, instance: job.instance, decision: d.decision.kind, explanation: d.explanation }, 'policy decision: restore');
        this.options.instruments?.restoreJobsActive.add(1);
        const abort = new AbortController();
        this.aborts.set(job.id, abort);
        const run = this.executeInSpan(current, abort.signal).finally(() => {
          this.active.delete(job.id);
          this.aborts.delete(job.id);
          // The last report, which the once-a-second writes may have skipped, goes into the file.
          const last = this.live.get(job.id);
          this.live.delete(job.id);
          const stored = this.store.get(job.id);
          if (last !== undefined && stored !== undefined && stored.progress !== last.progress) this.update(stored, { progress: last.progress });
          this.options.instruments?.restoreJobsActive.add(-1);
          const ended = this.store.get(job.id);
          if (ended !== undefined) this.recordEnd(ended);
          this.kick();
        });
        this.active.set(job.id, run);
      } else if (state !== job.state || d.decision.kind !== job.decision.kind) {
        this.update(job, { state, decision: { kind: d.decision.kind, explanation: d.explanation } }, { note: d.explanation.at(-1) ?? '' });
        this.log?.info({ job: job.id, host: job.host, instance: job.instance, decision: d.decision.kind, explanation: d.explanation }, `policy decision: ${d.decision.kind}`);
      }
    }
  }

  private base(job: Job, instance: Instance | null): Pick<RunnerEvent, 'host' | 'instance' | 'correlationId' | 'user'> & { osVersion?: string; module?: string } {
    return {
      host: job.host,
      instance: job.instance,
      correlationId: job.correlationId,
      user: job.approvedBy ?? job.requestedBy ?? 'kintsugi-runner',
      ...(instance !== null ? { osVersion: instance.version } : {}),
      ...(job.module !== null ? { module: job.module } : {}),
    };
  }

  /** Ends a job `cancelled` by `by`: the job file (with `change`), then its `restore.end` (skipped, W7005) when it had started. */
  private endCancelled(job: Job, by: string, change: Partial<Job>, note: string, message: string, instance: Instance | null = null): Job {
    const ended = this.update(job, { ...change, state: 'cancelled' }, { note, by });
    this.emitEnd(ended, 'skipped', CODE_CANCELLED, message, instance, by);
    return ended;
  }

  /** `restore.end` of a job that started (`user`: who ended it, for a cancel). */
  private emitEnd(job: Job, status: 'ok' | 'failed' | 'skipped', code: string | undefined, message: string, instance: Instance | null = null, user?: string): void {
    if (job.events === null) return;
    this.options.events.emit(
      {
        ...this.base(job, instance),
        ...(user !== undefined ? { user } : {}),
        op: 'restore.end',
        status,
        ...(code !== undefined ? { code } : {}),
        parentId: job.events.startId,
        durationMs: this.now() - job.events.startMs,
        message,
        extra: { job: job.id, attempts: job.attempts.length },
      },
      job.events.endId,
    );
  }

  /** `execute` in the job's span (spans.ts `restoreJob`), linked to the evaluation that raised its alert. */
  private executeInSpan(job: Job, signal: AbortSignal): Promise<void> {
    const alertId = job.alert?.id;
    const evaluation = alertId === undefined ? undefined : this.evaluations.get(alertId);
    if (alertId !== undefined) this.evaluations.delete(alertId);
    const attributes = { 'kintsugi.correlation_id': job.correlationId, 'host.name': job.host, ...(alertId !== undefined ? { 'kintsugi.alert_id': alertId } : {}) };
    return inSpan(
      'restoreJob',
      attributes,
      async (span) => {
        await this.execute(job, signal);
        const ended = this.store.get(job.id);
        if (ended?.state === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: ended.error ?? 'the restore failed' });
      },
      evaluation !== undefined ? [{ context: evaluation }] : [],
    );
  }

  /** Runs one job to its end; never throws (a failure is the job's state). */
  private async execute(start: Job, signal: AbortSignal): Promise<void> {
    let job = start;
    let instance: Instance | null = null;
    const fail = (why: string, code: string): void => {
      job = this.update(job, { state: 'failed', error: why }, { note: why });
      this.emitEnd(job, 'failed', code, why, instance);
      this.log?.error({ job: job.id, host: job.host, instance: job.instance, error: why, correlation_id: job.correlationId }, 'restore failed');
    };
    try {
      if (this.options.instances === null) throw new JobError('JOB_ERR_NO_INSTANCE_MAP', 'no instance to restore into');
      instance = requireInstance(this.options.instances, job.instance, job.host);
      const group = groupOf(this.options.policy, job.host);
      const root = instance.location.path;
      let facts = gatherFacts(instance, job.paths);
      const tried = new Set(job.attempts.filter((a) => a.outcome !== 'running').map((a) => a.snapshot));
      const choose = (): { choice: SnapshotChoice; explanation: readonly string[] } => {
        if (job.snapshot !== null) {
          const ref = job.snapshot.toLowerCase();
          const s = facts.snapshots.find((x) => x.id.startsWith(ref) && !tried.has(x.id));
          if (s === undefined) return { choice: { kind: 'none' }, explanation: [`snapshot ${job.snapshot} (asked for by hand) is not a verified snapshot of ${job.host}/${job.instance}, or was tried`] };
          const mode = facts.damage.paths.length > 0 && s.files !== null ? 'files' : group.mode === 'files' ? 'delta' : group.mode;
          return { choice: { kind: 'restore', snapshot: s.id, mode, paths: mode === 'files' ? facts.damage.paths : [], purpose: 'repair' }, explanation: [`snapshot ${s.id.slice(0, 12)} asked for by hand: a ${mode} restore`] };
        }
        const d = chooseSnapshot(group, facts.snapshots, facts.damage, tried);
        return { choice: d.decision, explanation: [...facts.unreadable.map((u) => `left out unreadable snapshot ${u}`), ...d.explanation] };
      };
      let { choice, explanation } = choose();
      const now = this.now();
      job = this.update(job, { state: 'running', choice: explanation, events: job.events ?? { detectId: ulid(now), startId: ulid(now), endId: ulid(now), startMs: now } }, { note: explanation.at(-1) ?? '' });
      const events = job.events;
      if (events === null) return;
      // The trace's first event: the damage confirmed on the instance itself, linked to the first
      // check that reported it (in its own session's trace).
      const first = choice;
      const chosenFiles = first.kind === 'restore' ? facts.snapshots.find((s) => s.id === first.snapshot)?.files : undefined;
      const damaged = facts.damage.paths.filter((p) => facts.damage.current.get(p) !== chosenFiles?.get(p));
      let parentOfStart: string | null = job.alert?.firstEventId ?? null;
      if (facts.damage.paths.length > 0) {
        const missing = facts.damage.paths.filter((p) => facts.damage.current.get(p) === null);
        this.options.events.emit(
          {
            ...this.base(job, instance),
            op: 'integrity.verify',
            status: missing.length > 0 ? 'missing' : damaged.length > 0 ? 'corrupt' : 'ok',
            ...(damaged.length > 0 ? { code: CODE_VERIFY_FAILED } : {}),
            parentId: job.alert?.firstEventId ?? null,
            ...(facts.damage.paths.length === 1 ? { file: { path: `/${facts.damage.paths[0] ?? ''}` } } : {}),
            message: damaged.length > 0 ? `damage confirmed on ${job.host}/${job.instance}: ${damaged.map((p) => `/${p}`).join(', ')} ${missing.length > 0 ? 'missing or ' : ''}not as in the chosen snapshot` : `${facts.damage.paths.map((p) => `/${p}`).join(', ')} already match the chosen snapshot`,
            extra: { job: job.id, ...(job.alert !== null ? { alert: job.alert.id, rule: job.alert.rule, first_event_id: job.alert.firstEventId } : {}), paths: facts.damage.paths.map((p) => `/${p}`) },
            timeMs: events.startMs,
          },
          events.detectId,
        );
        parentOfStart = events.detectId;
      }
      this.options.events.emit(
        {
          ...this.base(job, instance),
          op: 'restore.start',
          status: 'started',
          parentId: parentOfStart,
          ...(choice.kind === 'restore' ? { restore: { mode: choice.mode, snapshot: choice.snapshot, target: root } } : {}),
          message: `${job.trigger === 'alert' ? `alert ${job.alert?.rule ?? ''}` : `request by ${job.requestedBy ?? ''}`}: restore ${job.paths.length > 0 ? job.paths.join(', ') : 'the instance'} on ${job.host}/${job.instance}`,
          extra: { job: job.id, ...(job.alert !== null ? { alert: job.alert.id, rule: job.alert.rule } : {}), decision: job.decision.explanation, choice: explanation },
          timeMs: events.startMs,
        },
        events.startId,
      );
      this.log?.info({ job: job.id, correlation_id: job.correlationId, choice: explanation }, 'restore started');
      /** The job ends `cancelled`, with what the engine said of the target. */
      const cancelledEnd = (state: string): void => {
        const by = this.store.get(job.id)?.cancelRequested?.by ?? 'unknown';
        job = this.endCancelled(job, by, { error: state }, `cancelled by ${by} while it ran: ${state}`, `cancelled by ${by}: ${state}`, instance);
        this.log?.info({ job: job.id, host: job.host, instance: job.instance, by, correlation_id: job.correlationId }, 'restore cancelled');
      };
      for (;;) {
        if (signal.aborted) return cancelledEnd(`stopped before ${job.attempts.length > 0 ? 'the next attempt' : 'the restore began'}; nothing was written by it`);
        if (choice.kind === 'none') return fail(explanation.at(-1) ?? 'no snapshot to restore from', CODE_NO_SNAPSHOT);
        const chosen = choice;
        const attemptStart = this.now();
        const attempt: JobAttempt = { snapshot: chosen.snapshot, mode: chosen.mode, purpose: chosen.purpose, startedAt: new Date(attemptStart).toISOString(), outcome: 'running' };
        job = this.update(job, { attempts: [...job.attempts, attempt] });
        const settle = (a: Partial<JobAttempt>): void => {
          job = this.update(job, { attempts: [...job.attempts.slice(0, -1), { ...attempt, ...a, endedAt: this.iso() }] });
        };
        try {
          const report = await restore(facts.repo, {
            snapshot: chosen.snapshot,
            target: root,
            mode: chosen.mode,
            ...(chosen.mode === 'files' ? { paths: chosen.paths } : {}),
            trustedKey: facts.trustedKey,
            filter: { host: instance.host, instance: instance.id },
            progress: false,
            control: { signal, onProgress: (p) => this.progress(job.id, p) },
            // Chunks `kintsugi prefetch` keeps warm are taken from the data folder (proven by hash).
            ...(instance.location.kind === 'tree' ? { local: this.chunkCache(facts.repo.config.id) } : {}),
          });
          // Written whether or not the read-back then matches: the bytes went to the target.
          this.options.instruments?.restoreWrittenBytes.add(report.bytesWritten, { mode: chosen.mode });
          const snapshot = facts.snapshots.find((s) => s.id === chosen.snapshot);
          // Each written file, then the proof: the files read back hash to the snapshot's copy.
          for (const p of chosen.mode === 'files' ? chosen.paths : facts.damage.paths) {
            this.options.events.emit({ ...this.base(job, instance), op: 'restore.file', status: 'ok', parentId: events.startId, file: { path: `/${p}` }, restore: { mode: chosen.mode, snapshot: chosen.snapshot, target: root } });
          }
          if (instance.location.kind === 'image') {
            this.options.events.emit({ ...this.base(job, instance), op: 'restore.block', status: 'ok', parentId: events.startId, file: { bytes: report.bytesWritten }, restore: { mode: chosen.mode, snapshot: chosen.snapshot, target: root }, message: `${report.blocksWritten} of ${report.blocksTotal} blocks written` });
          }
          const mismatched = facts.damage.paths.filter((p) => {
            const want = snapshot?.files?.get(p);
            return want !== undefined && sha256OfFile(join(root, p)) !== want;
          });
          const verified = report.verifiedAfterWrite && mismatched.length === 0;
          this.options.events.emit({
            ...this.base(job, instance),
            op: 'integrity.verify',
            status: verified ? 'ok' : 'corrupt',
            ...(verified ? {} : { code: CODE_VERIFY_FAILED }),
            parentId: events.startId,
            restore: { snapshot: chosen.snapshot, target: root },
            message: verified ? `restored ${facts.damage.paths.length > 0 ? `${facts.damage.paths.length} file(s)` : 'instance'} read back and matched snapshot ${chosen.snapshot.slice(0, 12)}` : `after writing, ${mismatched.join(', ') || 'the target'} does not match the snapshot`,
            extra: { job: job.id, bytes_written: report.bytesWritten, files_written: report.filesWritten, files_unchanged: report.filesUnchanged },
          });
          if (!verified) {
            settle({ outcome: 'failed', error: 'verification after writing failed' });
            return fail(`after writing, ${mismatched.join(', ')} does not match snapshot ${chosen.snapshot.slice(0, 12)}`, CODE_VERIFY_FAILED);
          }
          settle({ outcome: 'ok', bytesWritten: report.bytesWritten, filesWritten: report.filesWritten });
          job = this.update(job, { state: 'succeeded' }, { note: `restored from ${chosen.snapshot.slice(0, 12)} and verified` });
          this.emitEnd(job, 'ok', undefined, `restored ${job.paths.length > 0 ? job.paths.join(', ') : 'the instance'} on ${job.host}/${job.instance} from snapshot ${chosen.snapshot.slice(0, 12)}, verified`, instance);
          this.log?.info({ job: job.id, host: job.host, instance: job.instance, snapshot: chosen.snapshot, bytes_written: report.bytesWritten, correlation_id: job.correlationId }, 'restore verified');
          return;
        } catch (err: unknown) {
          const why = err instanceof Error ? err.message : String(err);
          if (isRstError(err, 'RST_ERR_CANCELLED')) {
            settle({ outcome: 'cancelled', error: why });
            return cancelledEnd(why);
          }
          const refused = isRstError(err) && (err.code === 'RST_ERR_VERIFY_FAILED' || !err.retriable) && err.code !== 'RST_ERR_USAGE' && err.code !== 'RST_ERR_TARGET_INVALID' && err.code !== 'RST_ERR_PATH_ESCAPE';
          if (!refused) {
            settle({ outcome: 'failed', error: why });
            return fail(why, CODE_RESTORE_FAILED);
          }
          settle({ outcome: 'refused', error: why });
          tried.add(chosen.snapshot);
          this.options.events.emit({ ...this.base(job, instance), op: 'integrity.verify', status: 'failed', code: CODE_VERIFY_FAILED, parentId: events.startId, restore: { snapshot: chosen.snapshot, target: root }, message: why });
          const next = afterVerifyFailure(group, job.attempts.length, chosen.snapshot, why);
          this.log?.warn({ job: job.id, snapshot: chosen.snapshot, explanation: next.explanation }, 'snapshot refused');
          if (next.decision === 'fail') return fail(next.explanation.join('; '), CODE_VERIFY_FAILED);
          facts = gatherFacts(instance, job.paths);
          ({ choice, explanation } = choose());
          job = this.update(job, { choice: [...next.explanation, ...explanation] }, { note: explanation.at(-1) ?? '' });
        }
      }
    } catch (err: unknown) {
      fail(err instanceof Error ? err.message : String(err), CODE_RESTORE_FAILED);
    }
  }

  /** Stops deciding; waits for the restores under way (a restore killed instead resumes at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.options.instruments?.restoreApprovalsPending.removeCallback(this.observePending);
    await this.pumping.catch(() => undefined);
    await Promise.all(this.active.values());
  }

  /** Final states, for callers that wait for a job. */
  static isFinal(job: Job): boolean {
    return FINAL_STATES.includes(job.state);
  }
}

/** Waits for `p` for at most `ms` (the timer does not keep the process alive). */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((res) => {
    timer = setTimeout(res, ms);
    timer.unref();
  });
  try {
    await Promise.race([p.catch(() => undefined), limit]);
  } finally {
    clearTimeout(timer);
  }
}
