/**
 * The runner's own events: OPS 4.2 v2 records (../../../shared/spec/ops-4.2.md) built for one
 * instance and handed to an injected `emit` (`RunnerEventLog.append`, the OPS log that `serve`
 * follows; a test's array). Every event of one action shares a correlation id; children name their parent.
 */
import type { JsonObject } from '../../parsers/event.js';
import type { OpsRecord } from '../../parsers/ops/schema.js';
import { ulid } from '../events/ulid.js';

/** An OPS 4.2 v2 record, in the parsers' own type. */
export type OpsV2Record = Extract<OpsRecord, { readonly schema: 2 }>;

/** Where events go. May be async (a file append); callers await it so that order is kept. */
export type EmitOps = (record: OpsV2Record) => void | Promise<void>;

/** What an event says beyond host, instance, time, ids and correlation. */
export interface EventBody {
  readonly op: string;
  readonly status: string;
  /** `E`/`W` + 4 digits when something is wrong; absent for none (the reader's S0000). */
  readonly code?: string;
  readonly path?: string;
  readonly bytes?: number;
  readonly message?: string;
  readonly snapshot?: string;
  readonly durationMs?: number;
  readonly user?: string;
  readonly module?: string;
  readonly restoreMode?: string;
  readonly restoreTarget?: string;
  readonly details?: JsonObject;
}

export interface ActionEventsOptions {
  readonly emit: EmitOps;
  readonly host: string;
  readonly instance: string;
  readonly version?: string;
  readonly correlationId: string;
  readonly now?: () => number;
  /** Event ids: ULIDs by default (restore-runner/events/ulid.ts). */
  readonly ulid?: (timeMs: number) => string;
}

/**
 * The events of one action on one instance. `emit` returns the event id, to be given as the
 * parent of the events it caused.
 */
export class ActionEvents {
  private readonly now: () => number;
  private readonly ulid: (timeMs: number) => string;

  constructor(private readonly o: ActionEventsOptions) {
    this.now = o.now ?? Date.now;
    this.ulid = o.ulid ?? ulid;
  }

  get correlationId(): string {
    return this.o.correlationId;
  }

  async emit(body: EventBody, parentId?: string): Promise<string> {
    const timeMs = this.now();
    const eventId = this.ulid(timeMs);
    const record: OpsV2Record = {
      schema: 2,
      timeMs,
      eventId,
      host: this.o.host,
      instance: this.o.instance,
      ...(this.o.version !== undefined ? { version: this.o.version } : {}),
      correlationId: this.o.correlationId,
      ...(parentId !== undefined ? { parentId } : {}),
      ...body,
    };
    await this.o.emit(record);
    return eventId;
  }
}

/** The JSON line of a record, field names as ops-4.2.md spells them (v2). */
export function opsV2Json(r: OpsV2Record): JsonObject {
  const out: Record<string, JsonObject[string]> = { schema: 2, time: r.timeMs, event_id: r.eventId };
  if (r.parentId !== undefined) out['parent_id'] = r.parentId;
  out['host'] = r.hostId !== undefined ? { name: r.host, id: r.hostId } : { name: r.host };
  const os: Record<string, string> = {};
  if (r.version !== undefined) os['version'] = r.version;
  if (r.instance !== undefined) os['instance'] = r.instance;
  if (Object.keys(os).length > 0) out['os'] = os;
  out['op'] = r.op;
  out['status'] = r.status;
  if (r.code !== undefined) out['code'] = r.code;
  if (r.correlationId !== undefined) out['correlation_id'] = r.correlationId;
  if (r.user !== undefined) out['user'] = r.user;
  if (r.module !== undefined) out['module'] = r.module;
  if (r.path !== undefined || r.bytes !== undefined) out['file'] = { ...(r.path !== undefined ? { path: r.path } : {}), ...(r.bytes !== undefined ? { bytes: r.bytes } : {}) };
  if (r.restoreMode !== undefined || r.snapshot !== undefined || r.restoreTarget !== undefined) {
    out['restore'] = { ...(r.restoreMode !== undefined ? { mode: r.restoreMode } : {}), ...(r.snapshot !== undefined ? { snapshot: r.snapshot } : {}), ...(r.restoreTarget !== undefined ? { target: r.restoreTarget } : {}) };
  }
  if (r.durationMs !== undefined) out['duration_ms'] = r.durationMs;
  if (r.message !== undefined) out['message'] = r.message;
  // Fields the spec does not name are kept by readers at their own path (event-schema.md).
  if (r.details !== undefined) for (const [k, v] of Object.entries(r.details)) if (!(k in out)) out[k] = v;
  return out;
}
