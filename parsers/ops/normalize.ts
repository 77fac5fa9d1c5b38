/**
 * An OPS 4.2 record (v1 or v2) to the normalized event (event-schema.md). Pure.
 */
import type { EventFields, Mutable, RecoveryEvent, RecoveryFields } from '../event.js';
import { classify, moduleOf, msToNs, outcomeOf } from '../ecs.js';
import { isoTime } from '../iso-time.js';
import { hostOf, logFileOf } from '../shared-fields.js';
import type { ReadOpsRecord } from './schema.js';

export interface OpsSource {
  /** `log.file.path`, when read from a file. */
  readonly path?: string;
}

/** Built field by field in one order, so that events share hidden classes (a hot path). */
export function normalizeOps(r: ReadOpsRecord, id: string, offset: number | undefined, original: string, source: OpsSource): RecoveryEvent {
  const mod = moduleOf(r.path, r.module);
  const { category, type } = classify(r.op, mod.module !== undefined);
  const outcome = outcomeOf(r.status);

  const ev: Mutable<EventFields> = { id, kind: 'event', category, type, action: r.op, outcome, dataset: 'recovery.v42' };
  if (r.code !== undefined) ev.code = r.code;
  if (r.durationMs !== undefined) ev.duration = msToNs(r.durationMs);
  ev.original = original;

  const host = r.hostId === undefined ? hostOf(r.host, r.version ?? '4.2') : { name: r.host, os: { version: r.version ?? '4.2' }, id: r.hostId };

  const rec: Mutable<RecoveryFields> = { os_line: '4.2', instance: r.instance ?? 'default', status: r.status };
  if (r.correlationId !== undefined) rec.correlation_id = r.correlationId;
  if (r.parentId !== undefined) rec.parent_id = r.parentId;
  if (mod.kernel !== undefined) rec.kernel = mod.kernel;
  if (mod.module !== undefined) rec.module = mod.module;
  if (r.snapshot !== undefined) rec.snapshot = r.snapshot;
  if (r.restoreMode !== undefined || r.restoreTarget !== undefined) {
    const restore: { mode?: string; target?: string } = {};
    if (r.restoreMode !== undefined) restore.mode = r.restoreMode;
    if (r.restoreTarget !== undefined) restore.target = r.restoreTarget;
    rec.restore = restore;
  }
  if (r.details !== undefined) rec.details = r.details;

  const at = r.schema === 1 && r.canonicalTime !== null ? r.canonicalTime : isoTime(r.timeMs);
  const event: Mutable<RecoveryEvent> = { '@timestamp': at, event: ev, host, recovery: rec };
  if (r.path !== undefined || r.bytes !== undefined) {
    const file: { path?: string; size?: number } = {};
    if (r.path !== undefined) file.path = r.path;
    if (r.bytes !== undefined) file.size = r.bytes;
    event.file = file;
  }
  const errorMessage = outcome === 'failure' ? r.message : undefined;
  if (r.code !== undefined || errorMessage !== undefined) {
    const error: { code?: string; message?: string } = {};
    if (r.code !== undefined) error.code = r.code;
    if (errorMessage !== undefined) error.message = errorMessage;
    event.error = error;
  }
  if (r.message !== undefined) event.message = r.message;
  if (r.user !== undefined) event.user = { name: r.user };
  if (source.path !== undefined) event.log = offset !== undefined ? { file: logFileOf(source.path), offset } : { file: logFileOf(source.path) };
  else if (offset !== undefined) event.log = { offset };
  return event;
}
