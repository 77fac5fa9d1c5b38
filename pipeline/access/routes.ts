/**
 * Access over the API: GET /api/access/whoami (viewer: who the guard took the caller for), and the
 * tokens (admin): list, create (the secret answered once), revoke. Creating and revoking are
 * configuration changes: each is stored as an event (`access.token.create`,
 * `access.token.revoke`) with who did it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { AccessError } from './errors.js';
import type {} from './guard.js';
import { ROLES, type Role } from './roles.js';
import type { TokenEntry, TokenFile } from './token-store.js';
import { errorDoc } from '../api/error-doc.js';

export interface AccessRouteDeps {
  readonly tokens?: TokenFile;
}

function shown(e: TokenEntry): Omit<TokenEntry, 'hash'> {
  const { hash: _hash, ...rest } = e;
  return rest;
}

export const accessRoutes: FastifyPluginAsync<AccessRouteDeps> = async (app, { tokens }) => {
  app.get('/api/access/whoami', { config: { role: 'viewer' }, schema: { description: 'who the caller is and its role' } }, async (request) => request.principal);

  if (tokens === undefined) return;
  app.get('/api/access/tokens', { config: { role: 'admin' }, schema: { description: 'the API tokens, never their secrets' } }, async () => ({ tokens: tokens.entries().map(shown) }));

  app.post<{ Body: { name: string; role: Role } }>(
    '/api/access/tokens',
    {
      config: { role: 'admin' },
      schema: {
        description: 'make a token; its secret is in this answer only',
        body: { type: 'object', additionalProperties: false, required: ['name', 'role'], properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' }, role: { type: 'string', enum: [...ROLES] } } },
      },
    },
    async (request, reply) => {
      const { token, entry } = tokens.create(request.body.name, request.body.role);
      await app.audit.record({ action: 'access.token.create', who: request.principal.name, message: `${request.principal.name} made token ${entry.id} (${entry.name}, ${entry.role})`, details: { token_id: entry.id, name: entry.name, role: entry.role } });
      return reply.status(201).send({ token, entry: shown(entry) });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/access/tokens/:id',
    { config: { role: 'admin' }, schema: { params: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } }, response: { 404: errorDoc } } },
    async (request, reply) => {
      try {
        const entry = tokens.revoke(request.params.id);
        await app.audit.record({ action: 'access.token.revoke', who: request.principal.name, message: `${request.principal.name} revoked token ${entry.id} (${entry.name})`, details: { token_id: entry.id, name: entry.name, role: entry.role } });
        return shown(entry);
      } catch (err: unknown) {
        if (err instanceof AccessError && err.code === 'ACC_ERR_TOKEN_NOT_FOUND') return reply.status(404).send({ code: err.code, message: err.message });
        throw err;
      }
    },
  );
};
