/**
 * The AlertStore conformance suite: every alert store (memory, DuckDB) runs it through
 * `alertStoreSuite(name, harness)`, talking to the interface only, asserting exact documents.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../pipeline/alerts/alert.js';
import type { AlertStore } from '../../pipeline/alerts/alert-store.js';
import { AlertStoreError } from '../../pipeline/alerts/errors.js';
import { sampleAlerts } from './samples.js';

export interface AlertStoreHarness {
  create(): Promise<AlertStore>;
  /** Closes and opens the same storage again; absent when the store does not persist. */
  reopen?(store: AlertStore): Promise<AlertStore>;
}

function byTime(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']) || (a.event.id < b.event.id ? -1 : 1));
}

function withStatus(a: Alert, status: 'open' | 'resolved' | 'withdrawn'): Alert {
  return { ...a, recovery: { ...a.recovery, alert: { ...a.recovery.alert, status } } };
}

export function alertStoreSuite(name: string, harness: AlertStoreHarness): void {
  describe(`AlertStore conformance: ${name}`, () => {
    let open: AlertStore[] = [];
    const create = async (): Promise<AlertStore> => {
      const s = await harness.create();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open) await s.close();
      open = [];
    });
    const ALERTS = sampleAlerts();

    it('has sample alerts of several rules and statuses', () => {
      expect(new Set(ALERTS.map((a) => a.rule.id))).toEqual(new Set(['recurring-module-corruption', 'fleet-module-corruption', 'restore-failed', 'restore-stuck']));
      expect(new Set(ALERTS.map((a) => a.recovery.alert.status))).toEqual(new Set(['open', 'resolved']));
    });

    it('stores alerts and gives them back whole, in firing order', async () => {
      const s = await create();
      expect(await s.put(ALERTS)).toEqual({ written: ALERTS.length, unchanged: 0 });
      expect((await s.query({}, { limit: 0 })).alerts).toEqual(byTime(ALERTS));
      const first = ALERTS[0] as Alert;
      expect(await s.get(first.event.id)).toEqual(first);
      expect(await s.get('no-such-id')).toBeNull();
    });

    it('is idempotent by id: the same document again changes nothing, a new version replaces it', async () => {
      const s = await create();
      await s.put(ALERTS);
      expect(await s.put(ALERTS)).toEqual({ written: 0, unchanged: ALERTS.length });
      const first = ALERTS[0] as Alert;
      const changed = withStatus(first, first.recovery.alert.status === 'open' ? 'resolved' : 'open');
      expect(await s.put([changed, changed])).toEqual({ written: 1, unchanged: 0 });
      expect(await s.get(first.event.id)).toEqual(changed);
      expect((await s.query({}, { limit: 0 })).alerts).toHaveLength(ALERTS.length);
    });

    it('filters by rule, status, host (including a fleet alert\'s hosts), module, correlation id and firing time', async () => {
      const s = await create();
      await s.put(ALERTS);
      const ids = async (f: Parameters<AlertStore['query']>[0]): Promise<string[]> => (await s.query(f, { limit: 0 })).alerts.map((a) => a.event.id);
      const want = (p: (a: Alert) => boolean): string[] => byTime(ALERTS.filter(p)).map((a) => a.event.id);
      expect(await ids({ rule: ['restore-failed', 'restore-stuck'] })).toEqual(want((a) => a.rule.id.startsWith('restore-')));
      expect(await ids({ status: ['open'] })).toEqual(want((a) => a.recovery.alert.status === 'open'));
      expect(await ids({ status: ['resolved', 'withdrawn'] })).toEqual(want((a) => a.recovery.alert.status === 'resolved'));
      expect(await ids({ host: 'h3' })).toEqual(want((a) => a.related.hosts.includes('h3')));
      expect(await ids({ module: 'ext4' })).toEqual(want((a) => a.recovery.module === 'ext4'));
      const second = ALERTS[1] as Alert;
      expect(await ids({ correlationId: second.recovery.correlation_id })).toEqual([second.event.id]);
      expect(await ids({ correlationId: "' OR '1'='1" })).toEqual([]);
      expect(await ids({ from: '2026-03-05T00:00:00Z', to: '2026-03-06T01:15:00Z' })).toEqual(want((a) => a['@timestamp'] >= '2026-03-05' && a['@timestamp'] < '2026-03-06T01:15:00.000Z'));
    });

    it('pages with cursors without repeating or skipping', async () => {
      const s = await create();
      await s.put(ALERTS);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { alerts: readonly Alert[]; nextCursor: string | null } = await s.query({}, { limit: 3, ...(cursor !== null ? { cursor } : {}) });
        seen.push(...page.alerts.map((a) => a.event.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual(byTime(ALERTS).map((a) => a.event.id));
    });

    it('keeps the checkpoint with the alerts, never moving it back', async () => {
      const s = await create();
      expect(await s.checkpoint()).toBe(0);
      await s.put(ALERTS.slice(0, 1), 42);
      expect(await s.checkpoint()).toBe(42);
      await s.put([], 40);
      expect(await s.checkpoint()).toBe(42);
      await s.put([], 1234567);
      expect(await s.checkpoint()).toBe(1234567);
    });

    it('gives the alerts that are not withdrawn as current', async () => {
      const s = await create();
      const [a, b, ...rest] = ALERTS;
      await s.put([withStatus(a as Alert, 'withdrawn'), b as Alert, ...rest]);
      expect((await s.current()).map((x) => x.event.id)).toEqual(byTime([b as Alert, ...rest]).map((x) => x.event.id));
    });

    it('refuses bad input with coded errors, writing nothing of a bad batch', async () => {
      const s = await create();
      const bad = { ...(ALERTS[0] as Alert), event: { kind: 'event' } } as unknown as Alert;
      await expect(s.put([ALERTS[1] as Alert, bad])).rejects.toMatchObject({ code: 'PIP_ERR_ALERTS_INVALID', httpStatus: 422 });
      expect((await s.query({}, { limit: 0 })).alerts).toEqual([]);
      await expect(s.query({}, { limit: 1, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'PIP_ERR_ALERTS_BAD_CURSOR', httpStatus: 400 });
      await expect(s.query({ from: 'yesterday' }, { limit: 1 })).rejects.toMatchObject({ code: 'PIP_ERR_ALERTS_BAD_FILTER' });
      await expect(s.query({ status: [] }, { limit: 1 })).rejects.toMatchObject({ code: 'PIP_ERR_ALERTS_BAD_FILTER' });
      await expect(s.query({}, { limit: -1 })).rejects.toBeInstanceOf(AlertStoreError);
    });

    it('refuses calls after close with PIP_ERR_ALERTS_CLOSED', async () => {
      const s = await harness.create();
      await s.close();
      await s.close();
      await expect(s.get('x')).rejects.toMatchObject({ code: 'PIP_ERR_ALERTS_CLOSED' });
      await expect(s.put([])).rejects.toMatchObject({ code: 'PIP_ERR_ALERTS_CLOSED' });
    });

    if (harness.reopen !== undefined) {
      const reopen = harness.reopen;
      it('keeps alerts and the checkpoint across a reopen', async () => {
        const s = await harness.create();
        await s.put(ALERTS, 77);
        const again = await reopen(s);
        open.push(again);
        expect((await again.query({}, { limit: 0 })).alerts).toEqual(byTime(ALERTS));
        expect(await again.checkpoint()).toBe(77);
      });
    }
  });
}
