/** GET /healthz: the service answers, the store answers, and how far behind the followers are. */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../server.js';

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, lagBytes }) => {
  app.get('/healthz', { config: { role: 'public' } }, async (_request, reply) => {
    try {
      const stats = await store.stats();
      return { status: 'ok', events: stats.events, deadLetters: stats.deadLetters, followerLagBytes: lagBytes?.() ?? 0 };
    } catch (err: unknown) {
      return reply.status(503).send({ status: 'unavailable', message: err instanceof Error ? err.message : String(err) });
    }
  });
};
