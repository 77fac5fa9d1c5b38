/**
 * What people do with alerts: GET /api/alerts/:id/detail (the alert, the events behind it, and
 * everything done under its correlation id), POST /api/alerts/:id/acknowledge and /resolve
 * (operator). The evaluator owns the alert document (its `status` follows the events); a
 * person's acknowledgement or resolution is an event in the event store (`alert.acknowledge`,
 * `alert.resolve`, with who, when and a note, under the alert's correlation id), and `triage` is
 * the latest of them. So the triage history is searched and exported like every event, and the
 * restore runner's events for the alert appear in the same `activity`.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { RecoveryEvent } from '../../../parsers/event.js';
import type { Alert } from '../../alerts/alert.js';
import type { AlertStore } from '../../alerts/alert-store.js';
import { AlertStoreError } from '../../alerts/errors.js';
import { alertErrorReply } from '../../alerts/routes.js';
import type { EventStore } from '../../store/event-store.js';
import { AUDIT_INSTANCE } from '../../access/audit.js';
import { storeErrorReply } from './store-error.js';

export interface AlertActionDeps {
  readonly alerts: AlertStore;
  readonly store: EventStore;
}

export const TRIAGE_ACTIONS = { acknowledge: 'alert.acknowledge', resolve: 'alert.resolve' } as const;

export interface Triage {
  readonly state: 'acknowledged' | 'resolved';
  readonly by: string;
  readonly at: string;
  readonly note: string | null;
}

const idParams = { type: 'object', additionalProperties: false, properties: { id: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['id'] } as const;
const noteBody = { type: 'object', additionalProperties: false, properties: { note: { type: 'string', maxLength: 4000, description: 'why; kept in the audit trail' } } } as const;

/** The latest acknowledgement or resolution of this alert among the activity events. */
export function triageOf(alertId: string, activity: readonly RecoveryEvent[]): Triage | null {
  let latest: Triage | null = null;
  for (const e of activity) {
    if (e.recovery.instance !== AUDIT_INSTANCE || e.recovery.details?.['alert_id'] !== alertId) continue;
    const state = e.event.action === TRIAGE_ACTIONS.acknowledge ? 'acknowledged' : e.event.action === TRIAGE_ACTIONS.resolve ? 'resolved' : null;
    if (state === null) continue;
    const note = e.recovery.details['note'];
    latest = { state, by: e.user?.name ?? 'unknown', at: e['@timestamp'], note: typeof note === 'string' ? note : null };
  }
  return latest;
}

async function findAlert(alerts: AlertStore, id: string, reply: FastifyReply): Promise<Alert | FastifyReply> {
  try {
    const alert = await alerts.get(id);
    if (alert !== null) return alert;
    return alertErrorReply(reply, new AlertStoreError('PIP_ERR_ALERTS_NOT_FOUND', [JSON.stringify(id)]));
  } catch (err: unknown) {
    return alertErrorReply(reply, err);
  }
}

/** The events behind an alert: its related ids (at most 100, rules/alert-doc.ts), looked up by id. */
async function relatedEvents(store: EventStore, alert: Alert): Promise<RecoveryEvent[] | { error: Parameters<typeof storeErrorReply>[1] }> {
  const ids = [...new Set(alert.recovery.alert.related_event_ids)];
  if (ids.length === 0) return [];
  const found = await store.eventsById(ids);
  if (!found.ok) return { error: found.error };
  return [...found.events];
}

export const alertActionRoutes: FastifyPluginAsync<AlertActionDeps> = async (app, { alerts, store }) => {
  app.get<{ Params: { id: string } }>(
    '/api/alerts/:id/detail',
    { config: { role: 'viewer' }, schema: { params: idParams, description: 'the alert, its related events, the activity under its correlation id and the latest triage' } },
    async (request, reply) => {
      const alert = await findAlert(alerts, request.params.id, reply);
      if (!('event' in alert)) return alert;
      const related = await relatedEvents(store, alert);
      if (!Array.isArray(related)) return storeErrorReply(reply, related.error);
      const activity = await store.queryEvents({ correlationId: alert.recovery.correlation_id }, { limit: 10_000 });
      if (!activity.ok) return storeErrorReply(reply, activity.error);
      return { alert, triage: triageOf(alert.event.id, activity.events), related, activity: activity.events };
    },
  );

  for (const [verb, action] of Object.entries(TRIAGE_ACTIONS)) {
    app.post<{ Params: { id: string }; Body: { note?: string } }>(
      `/api/alerts/:id/${verb}`,
      {
        config: { role: 'operator' },
        schema: { params: idParams, body: noteBody, description: `${verb} the alert; stored as an ${action} event with who did it` },
        // A POST without a body is a POST without a note.
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) => {
        const alert = await findAlert(alerts, request.params.id, reply);
        if (!('event' in alert)) return alert;
        const note = request.body.note;
        const event = await app.audit.record({
          action,
          who: request.principal.name,
          correlationId: alert.recovery.correlation_id,
          message: `${request.principal.name}: ${verb} alert ${alert.event.id} (${alert.rule.id})${note !== undefined ? `: ${note}` : ''}`,
          details: { alert_id: alert.event.id, rule_id: alert.rule.id, ...(note !== undefined ? { note } : {}) },
        });
        return { triage: triageOf(alert.event.id, [event]), event };
      },
    );
  }
};
