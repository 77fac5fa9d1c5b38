/**
 * The HTTP API (fastify): forensic queries over the store, health and metrics. Each route group
 * is a plugin with one job (routes/*.ts); every route has JSON schemas, so a bad request is a 400
 * that names the field, and a store failure is the store error's own status and code.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installAccess, type AccessDeps } from '../access/guard.js';
import type { AlertStore } from '../alerts/alert-store.js';
import { alertRoutes } from '../alerts/routes.js';
import type { EventStore } from '../store/event-store.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { registerOpenApi } from './openapi.js';
import { sourceResolver, type SourceOf } from './replay.js';
import { aggregationRoutes } from './routes/aggregations.js';
import { alertActionRoutes } from './routes/alert-actions.js';
import { replayRoutes } from './routes/replay.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { exportRoutes } from './routes/export.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { itemRoutes } from './routes/items.js';
import { metricsRoutes } from './routes/metrics.js';
import { traceRoutes } from './routes/traces.js';
import { restoreRoutes } from '../../restore-runner/jobs/routes.js';
import type { RestoreRunner } from '../../restore-runner/jobs/runner.js';

export interface ApiDeps {
  readonly store: EventStore;
  /** The alert store: GET /api/alerts when present. */
  readonly alerts?: AlertStore;
  readonly telemetry?: Telemetry;
  /** Bytes the followers are behind, for /healthz. */
  readonly lagBytes?: () => number;
  /** A pino logger for the request log; none when absent. */
  readonly logger?: FastifyBaseLogger;
  /** The restore runner: /api/restores when present. */
  readonly restores?: RestoreRunner;
  /** Who may call what (pipeline/access/): every route is guarded. */
  readonly access: AccessDeps;
  /** PEM certificate chain and key: HTTPS instead of HTTP. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** The settings a dead letter's file was read with, for replays (default: none matched). */
  readonly sourceOf?: SourceOf;
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger !== undefined ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: 64 * 1024 * 1024,
    ...(deps.tls !== undefined ? { https: { cert: deps.tls.cert, key: deps.tls.key } } : {}),
    ajv: { customOptions: { coerceTypes: true, useDefaults: true, removeAdditional: false, allErrors: false } },
  });
  installAccess(app, deps.access);
  app.setErrorHandler((err: unknown, request, reply) => {
    const fields = typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : {};
    const message = err instanceof Error ? err.message : String(err);
    if (fields['validation'] !== undefined) return reply.status(400).send({ code: 'PIP_ERR_API_BAD_REQUEST', message });
    const status = typeof fields['statusCode'] === 'number' ? fields['statusCode'] : 500;
    // A server keeps serving and says what failed, without its internals for a 500.
    const code = status < 500 && typeof fields['code'] === 'string' ? fields['code'] : status < 500 ? 'PIP_ERR_API_BAD_REQUEST' : 'PIP_ERR_API_INTERNAL';
    if (status >= 500) request.log.error({ err }, 'request failed');
    return reply.status(status).send({ code, message: status >= 500 ? 'internal error; see the service log' : message });
  });
  await registerOpenApi(app);
  await app.register(healthRoutes, deps);
  await app.register(aggregationRoutes, deps);
  await app.register(exportRoutes, deps);
  await app.register(eventRoutes, deps);
  await app.register(traceRoutes, deps);
  await app.register(deadLetterRoutes, deps);
  await app.register(itemRoutes, deps);
  await app.register(metricsRoutes, deps);
  await app.register(replayRoutes, { ...deps, sourceOf: deps.sourceOf ?? sourceResolver([]) });
  if (deps.alerts !== undefined) {
    await app.register(alertRoutes, { alerts: deps.alerts });
    await app.register(alertActionRoutes, { alerts: deps.alerts, store: deps.store });
  }
  if (deps.restores !== undefined) await app.register(restoreRoutes, { runner: deps.restores });
  return app;
}
