/**
 * GET /api/aggregations: event counts by a field (`field`), by time bucket (`bucket`), or both,
 * over the events that every filter of /api/events selects.
 */
import type { FastifyPluginAsync } from 'fastify';
import { GROUP_FIELDS, type GroupField } from '../../store/event-store.js';
import type { ApiDeps } from '../server.js';
import { eventQuerySchema, toEventFilter, type EventQuery } from '../filters.js';
import { storeErrorReply } from './store-error.js';

const { limit: _limit, cursor: _cursor, ...filterProperties } = eventQuerySchema.properties;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const aggregationQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...filterProperties,
    field: { type: 'string', enum: [...GROUP_FIELDS], description: 'count by this field' },
    bucket: { type: 'string', pattern: '^[1-9][0-9]{0,5}[smhd]$', description: 'count by time bucket of this size (30s, 5m, 1h, 1d), aligned to the epoch' },
  },
} as const;

type AggregationQuery = Omit<EventQuery, 'limit' | 'cursor'> & { field?: GroupField; bucket?: string };

/** `5m` in milliseconds. */
export function bucketMs(size: string): number {
  const unit = size.slice(-1) as keyof typeof UNIT_MS;
  return Number(size.slice(0, -1)) * UNIT_MS[unit];
}

export const aggregationRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store }) => {
  app.get<{ Querystring: AggregationQuery }>(
    '/api/aggregations',
    { config: { role: 'viewer' }, schema: { querystring: aggregationQuerySchema, description: 'counts by field, by time bucket, or by both (at least one of field and bucket)' } },
    async (request, reply) => {
      const { field, bucket, ...q } = request.query;
      const filter = toEventFilter(q);
      if (bucket === undefined) {
        if (field === undefined) return reply.status(400).send({ code: 'PIP_ERR_API_BAD_REQUEST', message: 'querystring/field or querystring/bucket is required' });
        const result = await store.countBy(field, filter);
        if (!result.ok) return storeErrorReply(reply, result.error);
        return { field: result.field, counts: result.counts };
      }
      const result = await store.countByTimeBucket(bucketMs(bucket), filter, ...(field !== undefined ? [field] : []));
      if (!result.ok) return storeErrorReply(reply, result.error);
      return { field: result.field, bucketMs: result.bucketMs, buckets: result.buckets };
    },
  );
};
