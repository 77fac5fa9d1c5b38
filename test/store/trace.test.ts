/**
 * The linked trace (pipeline/store/trace.ts `linkTrace`): parents in other correlation ids and the
 * events behind the trace's alert come in marked, in time order; cycles, missing parents and the
 * bounds end the walk, and `linksCut` says when a bound did.
 */
import { describe, expect, it } from 'vitest';
import type { RecoveryEvent } from '../../parsers/event.js';
import { MAX_IDS_PER_LOOKUP, type Trace } from '../../pipeline/store/event-store.js';
import { storeError } from '../../pipeline/store/errors.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { buildTrace, linkTrace, readLinkedTrace, type EventLookup } from '../../pipeline/store/trace.js';
import { sampleEvents } from './samples.js';

const BASE = sampleEvents()[0] as RecoveryEvent;

function event(id: string, minute: number, cid: string | null, parent?: string): RecoveryEvent {
  const { correlation_id: _cid, parent_id: _parent, ...recovery } = BASE.recovery;
  return {
    ...BASE,
    '@timestamp': new Date(Date.UTC(2026, 2, 14, 0, minute)).toISOString(),
    event: { ...BASE.event, id },
    recovery: { ...recovery, ...(cid === null ? {} : { correlation_id: cid }), ...(parent === undefined ? {} : { parent_id: parent }) },
  };
}

/** A lookup over `events` that records the ids of each call. */
function lookupOf(events: readonly RecoveryEvent[]): EventLookup & { calls: string[][] } {
  const byId = new Map(events.map((e) => [e.event.id, e]));
  const calls: string[][] = [];
  const lookup = async (ids: readonly string[]): Promise<RecoveryEvent[]> => {
    calls.push([...ids]);
    return ids.flatMap((id) => byId.get(id) ?? []);
  };
  return Object.assign(lookup, { calls });
}

function ownTrace(cid: string, all: readonly RecoveryEvent[]): Trace {
  return buildTrace(cid, all.filter((e) => e.recovery.correlation_id === cid));
}

/** [id, parent kind, linked] per node: what a reader of the trace sees. */
function rows(t: Trace): [string, string, string][] {
  return t.nodes.map((n) => [n.event.event.id, n.parent.kind, n.linked === undefined ? 'own' : `${n.linked.via}:${n.linked.correlationId ?? '-'}${n.linked.via === 'alert' ? `:${n.linked.alertId}` : ''}`]);
}

describe('linkTrace', () => {
  // The closed loop in small: three corrupt checks in their sessions, an alert counting them, and
  // the restore under the alert's correlation id whose first event names the first check.
  const checks = [event('check-0', 0, 'session-0'), event('check-1', 1, 'session-1'), event('check-2', 2, 'session-2')];
  const restore = [event('verify', 10, 'alert-cid', 'check-0'), event('start', 11, 'alert-cid', 'verify'), event('end', 12, 'alert-cid', 'start')];
  const all = [...checks, ...restore, event('other', 5, 'session-1')];

  it('takes in the parent from another correlation id and the events behind the alert, in time order, marked', async () => {
    const lookup = lookupOf(all);
    const t = await linkTrace(ownTrace('alert-cid', all), lookup, [{ alertId: 'A1', relatedEventIds: ['check-0', 'check-1', 'check-2', 'check-1'] }]);
    expect(rows(t)).toEqual([
      ['check-0', 'none', 'parent:session-0'],
      ['check-1', 'none', 'alert:session-1:A1'],
      ['check-2', 'none', 'alert:session-2:A1'],
      ['verify', 'present', 'own'],
      ['start', 'present', 'own'],
      ['end', 'present', 'own'],
    ]);
    expect(t.roots).toEqual(['check-0', 'check-1', 'check-2']);
    expect(t.nodes[0]?.children).toEqual(['verify']);
    expect(t.linksCut).toBe(false);
    expect(t.correlationId).toBe('alert-cid');
    // Each id looked up once, the rest of the sessions (check-1's `other`) left out.
    expect(lookup.calls).toEqual([['check-0', 'check-1', 'check-2']]);
  });

  it('follows parents of linked events across correlation ids, and ends a cycle (a <- c <- b <- a)', async () => {
    const chain = [event('a', 0, 'x', 'c'), event('b', 1, 'y', 'a'), event('c', 2, 'z', 'b'), event('own', 3, 'w', 'c')];
    const lookup = lookupOf(chain);
    const t = await linkTrace(ownTrace('w', chain), lookup);
    expect(rows(t)).toEqual([
      ['a', 'present', 'parent:x'],
      ['b', 'present', 'parent:y'],
      ['c', 'present', 'parent:z'],
      ['own', 'present', 'own'],
    ]);
    expect(t.roots).toEqual([]);
    expect(t.linksCut).toBe(false);
    expect(lookup.calls).toEqual([['c'], ['b'], ['a']]);
  });

  it('leaves a parent that is not stored absent, without cutting', async () => {
    const events = [event('own', 0, 'w', 'gone'), event('own-2', 1, 'w', 'linked'), event('linked', 0, 'v', 'also-gone')];
    const t = await linkTrace(ownTrace('w', events), lookupOf(events));
    expect(rows(t)).toEqual([
      ['linked', 'absent', 'parent:v'],
      ['own', 'absent', 'own'],
      ['own-2', 'present', 'own'],
    ]);
    expect(t.linksCut).toBe(false);
  });

  it('marks an event without a correlation id as linked from none', async () => {
    const events = [event('plain', 0, null), event('own', 1, 'w', 'plain')];
    const t = await linkTrace(ownTrace('w', events), lookupOf(events));
    expect(rows(t)[0]).toEqual(['plain', 'none', 'parent:-']);
  });

  it('gives the trace unchanged when nothing links out', async () => {
    const lookup = lookupOf(all);
    const t = await linkTrace(ownTrace('session-1', all), lookup);
    expect(t).toEqual({ ...ownTrace('session-1', all), linksCut: false });
    expect(lookup.calls).toEqual([]);
    // Only the alert's events: a trace with none of its own still shows them.
    const alone = await linkTrace(buildTrace('nothing-yet', []), lookupOf(all), [{ alertId: 'A1', relatedEventIds: ['check-1'] }]);
    expect(rows(alone)).toEqual([['check-1', 'none', 'alert:session-1:A1']]);
  });

  it('stops at the link depth, and says so', async () => {
    // own <- p1 <- p2 <- ... <- p10, each in a correlation id of its own.
    const chain = [event('own', 20, 'w', 'p1'), ...Array.from({ length: 10 }, (_, i) => event(`p${i + 1}`, 19 - i, `c${i + 1}`, i < 9 ? `p${i + 2}` : undefined))];
    const deep = await linkTrace(ownTrace('w', chain), lookupOf(chain), [], { depth: 8, events: 1000 });
    expect(deep.nodes.filter((n) => n.linked !== undefined).map((n) => n.event.event.id).sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']);
    expect(deep.linksCut).toBe(true);
    expect(deep.nodes[0]?.parent).toEqual({ kind: 'absent', parentId: 'p9' });
    const enough = await linkTrace(ownTrace('w', chain), lookupOf(chain), [], { depth: 10, events: 1000 });
    expect(enough.nodes).toHaveLength(11);
    expect(enough.linksCut).toBe(false);
  });

  it('takes at most the bound of linked events, asking at most MAX_IDS_PER_LOOKUP ids a call', async () => {
    const related = Array.from({ length: 2500 }, (_, i) => event(`r${String(i).padStart(4, '0')}`, 0, `s${i}`));
    const lookup = lookupOf(related);
    const ids = related.map((e) => e.event.id);
    const t = await linkTrace(buildTrace('alert-cid', []), lookup, [{ alertId: 'A1', relatedEventIds: ids }], { depth: 8, events: 2200 });
    expect(t.nodes).toHaveLength(2200);
    expect(t.linksCut).toBe(true);
    expect(lookup.calls.map((c) => c.length)).toEqual([MAX_IDS_PER_LOOKUP, MAX_IDS_PER_LOOKUP, 200]);
    const defaults = await linkTrace(buildTrace('alert-cid', []), lookupOf(related), [{ alertId: 'A1', relatedEventIds: ids }]);
    expect(defaults.nodes).toHaveLength(1000);
    expect(defaults.linksCut).toBe(true);
  });
});

describe('readLinkedTrace', () => {
  it('reads the trace, its parents and its alert’s events from a store', async () => {
    const store = new MemoryEventStore();
    const events = [event('check-0', 0, 'session-0'), event('check-1', 1, 'session-1'), event('verify', 10, 'alert-cid', 'check-0')];
    await store.writeBatch(events, []);
    const r = await readLinkedTrace(store, 'alert-cid', async (cid) => (cid === 'alert-cid' ? [{ alertId: 'A1', relatedEventIds: ['check-0', 'check-1'] }] : []));
    if (!r.ok) throw r.error;
    expect(rows(r.trace)).toEqual([
      ['check-0', 'none', 'parent:session-0'],
      ['check-1', 'none', 'alert:session-1:A1'],
      ['verify', 'present', 'own'],
    ]);
    expect(await readLinkedTrace(store, 'no-such-cid')).toEqual({ ok: true, trace: { correlationId: 'no-such-cid', nodes: [], roots: [], linksCut: false } });
  });

  it('answers a failed lookup as the store failure it is, not as a thrown error', async () => {
    const store = new MemoryEventStore();
    await store.writeBatch([event('verify', 10, 'alert-cid', 'check-0')], []);
    const failure = storeError('PIP_ERR_STORE_BAD_IDS', ['the lookup failed', MAX_IDS_PER_LOOKUP]);
    store.eventsById = async () => ({ ok: false, error: failure });
    expect(await readLinkedTrace(store, 'alert-cid')).toEqual({ ok: false, error: failure });
  });
});
