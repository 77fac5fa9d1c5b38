/**
 * The audit trail: refusals (`auth.denied`) and the actions people take through the API
 * (`alert.acknowledge`, `deadletter.replay`, a restore's request and approval...) stored as events
 * in the event store, with who did them, so that they are searched and exported like any other
 * event. Kintsugi's own events take the OPS 4.2 shape (dataset `recovery.v42`, like the restore
 * runner's), with `recovery.instance: kintsugi`, `host.name` the machine of the service,
 * `user.name` who, and the request under `recovery.details`.
 *
 * Writes that happen together are stored in one batch; every call resolves once its event is
 * stored (or its failure logged: a broken store must not turn a refusal into an acceptance).
 */
import { randomUUID } from 'node:crypto';
import { hostname, release } from 'node:os';
import type { EcsCategory, EcsType, JsonObject, Outcome, RecoveryEvent } from '../../parsers/event.js';
import type { EventStore } from '../store/event-store.js';

export interface AuditRequest {
  readonly method: string;
  /** The route's URL pattern (`/api/alerts/:id`), not the raw URL. */
  readonly route: string;
  readonly source: string;
}

export interface AuditAction {
  /** `event.action`, e.g. `alert.acknowledge`. */
  readonly action: string;
  /** Who did it (`user.name`). */
  readonly who: string;
  readonly outcome?: Outcome;
  /** Ties the action to an alert or restore (`recovery.correlation_id`). */
  readonly correlationId?: string;
  readonly message?: string;
  readonly details?: JsonObject;
  readonly category?: readonly EcsCategory[];
  readonly type?: readonly EcsType[];
}

export type AuditLogger = (fields: Record<string, unknown>, message: string) => void;

export const AUDIT_INSTANCE = 'kintsugi';

export class AuditTrail {
  private pending: { event: RecoveryEvent; done: () => void }[] = [];
  private flushing: Promise<void> | null = null;
  private readonly host = hostname();
  private readonly osVersion = release();

  constructor(
    private readonly store: EventStore,
    private readonly logError: AuditLogger = () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A refusal: who (or `anonymous`), which route, why. */
  denied(who: string, request: AuditRequest, reasonCode: string, reason: string): Promise<RecoveryEvent> {
    return this.record({
      action: 'auth.denied',
      who,
      outcome: 'failure',
      category: ['authentication'],
      type: ['start'],
      message: reason,
      details: { method: request.method, route: request.route, source_ip: request.source, reason: reasonCode },
    });
  }

  /** An action someone took; returns the stored event. */
  record(a: AuditAction): Promise<RecoveryEvent> {
    const event: RecoveryEvent = {
      '@timestamp': this.now().toISOString(),
      event: {
        id: `kintsugi-audit-${randomUUID()}`,
        kind: 'event',
        category: a.category ?? ['configuration'],
        type: a.type ?? ['change'],
        action: a.action,
        outcome: a.outcome ?? 'success',
        dataset: 'recovery.v42',
      },
      host: { name: this.host, os: { version: this.osVersion } },
      user: { name: a.who },
      ...(a.message !== undefined ? { message: a.message } : {}),
      recovery: {
        os_line: '4.2',
        instance: AUDIT_INSTANCE,
        ...(a.correlationId !== undefined ? { correlation_id: a.correlationId } : {}),
        ...(a.details !== undefined ? { details: a.details } : {}),
      },
    };
    return new Promise((resolve) => {
      this.pending.push({ event, done: () => resolve(event) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    // Let the calls of the same tick join the batch.
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const result = await this.store.writeBatch(batch.map((p) => p.event), []);
        if (!result.ok) this.logError({ code: result.error.code, err: result.error.message }, 'audit events not stored');
      } catch (err: unknown) {
        this.logError({ err: err instanceof Error ? err.message : String(err) }, 'audit events not stored');
      }
      for (const p of batch) p.done();
    }
    this.flushing = null;
  }
}
