/**
 * An OPS 4.2 record (v1 or v2) to the normalized event (event-schema.md). Pure.
 */
import type { RecoveryEvent } from '../event.js';
import { classify, moduleOf, msToNs, outcomeOf } from '../ecs.js';
import type { OpsRecord } from './schema.js';

export interface OpsSource {
  /** `log.file.path`, when read from a file. */
  readonly path?: string;
}

export function normalizeOps(r: OpsRecord, id: string, offset: number | undefined, original: string, source: OpsSource): RecoveryEvent {
  const mod = moduleOf(r.path, r.module);
  const { category, type } = classify(r.op, mod.module !== undefined);
  const outcome = outcomeOf(r.status);
  const errorMessage = outcome === 'failure' ? r.message : undefined;
  const log =
    source.path !== undefined
      ? { file: { path: source.path }, ...(offset !== undefined ? { offset } : {}) }
      : offset !== undefined
        ? { offset }
        : undefined;
  const file =
    r.path !== undefined || r.bytes !== undefined
      ? { ...(r.path !== undefined ? { path: r.path } : {}), ...(r.bytes !== undefined ? { size: r.bytes } : {}) }
      : undefined;
  const restore =
    r.restoreMode !== undefined || r.restoreTarget !== undefined
      ? { ...(r.restoreMode !== undefined ? { mode: r.restoreMode } : {}), ...(r.restoreTarget !== undefined ? { target: r.restoreTarget } : {}) }
      : undefined;
  return {
    '@timestamp': new Date(r.timeMs).toISOString(),
    event: {
      id,
      kind: 'event',
      category,
      type,
      action: r.op,
      outcome,
      ...(r.code !== undefined ? { code: r.code } : {}),
      dataset: 'recovery.v42',
      ...(r.durationMs !== undefined ? { duration: msToNs(r.durationMs) } : {}),
      original,
    },
    host: { name: r.host, ...(r.hostId !== undefined ? { id: r.hostId } : {}), os: { version: r.version ?? '4.2' } },
    ...(file !== undefined ? { file } : {}),
    ...(r.code !== undefined || errorMessage !== undefined
      ? { error: { ...(r.code !== undefined ? { code: r.code } : {}), ...(errorMessage !== undefined ? { message: errorMessage } : {}) } }
      : {}),
    ...(r.message !== undefined ? { message: r.message } : {}),
    ...(r.user !== undefined ? { user: { name: r.user } } : {}),
    ...(log !== undefined ? { log } : {}),
    recovery: {
      os_line: '4.2',
      status: r.status,
      ...(r.correlationId !== undefined ? { correlation_id: r.correlationId } : {}),
      ...(r.parentId !== undefined ? { parent_id: r.parentId } : {}),
      instance: r.instance ?? 'default',
      ...mod,
      ...(r.snapshot !== undefined ? { snapshot: r.snapshot } : {}),
      ...(restore !== undefined ? { restore } : {}),
      ...(r.details !== undefined ? { details: r.details } : {}),
    },
  };
}
