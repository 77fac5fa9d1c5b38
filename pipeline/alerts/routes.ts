/**
 * GET /api/alerts and GET /api/alerts/:id: the alerts, newest last, with the filters of the
 * AlertStore (a fastify plugin like those of pipeline/api/routes/). Every route has JSON schemas,
 * so a bad request is a 400 that names the field; a store failure answers with its own code.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ALERT_STATUSES, type AlertStatus } from './alert.js';
import type { AlertFilter, AlertStore } from './alert-store.js';
import { AlertStoreError } from './errors.js';
import { errorDoc } from '../api/error-doc.js';

export interface AlertRouteDeps {
  readonly alerts: AlertStore;
}

const STATUS_LIST = `^(all|(${ALERT_STATUSES.join('|')})(,(${ALERT_STATUSES.join('|')}))*)$`;

export const alertQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rule: { type: 'string', minLength: 1, description: 'rule.id; several separated by commas' },
    status: { type: 'string', pattern: STATUS_LIST, default: 'all', description: 'open, resolved, withdrawn (several separated by commas), or all' },
    host: { type: 'string', minLength: 1, description: 'host.name or one of related.hosts' },
    module: { type: 'string', minLength: 1, description: 'recovery.module' },
    correlationId: { type: 'string', minLength: 1, maxLength: 256, description: "recovery.correlation_id: the alert's own, which its restore job and the job's events carry" },
    from: { type: 'string', minLength: 1, description: 'fired at or after this ISO 8601 time' },
    to: { type: 'string', minLength: 1, description: 'fired before this ISO 8601 time' },
    limit: { type: 'integer', minimum: 0, maximum: 10000, default: 100, description: 'page size; 0 = no limit' },
    cursor: { type: 'string', minLength: 1, description: 'nextCursor of the previous page' },
  },
} as const;

export type AlertQuery = Partial<Record<'rule' | 'status' | 'host' | 'module' | 'correlationId' | 'from' | 'to' | 'cursor', string>> & { limit?: number };

const alertDoc = { type: 'object', additionalProperties: true, required: ['@timestamp', 'event', 'rule', 'recovery'] } as const;

function isStatus(v: string): v is AlertStatus {
  return (ALERT_STATUSES as readonly string[]).includes(v);
}

/** Query-string filters to an AlertFilter (also what `kintsugi alerts` sends). */
export function toAlertFilter(q: AlertQuery): AlertFilter {
  const f: { -readonly [K in keyof AlertFilter]: AlertFilter[K] } = {};
  if (q.rule !== undefined) f.rule = q.rule.split(',');
  if (q.status !== undefined && q.status !== 'all') f.status = q.status.split(',').filter(isStatus);
  if (q.host !== undefined) f.host = q.host;
  if (q.module !== undefined) f.module = q.module;
  if (q.correlationId !== undefined) f.correlationId = q.correlationId;
  if (q.from !== undefined) f.from = q.from;
  if (q.to !== undefined) f.to = q.to;
  return f;
}

/** An alert store's refusal as an HTTP answer (its own status and code); anything else is rethrown. */
export function alertErrorReply(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof AlertStoreError) return reply.status(err.httpStatus).send({ code: err.code, message: err.message });
  throw err;
}

export const alertRoutes: FastifyPluginAsync<AlertRouteDeps> = async (app, { alerts }) => {
  app.get<{ Querystring: AlertQuery }>(
    '/api/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: alertQuerySchema,
        response: {
          200: { type: 'object', required: ['alerts', 'nextCursor'], properties: { alerts: { type: 'array', items: alertDoc }, nextCursor: { type: ['string', 'null'] } } },
          '4xx': errorDoc,
          '5xx': errorDoc,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      try {
        const page = await alerts.query(toAlertFilter(q), { limit: q.limit ?? 100, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
        return { alerts: page.alerts, nextCursor: page.nextCursor };
      } catch (err: unknown) {
        return alertErrorReply(reply, err);
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/alerts/:id',
    {
      config: { role: 'viewer' },
      schema: {
        params: { type: 'object', additionalProperties: false, properties: { id: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['id'] },
        response: { 200: alertDoc, '4xx': errorDoc, '5xx': errorDoc },
      },
    },
    async (request, reply) => {
      try {
        const alert = await alerts.get(request.params.id);
        if (alert === null) {
          const err = new AlertStoreError('PIP_ERR_ALERTS_NOT_FOUND', [JSON.stringify(request.params.id)]);
          return reply.status(err.httpStatus).send({ code: err.code, message: err.message });
        }
        return alert;
      } catch (err: unknown) {
        return alertErrorReply(reply, err);
      }
    },
  );
};
