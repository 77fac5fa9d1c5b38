/** GET /api/traces/:id: every event of one correlation id in time order, with parent links. */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../server.js';
import { storeErrorReply } from './store-error.js';

export const traceRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store }) => {
  app.get<{ Params: { id: string } }>(
    '/api/traces/:id',
    { config: { role: 'viewer' }, schema: { params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 512 } }, required: ['id'] } } },
    async (request, reply) => {
      const result = await store.trace(request.params.id);
      if (!result.ok) return storeErrorReply(reply, result.error);
      if (result.trace.nodes.length === 0) return reply.status(404).send({ code: 'PIP_ERR_API_NOT_FOUND', message: `no event has correlation id "${request.params.id}"` });
      return result.trace;
    },
  );
};
