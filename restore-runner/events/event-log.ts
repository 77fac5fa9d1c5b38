/**
 * The runner's own events: OPS 4.2 **v2** records (../../../shared/spec/ops-4.2.md) appended to a
 * JSONL log under the data folder (`<data>/runner/ops.jsonl`), which `kintsugi serve` follows as
 * one more 4.2 source. Every record is checked with the pipeline's own OPS reader before it is
 * written, so the log never holds a line the pipeline would dead-letter. A line is appended whole
 * and fsynced: a runner killed at any point leaves whole lines (a torn last line cannot happen
 * with one write(2) of a line on a local file system opened for appending).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readOps } from '../../parsers/ops/schema.js';
import { JobError } from '../jobs/errors.js';
import { opsV2Json, type OpsV2Record } from '../ops-events/record.js';
import { ulid } from './ulid.js';

export const RUNNER_LOG_DIR = 'runner';
export const RUNNER_LOG_FILE = 'ops.jsonl';

export function runnerLogPath(dataDir: string): string {
  return join(dataDir, RUNNER_LOG_DIR, RUNNER_LOG_FILE);
}

/** The ops the runner (and the ops helper's scheduler, self-healing) emits. */
export type RunnerOp =
  | 'restore.start'
  | 'restore.file'
  | 'restore.block'
  | 'integrity.verify'
  | 'restore.end'
  | 'auth.denied'
  | 'snapshot.create'
  | 'snapshot.verify'
  | 'selfheal.scan'
  | 'selfheal.apply'
  | 'prefetch.load';

export type RunnerStatus = 'ok' | 'missing' | 'corrupt' | 'failed' | 'skipped' | 'started' | 'denied';

export interface RunnerEvent {
  readonly op: RunnerOp;
  readonly status: RunnerStatus;
  readonly host: string;
  readonly instance?: string;
  readonly osVersion?: string;
  /** `S0000` when absent; `E` + 4 digits for an error, `W` + 4 digits for a warning. */
  readonly code?: string;
  readonly correlationId?: string;
  /** The `event_id` of the event that caused this one. */
  readonly parentId?: string | null;
  readonly user?: string;
  readonly module?: string;
  readonly file?: { readonly path?: string; readonly bytes?: number };
  readonly restore?: { readonly mode?: string; readonly snapshot?: string; readonly target?: string };
  readonly durationMs?: number;
  readonly message?: string;
  /** Fields of Kintsugi's own (job, alert, decision): kept by the reader under `recovery.details`. */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Event time; now by default. */
  readonly timeMs?: number;
}

/** The v2 record of an event (pure; `eventId` given). */
export function toV2Record(e: RunnerEvent, eventId: string, timeMs: number): Record<string, unknown> {
  const rec: Record<string, unknown> = { schema: 2, time: timeMs, event_id: eventId, parent_id: e.parentId ?? null, host: { name: e.host } };
  const os: Record<string, string> = {};
  if (e.osVersion !== undefined) os['version'] = e.osVersion;
  if (e.instance !== undefined) os['instance'] = e.instance;
  if (Object.keys(os).length > 0) rec['os'] = os;
  rec['op'] = e.op;
  rec['status'] = e.status;
  rec['code'] = e.code ?? 'S0000';
  if (e.correlationId !== undefined) rec['correlation_id'] = e.correlationId;
  if (e.user !== undefined) rec['user'] = e.user;
  if (e.module !== undefined) rec['module'] = e.module;
  if (e.file !== undefined) rec['file'] = { ...e.file };
  if (e.restore !== undefined) rec['restore'] = { ...e.restore };
  if (e.durationMs !== undefined) rec['duration_ms'] = Math.round(e.durationMs * 1000) / 1000;
  if (e.message !== undefined) rec['message'] = e.message;
  if (e.extra !== undefined) rec['kintsugi'] = e.extra;
  return rec;
}

export class RunnerEventLog {
  private fd: number | null = null;

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  private open(): number {
    if (this.fd === null) {
      mkdirSync(dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, 'a', 0o644);
    }
    return this.fd;
  }

  /**
   * Appends one event, durably; returns its `event_id` (for children's `parentId`). An id given
   * (one fixed before a crash) makes a repeated emission the same event, which the store keeps once.
   */
  emit(e: RunnerEvent, id?: string): string {
    const timeMs = e.timeMs ?? this.now();
    const eventId = id ?? ulid(timeMs);
    this.write(toV2Record(e, eventId, timeMs));
    return eventId;
  }

  /** Appends a record built by restore-runner/ops-events/ (scheduler, self-healing, drills): an `EmitOps`. */
  readonly append = (record: OpsV2Record): void => {
    this.write(opsV2Json(record));
  };

  private write(record: Readonly<Record<string, unknown>>): void {
    const checked = readOps(record);
    if (!checked.ok) throw new JobError('JOB_ERR_EVENT_INVALID', checked.reason, checked.message);
    const fd = this.open();
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
