/**
 * GET /api/export: the SIEM feed, ECS NDJSON streamed in write order. Each line is a stored event
 * with `event.sequence` set to its position in write order; after a disconnect, ask again with
 * `cursor` = the `event.sequence` of the last whole line received and nothing is lost or repeated
 * (late events, written after others of a later `@timestamp`, come in their write position).
 * `since` keeps only events of `@timestamp` at or after it.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { parseTimestamp } from '../../store/record.js';
import { exportDocument, streamEventsSince } from '../../store/event-store.js';
import type { ApiDeps } from '../server.js';

export const exportQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    since: { type: 'string', minLength: 1, description: 'ISO 8601 time with a zone: events of @timestamp at or after it' },
    cursor: { type: 'integer', minimum: 0, description: 'event.sequence of the last line received; 0 or absent from the start' },
    limit: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0, description: 'at most this many lines; 0 = every event stored when the request came' },
  },
} as const;

interface ExportQuery {
  since?: string;
  cursor?: number;
  limit?: number;
}

async function* lines(deps: ApiDeps, afterSeq: number, sinceMs: number | null, limit: number): AsyncGenerator<string> {
  let sent = 0;
  for await (const sequenced of streamEventsSince(deps.store, afterSeq, 1000)) {
    if (sinceMs !== null && Date.parse(sequenced.event['@timestamp']) < sinceMs) continue;
    yield `${JSON.stringify(exportDocument(sequenced))}\n`;
    if (limit > 0 && ++sent >= limit) return;
  }
}

export const exportRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Querystring: ExportQuery }>(
    '/api/export',
    {
      config: { role: 'viewer' },
      schema: {
        querystring: exportQuerySchema,
        description: 'ECS NDJSON in write order, each line with event.sequence; resume with cursor = the last event.sequence received',
        produces: ['application/x-ndjson'],
      },
    },
    async (request, reply) => {
      const { since, cursor = 0, limit = 0 } = request.query;
      const sinceMs = since === undefined ? null : parseTimestamp(since);
      if (sinceMs === null && since !== undefined) return reply.status(400).send({ code: 'PIP_ERR_API_BAD_REQUEST', message: `querystring/since must be an ISO 8601 time with a zone, found ${JSON.stringify(since)}` });
      // The first page is read before the answer starts, so that a store failure is still a status.
      const first = await deps.store.eventsSince(cursor, 1);
      if (!first.ok) return reply.status(first.error.httpStatus).send({ code: first.error.code, message: first.error.message });
      const stream = Readable.from(lines(deps, cursor, sinceMs, limit));
      stream.on('error', (err) => request.log.error({ err }, 'export stream failed'));
      return reply.type('application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(stream);
    },
  );
};
