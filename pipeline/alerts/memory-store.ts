/** The in-memory AlertStore: the reference implementation, and the store of tests. */
import type { Alert } from './alert.js';
import { alertMatches, checkAlertFilter, checkBatch, checkLimit, compareAlerts, decodeAlertCursor, encodeAlertCursor, type AlertFilter, type AlertPage, type AlertPageRequest, type AlertStore, type PutResult } from './alert-store.js';
import { AlertStoreError } from './errors.js';

export class MemoryAlertStore implements AlertStore {
  private readonly alerts = new Map<string, { alert: Alert; json: string }>();
  private seq = 0;
  private closed = false;

  async put(alerts: readonly Alert[], checkpoint?: number): Promise<PutResult> {
    this.assertOpen('put');
    const batch = checkBatch(alerts);
    let written = 0;
    let unchanged = 0;
    for (const alert of batch) {
      const json = JSON.stringify(alert);
      if (this.alerts.get(alert.event.id)?.json === json) unchanged++;
      else {
        this.alerts.set(alert.event.id, { alert: JSON.parse(json) as Alert, json });
        written++;
      }
    }
    if (checkpoint !== undefined) this.seq = Math.max(this.seq, checkpoint);
    return { written, unchanged };
  }

  async get(id: string): Promise<Alert | null> {
    this.assertOpen('get');
    return this.alerts.get(id)?.alert ?? null;
  }

  async query(filter: AlertFilter, page: AlertPageRequest): Promise<AlertPage> {
    this.assertOpen('query');
    const f = checkAlertFilter(filter);
    const limit = checkLimit(page.limit);
    const after = page.cursor === undefined ? null : decodeAlertCursor(page.cursor);
    const all = [...this.alerts.values()]
      .map((x) => x.alert)
      .filter((a) => alertMatches(a, f))
      .filter((a) => after === null || Date.parse(a['@timestamp']) > after.tsMs || (Date.parse(a['@timestamp']) === after.tsMs && a.event.id > after.id))
      .sort(compareAlerts);
    if (limit === null || all.length <= limit) return { alerts: all, nextCursor: null };
    const items = all.slice(0, limit);
    const last = items.at(-1) as Alert;
    return { alerts: items, nextCursor: encodeAlertCursor({ tsMs: Date.parse(last['@timestamp']), id: last.event.id }) };
  }

  async current(): Promise<readonly Alert[]> {
    this.assertOpen('current');
    return [...this.alerts.values()].map((x) => x.alert).filter((a) => a.recovery.alert.status !== 'withdrawn').sort(compareAlerts);
  }

  async checkpoint(): Promise<number> {
    this.assertOpen('checkpoint');
    return this.seq;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new AlertStoreError('PIP_ERR_ALERTS_CLOSED', [operation]);
  }
}
