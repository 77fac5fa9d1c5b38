/**
 * Traces. `buildTrace`: the events of one correlation id, already in store order, with each
 * event's parent link (`recovery.parent_id` resolved against the `event.id`s of the trace) and
 * children; pure, shared by every store so traces look the same whatever stores them.
 *
 * `linkTrace`: a trace with the events it points at outside its correlation id, so that one trace
 * shows detection and repair. A restore's first event names the first corrupt check as its parent
 * (stored under that check's session), and the alert whose correlation id the restore carries
 * lists the corrupt checks it counted; both are in other correlation ids. The walk is bounded
 * (link depth, linked events) and reads through a lookup by id (`EventStore.eventsById`), so it
 * is pure but for that lookup. `readLinkedTrace` puts it together over a store.
 */
import type { RecoveryEvent } from '../../parsers/event.js';
import { MAX_IDS_PER_LOOKUP, type EventStore, type ParentLink, type Trace, type TraceLink, type TraceNode, type TraceResult } from './event-store.js';
import { StoreError } from './errors.js';
import { compareRecords } from './record.js';

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

/** How far a linked trace reaches: parent links followed from the trace's own events, and events taken in. */
export interface LinkBounds {
  readonly depth: number;
  readonly events: number;
}

export const LINK_BOUNDS: LinkBounds = { depth: 8, events: 1000 };

/** An alert whose `recovery.correlation_id` is the trace's: its related events are linked. */
export interface AlertLinks {
  readonly alertId: string;
  readonly relatedEventIds: readonly string[];
}

/** Events by id, whatever their correlation id (unknown ids left out). */
export type EventLookup = (ids: readonly string[]) => Promise<readonly RecoveryEvent[]>;

/** Why an id is looked up; the correlation id of the link is the found event's. */
type LinkReason = { readonly via: 'parent' } | { readonly via: 'alert'; readonly alertId: string };

/**
 * The trace with the events it links to outside its correlation id, marked `linked`, all in time
 * order (then id), parents and children resolved over the whole. Followed: the `parent_id`s the
 * trace does not hold, then theirs, up to `bounds.depth` links away; and the related events of
 * `alerts`. An event reached both ways is marked `parent`. A parent that is not stored stays
 * `absent`; an event is looked up once, so cycles end. `linksCut` is true when a bound stopped
 * the walk with links left to follow.
 */
export async function linkTrace(own: Trace, lookup: EventLookup, alerts: readonly AlertLinks[] = [], bounds: LinkBounds = LINK_BOUNDS): Promise<Trace> {
  const queued = new Set(own.nodes.map((n) => n.event.event.id));
  const linked = new Map<string, { readonly event: RecoveryEvent; readonly link: TraceLink }>();
  let frontier: { readonly id: string; readonly reason: LinkReason }[] = [];
  const queue = (id: string | undefined, reason: LinkReason): void => {
    if (id === undefined || id === '' || queued.has(id)) return;
    queued.add(id);
    frontier.push({ id, reason });
  };
  for (const node of own.nodes) if (node.parent.kind === 'absent') queue(node.parent.parentId, { via: 'parent' });
  for (const alert of alerts) for (const id of alert.relatedEventIds) queue(id, { via: 'alert', alertId: alert.alertId });
  let cut = false;
  for (let depth = 1; frontier.length > 0; depth++) {
    const room = bounds.events - linked.size;
    if (depth > bounds.depth || room <= 0) {
      cut = true;
      break;
    }
    if (frontier.length > room) cut = true;
    const batch = frontier.slice(0, room);
    frontier = [];
    const reasonOf = new Map(batch.map((p) => [p.id, p.reason]));
    for (let from = 0; from < batch.length; from += MAX_IDS_PER_LOOKUP) {
      for (const event of await lookup(batch.slice(from, from + MAX_IDS_PER_LOOKUP).map((p) => p.id))) {
        const reason = reasonOf.get(event.event.id);
        if (reason === undefined || linked.has(event.event.id)) continue; // not asked for: a lookup's mistake
        linked.set(event.event.id, { event, link: { ...reason, correlationId: event.recovery.correlation_id ?? null } });
        queue(event.recovery.parent_id, { via: 'parent' });
      }
    }
  }
  if (linked.size === 0) return { ...own, linksCut: cut };
  const events = [...own.nodes.map((n) => n.event), ...[...linked.values()].map((l) => l.event)];
  const order = (e: RecoveryEvent): { tsMs: number; id: string } => ({ tsMs: Date.parse(e['@timestamp']), id: e.event.id });
  events.sort((a, b) => compareRecords(order(a), order(b)));
  const whole = buildTrace(own.correlationId, events);
  const nodes = whole.nodes.map((n) => {
    const l = linked.get(n.event.event.id);
    return l === undefined ? n : { ...n, linked: l.link };
  });
  return { ...whole, nodes, linksCut: cut };
}

/**
 * The linked trace of a correlation id from a store: its own events, the events their parent links
 * reach, and the related events of the alerts `alertsOf` gives for it (none when absent).
 */
export async function readLinkedTrace(
  store: EventStore,
  correlationId: string,
  alertsOf?: (correlationId: string) => Promise<readonly AlertLinks[]>,
): Promise<TraceResult> {
  const own = await store.trace(correlationId);
  if (!own.ok) return own;
  const alerts = alertsOf === undefined ? [] : await alertsOf(correlationId);
  const lookup: EventLookup = async (ids) => {
    const found = await store.eventsById(ids);
    if (!found.ok) throw found.error;
    return found.events;
  };
  try {
    return { ok: true, trace: await linkTrace(own.trace, lookup, alerts) };
  } catch (err: unknown) {
    // The lookup's failure is the store's, answered as any store failure is.
    if (err instanceof StoreError) return { ok: false, error: err };
    throw err;
  }
}
