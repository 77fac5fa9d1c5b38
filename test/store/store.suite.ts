/**
 * The EventStore conformance suite: every store (memory, DuckDB, later Elasticsearch) runs it
 * through `storeSuite(name, harness)`. It talks to the interface only, with the shared sample
 * events (samples.ts), and asserts exact ids in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RecoveryEvent } from '../../parsers/event.js';
import { StoreError } from '../../pipeline/store/errors.js';
import { MAX_IDS_PER_LOOKUP, streamEventsSince, type EventFilter, type EventStore, type GroupField, type SequencedEvent } from '../../pipeline/store/event-store.js';
import { compareCodePoints } from '../../pipeline/store/record.js';
import { encodeCursor } from '../../pipeline/store/query-input.js';
import { ids, RESTORE_START_ID, sampleDeadLetters, sampleEvents } from './samples.js';

export interface StoreHarness {
  /** A new, empty store whose clock is `now`. */
  create(now: () => Date): Promise<EventStore>;
  /** Closes `store` and opens its storage again; absent when the store does not persist. */
  reopen?(store: EventStore, now: () => Date): Promise<EventStore>;
}

export const INGESTED = '2026-11-22T00:00:00.000Z';
const now = (): Date => new Date(INGESTED);

const EVENTS = sampleEvents();
const DEAD = sampleDeadLetters();

/** Sample ids in store order (@timestamp, then id), computed independently of any store. */
const ALL_IN_ORDER = [...EVENTS]
  .sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']) || (a.event.id < b.event.id ? -1 : 1))
  .map((e) => e.event.id);

/** The 3.2 session 1f3a9c, in both rlog samples, in time order. */
const SESSION_1F3A9C = [
  ...Array.from({ length: 13 }, (_, i) => `qk-rlog-${String(i + 1).padStart(2, '0')}`),
  ...Array.from({ length: 9 }, (_, i) => `ex-rlog-0${i}`),
];

function withIngested(e: RecoveryEvent): RecoveryEvent {
  return { ...e, event: { ...e.event, ingested: INGESTED } };
}

function event(overrides: { id: string; ts: string; cid?: string; parent?: string; message?: string }): RecoveryEvent {
  const base = EVENTS[0];
  if (base === undefined) throw new Error('no sample events');
  return {
    ...base,
    '@timestamp': overrides.ts,
    event: { ...base.event, id: overrides.id },
    ...(overrides.message === undefined ? {} : { message: overrides.message }),
    recovery: {
      ...base.recovery,
      ...(overrides.cid === undefined ? {} : { correlation_id: overrides.cid }),
      ...(overrides.parent === undefined ? {} : { parent_id: overrides.parent }),
    },
  };
}

export function storeSuite(name: string, harness: StoreHarness): void {
  describe(`EventStore conformance: ${name}`, () => {
    let open: EventStore[] = [];
    afterEach(async () => {
      for (const s of open) await s.close();
      open = [];
    });

    async function fresh(): Promise<EventStore> {
      const store = await harness.create(now);
      open.push(store);
      return store;
    }

    async function loaded(): Promise<EventStore> {
      const store = await fresh();
      const r = await store.writeBatch(EVENTS, DEAD);
      expect(r).toEqual({ ok: true, events: { inserted: 37, duplicates: 0 }, deadLetters: { inserted: 20, duplicates: 0 } });
      return store;
    }

    async function eventIds(store: EventStore, filter: EventFilter): Promise<string[]> {
      const r = await store.queryEvents(filter, { limit: 0 });
      if (!r.ok) throw r.error;
      expect(r.nextCursor).toBeNull();
      return ids(r.events);
    }

    async function errorCode(p: Promise<{ ok: boolean; error?: StoreError }>): Promise<string> {
      const r = await p;
      if (r.ok || r.error === undefined) return 'ok';
      expect(r.error).toBeInstanceOf(StoreError);
      return r.error.code;
    }

    describe('writeBatch', () => {
      it('stores every sample once and counts a second write as duplicates', async () => {
        const store = await loaded();
        expect(await store.writeBatch(EVENTS, DEAD)).toEqual({
          ok: true,
          events: { inserted: 0, duplicates: 37 },
          deadLetters: { inserted: 0, duplicates: 20 },
        });
        expect(await store.stats()).toEqual({ events: 37, deadLetters: 20 });
      });

      it('stores an id repeated inside one batch once, the first occurrence winning', async () => {
        const store = await fresh();
        const a = event({ id: 'dup-a', ts: '2026-01-01T00:00:00.000Z', message: 'first' });
        const a2 = event({ id: 'dup-a', ts: '2026-01-01T00:00:00.000Z', message: 'second' });
        const b = event({ id: 'dup-b', ts: '2026-01-01T00:00:01.000Z' });
        expect(await store.writeBatch([a, a2, b], [])).toEqual({
          ok: true,
          events: { inserted: 2, duplicates: 1 },
          deadLetters: { inserted: 0, duplicates: 0 },
        });
        const page = await store.queryEvents({}, { limit: 0 });
        expect(page.ok && page.events.map((e) => [e.event.id, e.message])).toEqual([
          ['dup-a', 'first'],
          ['dup-b', undefined],
        ]);
      });

      it('keeps partly new batches exact: only the new ids are inserted', async () => {
        const store = await fresh();
        expect(await store.writeBatch(EVENTS.slice(0, 20), DEAD.slice(0, 5))).toMatchObject({
          events: { inserted: 20, duplicates: 0 },
        });
        expect(await store.writeBatch(EVENTS, DEAD)).toEqual({
          ok: true,
          events: { inserted: 17, duplicates: 20 },
          deadLetters: { inserted: 15, duplicates: 5 },
        });
        expect(await eventIds(store, {})).toEqual(ALL_IN_ORDER);
        // The session's events came in two writes (the second also repeating some of the first).
        const trace = await store.trace('1f3a9c');
        expect(trace.ok && trace.trace.nodes.map((n) => n.event.event.id)).toEqual(SESSION_1F3A9C);
      });

      it('writes concurrent copies of a batch once', async () => {
        const store = await fresh();
        const results = await Promise.all([store.writeBatch(EVENTS, DEAD), store.writeBatch(EVENTS, DEAD)]);
        const inserted = results.map((r) => (r.ok ? r.events.inserted : -1));
        expect(inserted.reduce((x, y) => x + y, 0)).toBe(37);
        expect(await store.stats()).toEqual({ events: 37, deadLetters: 20 });
      });

      it('gives back each document whole, with event.ingested from the store clock', async () => {
        const store = await loaded();
        const r = await store.queryEvents({}, { limit: 0 });
        const byId = new Map(EVENTS.map((e) => [e.event.id, withIngested(e)]));
        expect(r.ok && r.events).toEqual(ALL_IN_ORDER.map((id) => byId.get(id)));
      });

      it('keeps an event.ingested the writer set', async () => {
        const store = await fresh();
        const e = event({ id: 'own-ingested', ts: '2026-01-01T00:00:00.000Z' });
        const mine = { ...e, event: { ...e.event, ingested: '2026-01-02T03:04:05.678Z' } };
        await store.writeBatch([mine], []);
        const r = await store.queryEvents({}, { limit: 0 });
        expect(r.ok && r.events[0]?.event.ingested).toBe('2026-01-02T03:04:05.678Z');
      });

      it('rejects a batch with an event without id, writing nothing of it', async () => {
        const store = await fresh();
        const bad = { ...event({ id: 'x', ts: '2026-01-01T00:00:00.000Z' }), event: { ...EVENTS[0]!.event, id: '' } };
        const r = await store.writeBatch([...EVENTS.slice(0, 3), bad], DEAD);
        expect(r.ok).toBe(false);
        if (r.ok) return;
        expect(r.error.code).toBe('PIP_ERR_STORE_INVALID_EVENT');
        expect(r.error.details).toEqual({ index: 3 });
        expect(await store.stats()).toEqual({ events: 0, deadLetters: 0 });
      });

      it('rejects timestamps without a zone and dead letters without a reason', async () => {
        const store = await fresh();
        const localTime = event({ id: 'local', ts: '2026-01-01T00:00:00' });
        expect(await errorCode(store.writeBatch([localTime], []))).toBe('PIP_ERR_STORE_INVALID_EVENT');
        const dead = DEAD[0]!;
        const noReason = { ...dead, error: { ...dead.error, type: undefined } } as unknown as typeof dead;
        expect(await errorCode(store.writeBatch([], [noReason]))).toBe('PIP_ERR_STORE_INVALID_DEAD_LETTER');
        expect(await store.stats()).toEqual({ events: 0, deadLetters: 0 });
      });
    });

    describe('queryEvents filters', () => {
      it('host', async () => {
        const store = await loaded();
        expect(await eventIds(store, { host: 'web-03' })).toEqual([
          RESTORE_START_ID, 'qk-ops-02', 'ex-ops-01', 'ex-ops-03', 'qk-ops-03', 'qk-ops-04',
        ]);
        expect(await eventIds(store, { host: ['db-08', 'unknown'] })).toEqual(['qk-rlog-16', 'qk-rlog-17', 'ex-rlog-09']);
      });

      it('instance, module, correlation id', async () => {
        const store = await loaded();
        expect(await eventIds(store, { instance: 'os-b' })).toEqual([RESTORE_START_ID, 'qk-ops-02', 'ex-ops-01', 'ex-ops-03']);
        expect(await eventIds(store, { module: 'ixgbe' })).toEqual(['qk-ops-00', 'qk-ops-01', 'ex-ops-02']);
        expect(await eventIds(store, { correlationId: '2b' })).toEqual(['qk-rlog-16', 'qk-rlog-17']);
      });

      it('action and status (missing or corrupt checks)', async () => {
        const store = await loaded();
        expect(await eventIds(store, { action: 'check.file', status: ['missing', 'corrupt'] })).toEqual([
          'qk-ops-00', 'qk-rlog-03', 'qk-rlog-04', 'qk-rlog-17', 'ex-rlog-03', 'qk-ops-02', 'ex-ops-02', 'ex-rlog-04',
        ]);
      });

      it('outcome, dataset, error code', async () => {
        const store = await loaded();
        expect(await eventIds(store, { outcome: 'failure', dataset: 'recovery.v42' })).toEqual([
          'qk-ops-00', 'qk-ops-02', 'ex-ops-02', 'qk-ops-03',
        ]);
        expect(await eventIds(store, { code: 'E1207' })).toEqual(['qk-rlog-04', 'qk-ops-02', 'ex-rlog-04']);
      });

      it('time range: from inclusive, to exclusive', async () => {
        const store = await loaded();
        expect(await eventIds(store, { from: '2026-03-14T01:00:06Z', to: '2026-03-14T01:00:08Z' })).toEqual([
          'qk-rlog-08', 'qk-rlog-09', 'qk-rlog-10', 'qk-rlog-11',
        ]);
        expect(await eventIds(store, { from: '2026-03-14T02:11:10.001+00:00', host: 'web-03' })).toEqual([
          'ex-ops-03', 'qk-ops-03', 'qk-ops-04',
        ]);
        expect(await eventIds(store, { to: '2026-03-14T01:11:10.001+01:00' })).toEqual(['qk-ops-00', 'qk-ops-01']);
      });

      it('text: case-insensitive substring of message or file.path', async () => {
        const store = await loaded();
        expect(await eventIds(store, { text: 'AGENT.CONF' })).toEqual(['qk-rlog-04', 'ex-rlog-04']);
        expect(await eventIds(store, { text: 'Snapshot Older' })).toEqual(['qk-rlog-09']);
        expect(await eventIds(store, { text: 'CAFÉ "X"' })).toEqual(['qk-rlog-04']);
        expect(await eventIds(store, { text: 'back up' })).toEqual(['qk-rlog-07']);
        expect(await eventIds(store, { text: 'fstab', host: 'db-07' })).toEqual(['ex-rlog-06']);
        // Message and path are searched apart: a needle never matches across the two.
        expect(await eventIds(store, { text: '01 00\n/opt' })).toEqual([]);
        expect(await eventIds(store, { text: '01 00/opt' })).toEqual([]);
      });

      it('treats LIKE wildcards and SQL in values as plain text', async () => {
        const store = await loaded();
        expect(await eventIds(store, { text: '%' })).toEqual([]);
        expect(await eventIds(store, { text: 'a_d' })).toEqual([]);
        expect(await eventIds(store, { text: 'RAID_S' })).toEqual(['qk-rlog-10', 'ex-rlog-03', 'ex-rlog-05']);
        expect(await eventIds(store, { text: "' OR 1=1 --" })).toEqual([]);
        expect(await eventIds(store, { host: "web-03' OR '1'='1" })).toEqual([]);
        expect(await eventIds(store, { module: ['ixgbe', "x'); DROP TABLE events; --"] })).toEqual([
          'qk-ops-00', 'qk-ops-01', 'ex-ops-02',
        ]);
        expect(await eventIds(store, { correlationId: '2b" OR "1"="1' })).toEqual([]);
        const cursor = encodeCursor({ tsMs: 0, id: "' OR 1=1; DROP TABLE events; --" });
        const page = await store.queryEvents({ host: 'db-08' }, { limit: 0, cursor });
        expect(page.ok && ids(page.events)).toEqual(['qk-rlog-16', 'qk-rlog-17']);
        expect(await store.stats()).toEqual({ events: 37, deadLetters: 20 });
      });

      it('combines every filter with AND', async () => {
        const store = await loaded();
        expect(
          await eventIds(store, {
            from: '2026-03-14T00:00:00Z',
            to: '2026-03-15T00:00:00Z',
            host: 'db-07',
            instance: 'default',
            module: 'zfs',
            action: 'check.file',
            status: 'missing',
            outcome: 'failure',
            code: 'E2002',
            dataset: 'recovery.v32',
            correlationId: '1f3a9c',
            text: 'DKMS',
          }),
        ).toEqual(['qk-rlog-03']);
      });

      it('refuses bad filters with a code', async () => {
        const store = await loaded();
        expect(await errorCode(store.queryEvents({ from: 'yesterday' }, { limit: 0 }))).toBe('PIP_ERR_STORE_BAD_FILTER');
        expect(await errorCode(store.queryEvents({ to: '2026-03-14 01:00' }, { limit: 0 }))).toBe('PIP_ERR_STORE_BAD_FILTER');
        expect(await errorCode(store.queryEvents({ host: [] }, { limit: 0 }))).toBe('PIP_ERR_STORE_BAD_FILTER');
        expect(await errorCode(store.queryEvents({ text: 'x'.repeat(2000) }, { limit: 0 }))).toBe('PIP_ERR_STORE_BAD_FILTER');
      });
    });

    describe('paging', () => {
      it('walks every event in order by cursor, and limit 0 gives all', async () => {
        const store = await loaded();
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        for (;;) {
          const r = await store.queryEvents({}, cursor === undefined ? { limit: 5 } : { limit: 5, cursor });
          if (!r.ok) throw r.error;
          pages++;
          seen.push(...ids(r.events));
          if (r.nextCursor === null) break;
          expect(r.events).toHaveLength(5);
          cursor = r.nextCursor;
        }
        expect(pages).toBe(8);
        expect(seen).toEqual(ALL_IN_ORDER);
        expect(await eventIds(store, {})).toEqual(ALL_IN_ORDER);
      });

      it('ends without a cursor when the page is exactly full', async () => {
        const store = await loaded();
        const r = await store.queryEvents({ host: 'db-08' }, { limit: 2 });
        expect(r.ok && [ids(r.events), r.nextCursor]).toEqual([['qk-rlog-16', 'qk-rlog-17'], null]);
      });

      it('breaks timestamp ties by id and neither repeats nor skips across writes', async () => {
        const store = await loaded();
        const first = await store.queryEvents({ from: '2026-03-14T02:11:09Z' }, { limit: 3 });
        if (!first.ok || first.nextCursor === null) throw new Error('expected a next page');
        expect(ids(first.events)).toEqual(['ex-rlog-00', 'ex-rlog-01', 'ex-rlog-02']);
        await store.writeBatch(
          [
            event({ id: 'ex-rlog-00a', ts: '2026-03-14T02:11:09.000Z' }), // before the cursor: not seen
            event({ id: 'ex-rlog-02a', ts: '2026-03-14T02:11:09.000Z' }), // after it: seen
          ],
          [],
        );
        const second = await store.queryEvents({ from: '2026-03-14T02:11:09Z' }, { limit: 3, cursor: first.nextCursor });
        expect(second.ok && ids(second.events)).toEqual(['ex-rlog-02a', 'ex-rlog-03', RESTORE_START_ID]);
      });

      it('refuses bad cursors and limits with a code', async () => {
        const store = await loaded();
        for (const cursor of ['garbage', 'c1.!!', 'c1.' + Buffer.from('[1]').toString('base64url'), '']) {
          expect(await errorCode(store.queryEvents({}, { limit: 5, cursor }))).toBe('PIP_ERR_STORE_BAD_CURSOR');
        }
        for (const limit of [-1, 1.5, Number.NaN, 10_000_001]) {
          expect(await errorCode(store.queryEvents({}, { limit }))).toBe('PIP_ERR_STORE_BAD_PAGE');
        }
      });
    });

    describe('trace', () => {
      it('gives a restore in time order with parent and children links', async () => {
        const store = await loaded();
        const r = await store.trace('c0a8012e-5f7d-4c1e-9a51-3b2f1e0d9c11');
        if (!r.ok) throw r.error;
        expect(r.trace.nodes.map((n) => [n.event.event.id, n.parent, n.children])).toEqual([
          [RESTORE_START_ID, { kind: 'none' }, ['ex-ops-01', 'ex-ops-03']],
          ['ex-ops-01', { kind: 'present', parentId: RESTORE_START_ID }, []],
          ['ex-ops-03', { kind: 'present', parentId: RESTORE_START_ID }, []],
        ]);
        expect(r.trace.roots).toEqual([RESTORE_START_ID]);
        expect(r.trace.nodes[0]?.event).toEqual(withIngested(EVENTS.find((e) => e.event.id === RESTORE_START_ID)!));
      });

      it('gives a 3.2 session across both logs, in time order', async () => {
        const store = await loaded();
        const r = await store.trace('1f3a9c');
        if (!r.ok) throw r.error;
        const expected = SESSION_1F3A9C;
        expect(r.trace.nodes.map((n) => n.event.event.id)).toEqual(expected);
        expect(r.trace.roots).toEqual(expected);
        expect(r.trace.nodes.every((n) => n.parent.kind === 'none' && n.children.length === 0)).toBe(true);
      });

      it('marks a parent that is not stored under the correlation id as absent', async () => {
        const store = await loaded();
        await store.writeBatch(
          [
            event({ id: 'orphan-1', ts: '2026-03-15T00:00:01.000Z', cid: 'cid-orphan', parent: 'never-stored' }),
            event({ id: 'orphan-2', ts: '2026-03-15T00:00:02.000Z', cid: 'cid-orphan', parent: 'orphan-1' }),
            event({ id: 'orphan-3', ts: '2026-03-15T00:00:03.000Z', cid: 'cid-orphan', parent: RESTORE_START_ID }),
          ],
          [],
        );
        const r = await store.trace('cid-orphan');
        if (!r.ok) throw r.error;
        expect(r.trace.nodes.map((n) => [n.event.event.id, n.parent, n.children])).toEqual([
          ['orphan-1', { kind: 'absent', parentId: 'never-stored' }, ['orphan-2']],
          ['orphan-2', { kind: 'present', parentId: 'orphan-1' }, []],
          ['orphan-3', { kind: 'absent', parentId: RESTORE_START_ID }, []],
        ]);
        expect(r.trace.roots).toEqual(['orphan-1', 'orphan-3']);
      });

      it('gives an empty trace for an unknown or hostile id', async () => {
        const store = await loaded();
        for (const cid of ['no-such-cid', "' OR '1'='1"]) {
          const r = await store.trace(cid);
          expect(r).toEqual({ ok: true, trace: { correlationId: cid, nodes: [], roots: [] } });
        }
      });
    });

    describe('eventsById', () => {
      it('gives the events of ids from several correlation ids, each once, in store order, unknown ids left out', async () => {
        const store = await loaded();
        const asked = ['ex-ops-03', 'qk-rlog-02', 'no-such-id', RESTORE_START_ID, 'qk-rlog-02', 'ex-rlog-00'];
        const r = await store.eventsById(asked);
        if (!r.ok) throw r.error;
        expect(ids(r.events)).toEqual(ALL_IN_ORDER.filter((id) => asked.includes(id)));
        expect(r.events.find((e) => e.event.id === RESTORE_START_ID)).toEqual(withIngested(EVENTS.find((e) => e.event.id === RESTORE_START_ID)!));
      });

      it('gives nothing for no ids, unknown ids and hostile ids', async () => {
        const store = await loaded();
        expect(await store.eventsById([])).toEqual({ ok: true, events: [] });
        expect(await store.eventsById(['no-such-id', "' OR '1'='1", '%', 'qk-rlog-%'])).toEqual({ ok: true, events: [] });
      });

      it(`looks up ${MAX_IDS_PER_LOOKUP} ids at once and refuses more, or an empty id, with a code`, async () => {
        const store = await loaded();
        const many = [...Array.from({ length: MAX_IDS_PER_LOOKUP - 1 }, (_, i) => `absent-${i}`), 'ex-ops-01'];
        const r = await store.eventsById(many);
        expect(r.ok && ids(r.events)).toEqual(['ex-ops-01']);
        expect(await errorCode(store.eventsById([...many, 'one-more']))).toBe('PIP_ERR_STORE_BAD_IDS');
        expect(await errorCode(store.eventsById(['ex-ops-01', '']))).toBe('PIP_ERR_STORE_BAD_IDS');
      });
    });

    describe('counts', () => {
      it('countBy module of missing/corrupt checks, largest first, null last among equals', async () => {
        const store = await loaded();
        const r = await store.countBy('module', { action: 'check.file', status: ['missing', 'corrupt'] });
        expect(r).toEqual({
          ok: true,
          field: 'module',
          counts: [
            { key: 'ixgbe', count: 2 },
            { key: null, count: 2 },
            { key: 'ixgbe_vf', count: 1 },
            { key: 'megaraid_sas', count: 1 },
            { key: 'xfs', count: 1 },
            { key: 'zfs', count: 1 },
          ],
        });
      });

      it('countBy dataset and osLine over everything', async () => {
        const store = await loaded();
        expect(await store.countBy('dataset', {})).toEqual({
          ok: true,
          field: 'dataset',
          counts: [
            { key: 'recovery.v32', count: 28 },
            { key: 'recovery.v42', count: 9 },
          ],
        });
        const none = await store.countBy('osLine', { host: 'nobody' });
        expect(none).toEqual({ ok: true, field: 'osLine', counts: [] });
      });

      it('countByTimeBucket by hour, with and without a group field', async () => {
        const store = await loaded();
        expect(await store.countByTimeBucket(3_600_000, { action: 'check.file' })).toEqual({
          ok: true,
          bucketMs: 3_600_000,
          field: null,
          buckets: [
            { start: '2026-03-14T00:00:00.000Z', key: null, count: 1 },
            { start: '2026-03-14T01:00:00.000Z', key: null, count: 5 },
            { start: '2026-03-14T02:00:00.000Z', key: null, count: 6 },
          ],
        });
        expect(await store.countByTimeBucket(3_600_000, { action: 'check.file' }, 'outcome')).toEqual({
          ok: true,
          bucketMs: 3_600_000,
          field: 'outcome',
          buckets: [
            { start: '2026-03-14T00:00:00.000Z', key: 'failure', count: 1 },
            { start: '2026-03-14T01:00:00.000Z', key: 'failure', count: 2 },
            { start: '2026-03-14T01:00:00.000Z', key: 'success', count: 2 },
            { start: '2026-03-14T01:00:00.000Z', key: 'unknown', count: 1 },
            { start: '2026-03-14T02:00:00.000Z', key: 'failure', count: 5 },
            { start: '2026-03-14T02:00:00.000Z', key: 'success', count: 1 },
          ],
        });
      });

      it('refuses unknown fields and bad bucket widths with a code', async () => {
        const store = await loaded();
        const field = 'module; DROP TABLE events' as unknown as 'module';
        expect(await errorCode(store.countBy(field, {}))).toBe('PIP_ERR_STORE_BAD_GROUP_FIELD');
        expect(await errorCode(store.countByTimeBucket(60_000, {}, field))).toBe('PIP_ERR_STORE_BAD_GROUP_FIELD');
        for (const width of [0, -5, 1.5, Number.POSITIVE_INFINITY]) {
          expect(await errorCode(store.countByTimeBucket(width, {}))).toBe('PIP_ERR_STORE_BAD_BUCKET');
        }
        expect(await store.stats()).toEqual({ events: 37, deadLetters: 20 });
      });
    });

    describe('dead letters', () => {
      it('by reason, file path and time, whole and in order', async () => {
        const store = await loaded();
        const byReason = await store.queryDeadLetters({ reason: 'bad-timestamp' }, { limit: 0 });
        expect(byReason.ok && ids(byReason.deadLetters)).toEqual(['dl-qk-ops-03', 'dl-qk-rlog-03', 'dl-qk-rlog-04']);
        const byFile = await store.queryDeadLetters({ filePath: 'quirks.ops.jsonl', reason: ['not-json', 'not-object'] }, { limit: 0 });
        expect(byFile.ok && ids(byFile.deadLetters)).toEqual(['dl-qk-ops-00', 'dl-qk-ops-01', 'dl-qk-ops-10']);
        const byTime = await store.queryDeadLetters({ from: '2026-03-14T06:00:07Z' }, { limit: 0 });
        expect(byTime.ok && ids(byTime.deadLetters)).toEqual(['dl-qk-rlog-07', 'dl-qk-rlog-08']);
        const whole = await store.queryDeadLetters({ dataset: 'recovery.v32' }, { limit: 1 });
        expect(whole.ok && whole.deadLetters).toEqual([
          { ...DEAD.find((d) => d.event.id === 'dl-qk-rlog-00')!, event: { ...DEAD.find((d) => d.event.id === 'dl-qk-rlog-00')!.event, ingested: INGESTED } },
        ]);
      });

      it('pages by cursor', async () => {
        const store = await loaded();
        const seen: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const r = await store.queryDeadLetters({}, cursor === undefined ? { limit: 7 } : { limit: 7, cursor });
          if (!r.ok) throw r.error;
          seen.push(...ids(r.deadLetters));
          if (r.nextCursor === null) break;
          cursor = r.nextCursor;
        }
        expect(seen).toEqual(ids(DEAD));
        expect(await errorCode(store.queryDeadLetters({}, { limit: 1, cursor: 'x' }))).toBe('PIP_ERR_STORE_BAD_CURSOR');
        expect(await errorCode(store.queryDeadLetters({ reason: [] }, { limit: 1 }))).toBe('PIP_ERR_STORE_BAD_FILTER');
      });

      it('markReplayed marks once, reports unknown ids, and filters by replayed', async () => {
        const store = await loaded();
        const at = '2026-11-22T01:02:03.000Z';
        expect(
          await store.markReplayed(
            [
              { deadLetterId: 'dl-qk-rlog-03', eventId: 'replayed-1' },
              { deadLetterId: "dl'; DROP TABLE dead_letters; --", eventId: 'x' },
            ],
            at,
          ),
        ).toEqual({ ok: true, marked: 1, alreadyReplayed: [], notFound: ["dl'; DROP TABLE dead_letters; --"] });
        expect(await store.markReplayed([{ deadLetterId: 'dl-qk-rlog-03', eventId: 'replayed-2' }], '2026-11-23T00:00:00Z')).toEqual({
          ok: true,
          marked: 0,
          alreadyReplayed: ['dl-qk-rlog-03'],
          notFound: [],
        });
        const replayed = await store.queryDeadLetters({ replayed: true }, { limit: 0 });
        expect(replayed.ok && replayed.deadLetters.map((d) => [d.event.id, d.replayed])).toEqual([
          ['dl-qk-rlog-03', { at, event_id: 'replayed-1' }],
        ]);
        const pending = await store.queryDeadLetters({ replayed: false, reason: 'bad-timestamp' }, { limit: 0 });
        expect(pending.ok && ids(pending.deadLetters)).toEqual(['dl-qk-ops-03', 'dl-qk-rlog-04']);
        expect(await errorCode(store.markReplayed([{ deadLetterId: 'dl-qk-rlog-04', eventId: 'e' }], 'now'))).toBe(
          'PIP_ERR_STORE_BAD_REPLAY',
        );
        expect(await store.stats()).toEqual({ events: 37, deadLetters: 20 });
      });
    });

    describe('eventsSince', () => {
      it('gives events in write order, page by page, and new writes after', async () => {
        const store = await loaded();
        const first = await store.eventsSince(0, 10);
        if (!first.ok) throw first.error;
        expect(ids(first.events.map((s) => s.event))).toEqual(ids(EVENTS.slice(0, 10)));
        const rest: string[] = [];
        for await (const s of streamEventsSince(store, first.lastSeq, 4)) rest.push(s.event.event.id);
        expect(rest).toEqual(ids(EVENTS.slice(10)));
        const all: number[] = [];
        for await (const s of streamEventsSince(store, 0)) all.push(s.seq);
        expect(all).toHaveLength(37);
        expect([...all].sort((a, b) => a - b)).toEqual(all);
        const last = all.at(-1)!;
        await store.writeBatch([EVENTS[0]!, event({ id: 'late', ts: '2020-01-01T00:00:00Z' })], []);
        const after = await store.eventsSince(last, 100);
        expect(after.ok && ids(after.events.map((s) => s.event))).toEqual(['late']);
        expect(await store.eventsSince(after.ok ? after.lastSeq : 0, 100)).toMatchObject({ ok: true, events: [] });
        expect(await errorCode(store.eventsSince(-1, 10))).toBe('PIP_ERR_STORE_BAD_CURSOR');
        expect(await errorCode(store.eventsSince(0, 0))).toBe('PIP_ERR_STORE_BAD_PAGE');
      });

      it('with a selection, examines the same window and returns only the selected events', async () => {
        const store = await loaded();
        const all = await store.eventsSince(0, 1000);
        if (!all.ok) throw all.error;
        const hosts = [...new Set(all.events.map((s) => s.event.host.name))];
        const actions = [...new Set(all.events.map((s) => s.event.event.action))];
        const [host, otherHost] = hosts;
        const [, action] = actions;
        if (host === undefined || otherHost === undefined || action === undefined) throw new Error('samples too uniform');
        const select = {
          anyOf: [{ host }, { action, outcome: 'failure' as const }],
          firstBy: [{ field: 'module' as const, filter: { host: otherHost } }],
        };
        const wanted = (window: readonly SequencedEvent[]): number[] => {
          const chosen = new Set<number>();
          for (const s of window) {
            const e = s.event;
            if (e.host.name === host || (e.event.action === action && e.event.outcome === 'failure')) chosen.add(s.seq);
          }
          const first = new Map<string, SequencedEvent>();
          for (const s of window) {
            const m = s.event.recovery.module;
            if (m === undefined || s.event.host.name !== otherHost) continue;
            const best = first.get(m);
            const order = (x: SequencedEvent): [number, string] => [Date.parse(x.event['@timestamp']), x.event.event.id];
            if (best === undefined) first.set(m, s);
            else {
              const [a, ai] = order(s);
              const [b, bi] = order(best);
              if (a < b || (a === b && compareCodePoints(ai, bi) < 0)) first.set(m, s);
            }
          }
          for (const s of first.values()) chosen.add(s.seq);
          return window.filter((s) => chosen.has(s.seq)).map((s) => s.seq);
        };
        let position = 0;
        let selectedAny = 0;
        for (;;) {
          const plain = await store.eventsSince(position, 7);
          const picked = await store.eventsSince(position, 7, select);
          if (!plain.ok || !picked.ok) throw new Error('eventsSince failed');
          expect(picked.lastSeq).toBe(plain.lastSeq);
          expect(picked.events.map((s) => s.seq)).toEqual(wanted(plain.events));
          expect(picked.events).toEqual(plain.events.filter((s) => picked.events.some((p) => p.seq === s.seq)));
          selectedAny += picked.events.length;
          if (plain.events.length === 0) break;
          position = plain.lastSeq;
        }
        expect(selectedAny).toBeGreaterThan(0);
        expect(selectedAny).toBeLessThan(all.events.length);
        expect(await store.eventsSince(0, 100, { anyOf: [] })).toMatchObject({ ok: true, events: [], lastSeq: all.lastSeq });
        expect(await errorCode(store.eventsSince(0, 10, { anyOf: [{ host: [] }] }))).toBe('PIP_ERR_STORE_BAD_FILTER');
        expect(await errorCode(store.eventsSince(0, 10, { anyOf: [], firstBy: [{ field: 'message' as GroupField, filter: {} }] }))).toBe(
          'PIP_ERR_STORE_BAD_GROUP_FIELD',
        );
      });
    });

    describe('close', () => {
      it('is idempotent and every later call throws PIP_ERR_STORE_CLOSED', async () => {
        const store = await harness.create(now);
        await store.writeBatch(EVENTS.slice(0, 2), []);
        await store.close();
        await store.close();
        await expect(store.queryEvents({}, { limit: 0 })).rejects.toMatchObject({ code: 'PIP_ERR_STORE_CLOSED' });
        await expect(store.writeBatch(EVENTS, [])).rejects.toMatchObject({ code: 'PIP_ERR_STORE_CLOSED' });
        await expect(store.stats()).rejects.toBeInstanceOf(StoreError);
      });
    });

    const reopen = harness.reopen;
    if (reopen !== undefined) {
      describe('persistence', () => {
        it('sees everything after a reopen, stays idempotent, and continues the write order', async () => {
          const store = await harness.create(now);
          await store.writeBatch(EVENTS, DEAD);
          await store.markReplayed([{ deadLetterId: 'dl-qk-ops-00', eventId: 'r' }], '2026-11-22T00:00:01Z');
          const before = await store.eventsSince(0, 1000);
          const again = await reopen(store, now);
          open.push(again);
          expect(await again.stats()).toEqual({ events: 37, deadLetters: 20 });
          expect(await eventIds(again, {})).toEqual(ALL_IN_ORDER);
          expect(await again.writeBatch(EVENTS, DEAD)).toEqual({
            ok: true,
            events: { inserted: 0, duplicates: 37 },
            deadLetters: { inserted: 0, duplicates: 20 },
          });
          const replayed = await again.queryDeadLetters({ replayed: true }, { limit: 0 });
          expect(replayed.ok && ids(replayed.deadLetters)).toEqual(['dl-qk-ops-00']);
          const lastSeq = before.ok ? before.lastSeq : 0;
          await again.writeBatch([event({ id: 'after-reopen', ts: '2026-01-01T00:00:00Z' })], []);
          const since = await again.eventsSince(lastSeq, 10);
          expect(since.ok && ids(since.events.map((s) => s.event))).toEqual(['after-reopen']);
        });
      });
    }
  });
}
