/**
 * Builds a trace from the events of one correlation id, already in store order: each event's
 * parent link (`recovery.parent_id` resolved against the `event.id`s of the trace) and children.
 * Pure; shared by every store so traces look the same whatever stores them.
 */
import type { RecoveryEvent } from '../../parsers/event.js';
import type { ParentLink, Trace, TraceNode } from './event-store.js';

export function buildTrace(correlationId: string, events: readonly RecoveryEvent[]): Trace {
  const ids = new Set(events.map((e) => e.event.id));
  const children = new Map<string, string[]>();
  for (const e of events) {
    const parentId = e.recovery.parent_id;
    if (parentId === undefined || !ids.has(parentId)) continue;
    const list = children.get(parentId);
    if (list === undefined) children.set(parentId, [e.event.id]);
    else list.push(e.event.id);
  }
  const nodes: TraceNode[] = [];
  const roots: string[] = [];
  for (const e of events) {
    const parentId = e.recovery.parent_id;
    const parent: ParentLink =
      parentId === undefined
        ? { kind: 'none' }
        : ids.has(parentId)
          ? { kind: 'present', parentId }
          : { kind: 'absent', parentId };
    if (parent.kind !== 'present') roots.push(e.event.id);
    nodes.push({ event: e, parent, children: children.get(e.event.id) ?? [] });
  }
  return { correlationId, nodes, roots };
}
