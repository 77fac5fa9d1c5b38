/**
 * A restore job: what an alert (or a person) asked for, what the policy decided and why, each
 * attempt, and how it ended. Stored one JSON file per job (job-store.ts); `kintsugi restores show`
 * prints it.
 *
 * States: `awaiting-approval`, `held` (blast radius), `cooldown`, `queued` (waits for a slot)
 * → `running` → `succeeded` | `failed`; `cancelled` (by a person, before it ran or while it ran:
 * the engine stops at its next file or block batch); `refused`
 * (the policy allows no restore from an alert for this host). The first four are re-decided by
 * the runner as the facts change (a hold lifts, a cooldown passes, a slot frees, an approval).
 */
export const JOB_STATES = ['awaiting-approval', 'held', 'cooldown', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'refused'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const WAITING_STATES: readonly JobState[] = ['awaiting-approval', 'held', 'cooldown', 'queued'];
export const FINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'refused'];

export interface JobAlert {
  readonly id: string;
  readonly rule: string;
  /** The `event.id` of the first event behind the alert (the first corrupt check). */
  readonly firstEventId: string | null;
}

export interface JobAttempt {
  readonly snapshot: string;
  readonly mode: 'files' | 'delta' | 'full';
  readonly purpose: 'repair' | 'rollback';
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly outcome: 'running' | 'ok' | 'refused' | 'failed' | 'cancelled';
  readonly error?: string;
  readonly bytesWritten?: number;
  readonly filesWritten?: number;
}

/** Where a running attempt is (the engine's last report, restore/control.ts). */
export interface JobProgress {
  readonly phase: 'plan' | 'write' | 'verify' | 'done';
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly filesDone?: number;
  readonly filesTotal?: number;
  readonly updatedAt: string;
}

export interface JobHistoryEntry {
  readonly at: string;
  readonly state: JobState;
  readonly by?: string;
  readonly note: string;
}

export interface Job {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly trigger: 'alert' | 'manual';
  readonly alert: JobAlert | null;
  /** The alert's `recovery.correlation_id` (a new one for a manual request): every runner event carries it. */
  readonly correlationId: string;
  readonly host: string;
  readonly instance: string;
  readonly module: string | null;
  /** Damaged files as the events name them (absolute in the instance); empty: the whole instance. */
  readonly paths: readonly string[];
  /** A snapshot asked for by hand (an ID prefix), or null to let the policy choose. */
  readonly snapshot: string | null;
  readonly requestedBy: string | null;
  readonly approvedBy: string | null;
  readonly state: JobState;
  /** The policy's last admission decision and its explanation. */
  readonly decision: { readonly kind: string; readonly explanation: readonly string[] };
  /** The last snapshot choice's explanation. */
  readonly choice: readonly string[];
  readonly attempts: readonly JobAttempt[];
  /** Event ids fixed when the job first starts, so that a resumed job writes the same ones (the store keeps one copy). */
  readonly events: { readonly detectId: string; readonly startId: string; readonly endId: string; readonly startMs: number } | null;
  /** Times the runner stopped (was killed) while this job ran. */
  readonly interruptions: number;
  readonly history: readonly JobHistoryEntry[];
  readonly error?: string;
  /** The current (or last) attempt's progress: live in the API, in the job file about once a second. */
  readonly progress?: JobProgress;
  /** A cancel asked for while the job ran, kept so that a runner restarted before it ended does not resume it. */
  readonly cancelRequested?: { readonly by: string; readonly at: string };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A job file read back is checked before it is trusted (the shape the runner relies on). */
export function isJob(v: unknown): v is Job {
  if (!isObject(v)) return false;
  const strs = ['id', 'createdAt', 'updatedAt', 'correlationId', 'host', 'instance'] as const;
  if (!strs.every((k) => typeof v[k] === 'string')) return false;
  if (v['trigger'] !== 'alert' && v['trigger'] !== 'manual') return false;
  if (typeof v['state'] !== 'string' || !(JOB_STATES as readonly string[]).includes(v['state'])) return false;
  if (!Array.isArray(v['paths']) || !Array.isArray(v['attempts']) || !Array.isArray(v['history']) || !Array.isArray(v['choice'])) return false;
  if (!isObject(v['decision']) || typeof v['interruptions'] !== 'number') return false;
  return v['events'] === null || (isObject(v['events']) && typeof v['events']['detectId'] === 'string' && typeof v['events']['startId'] === 'string' && typeof v['events']['endId'] === 'string');
}
