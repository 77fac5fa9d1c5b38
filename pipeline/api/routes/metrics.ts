/** GET /metrics: Kintsugi's own metrics in the Prometheus text format (OpenTelemetry). */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../server.js';

export const metricsRoutes: FastifyPluginAsync<ApiDeps> = async (app, { telemetry }) => {
  app.get('/metrics', { config: { role: 'viewer' } }, async (request, reply) => {
    if (telemetry === undefined) return reply.status(404).send({ code: 'PIP_ERR_API_NOT_FOUND', message: 'telemetry is off' });
    reply.hijack();
    telemetry.serveMetrics(request.raw, reply.raw);
  });
};
