/**
 * GET /api/traces/:id: every event of one correlation id in time order, with parent links, and
 * linked in, marked, the events it points at elsewhere: parents under other correlation ids and,
 * for an alert's correlation id, the events behind the alert (store/trace.ts `linkTrace`). So the
 * trace of a restore shows the corrupt checks that caused it, in one answer.
 */
import type { FastifyPluginAsync } from 'fastify';
import { alertLinksOf } from '../../alerts/alert-store.js';
import { alertErrorReply } from '../../alerts/routes.js';
import type { TraceResult } from '../../store/event-store.js';
import { LINK_BOUNDS, readLinkedTrace } from '../../store/trace.js';
import type { ApiDeps } from '../server.js';
import { storeErrorReply } from './store-error.js';
import { errorDoc } from '../error-doc.js';

const nodeDoc = {
  type: 'object',
  additionalProperties: false,
  required: ['event', 'parent', 'children'],
  properties: {
    event: { type: 'object', additionalProperties: true, description: 'the stored event, whole' },
    parent: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      description: 'none: no recovery.parent_id; present: the parent is a node of this trace; absent: it is not stored (or beyond the link bounds)',
      properties: { kind: { type: 'string', enum: ['none', 'present', 'absent'] }, parentId: { type: 'string' } },
    },
    children: { type: 'array', items: { type: 'string' }, description: 'event.ids of the nodes whose parent this is' },
    linked: {
      type: 'object',
      additionalProperties: false,
      required: ['via', 'correlationId'],
      description: 'only on events of another correlation id: reached as a parent (via parent) or as an event behind the alert of this correlation id (via alert)',
      properties: { via: { type: 'string', enum: ['parent', 'alert'] }, correlationId: { type: ['string', 'null'] }, alertId: { type: 'string' } },
    },
  },
} as const;

export const traceDoc = {
  type: 'object',
  additionalProperties: false,
  required: ['correlationId', 'nodes', 'roots', 'linksCut'],
  properties: {
    correlationId: { type: 'string' },
    nodes: { type: 'array', items: nodeDoc, description: 'in time order (then event.id), linked events among them' },
    roots: { type: 'array', items: { type: 'string' } },
    linksCut: { type: 'boolean', description: `true when a bound (${LINK_BOUNDS.depth} links deep, ${LINK_BOUNDS.events} linked events) left links unfollowed` },
  },
} as const;

export const traceRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, alerts }) => {
  app.get<{ Params: { id: string } }>(
    '/api/traces/:id',
    {
      config: { role: 'viewer' },
      schema: {
        description: 'one correlation id in time order, with the events it links to in other correlation ids (parents; the events behind its alert)',
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 512 } }, required: ['id'] },
        response: { 200: traceDoc, '4xx': errorDoc, '5xx': errorDoc },
      },
    },
    async (request, reply) => {
      let result: TraceResult;
      try {
        result = await readLinkedTrace(store, request.params.id, alerts === undefined ? undefined : (cid) => alertLinksOf(alerts, cid));
      } catch (err: unknown) {
        return alertErrorReply(reply, err);
      }
      if (!result.ok) return storeErrorReply(reply, result.error);
      if (result.trace.nodes.length === 0) return reply.status(404).send({ code: 'PIP_ERR_API_NOT_FOUND', message: `no event has correlation id "${request.params.id}"` });
      return result.trace;
    },
  );
};
