/** GET /api/dead-letters: the records that could not be read, with reasons. */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../server.js';
import { deadLetterQuerySchema, toDeadLetterFilter, type DeadLetterQuery } from '../filters.js';
import { storeErrorReply } from './store-error.js';

export const deadLetterRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store }) => {
  app.get<{ Querystring: DeadLetterQuery }>('/api/dead-letters', { config: { role: 'viewer' }, schema: { querystring: deadLetterQuerySchema } }, async (request, reply) => {
    const q = request.query;
    const page = await store.queryDeadLetters(toDeadLetterFilter(q), { limit: q.limit ?? 100, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
    if (!page.ok) return storeErrorReply(reply, page.error);
    return { deadLetters: page.deadLetters, nextCursor: page.nextCursor };
  });
};
