/**
 * POST /api/items: parsed events and dead letters from `kintsugi ingest` while this service holds
 * the store (DuckDB lets one process write a file). Idempotent, like every store write.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { DeadLetter, RecoveryEvent } from '../../../parsers/event.js';
import type { ApiDeps } from '../server.js';
import { writeCounted } from '../../store-sink.js';
import { storeErrorReply } from './store-error.js';

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['events', 'deadLetters'],
  properties: {
    events: { type: 'array', maxItems: 100_000, items: { type: 'object' } },
    deadLetters: { type: 'array', maxItems: 100_000, items: { type: 'object' } },
  },
} as const;

export const itemRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, telemetry }) => {
  // The store checks every document it indexes (store/record.ts) and refuses a bad batch whole.
  app.post<{ Body: { events: RecoveryEvent[]; deadLetters: DeadLetter[] } }>('/api/items', { config: { role: 'admin' }, schema: { body: bodySchema } }, async (request, reply) => {
    const result = await writeCounted(store, request.body.events, request.body.deadLetters, telemetry?.instruments);
    if (!result.ok) return storeErrorReply(reply, result.error);
    return { events: result.events, deadLetters: result.deadLetters };
  });
};
