/** GET /api/events: search with every filter of the store, cursor paging. */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../server.js';
import { eventQuerySchema, toEventFilter, type EventQuery } from '../filters.js';
import { storeErrorReply } from './store-error.js';

export const eventRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store }) => {
  app.get<{ Querystring: EventQuery }>('/api/events', { config: { role: 'viewer' }, schema: { querystring: eventQuerySchema } }, async (request, reply) => {
    const q = request.query;
    const page = await store.queryEvents(toEventFilter(q), { limit: q.limit ?? 100, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
    if (!page.ok) return storeErrorReply(reply, page.error);
    return { events: page.events, nextCursor: page.nextCursor };
  });
};
