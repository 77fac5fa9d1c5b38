/**
 * The access guard of the API: every route declares the least role it needs, and one onRequest
 * hook checks it. This is the surface other parts use (the restore routes do):
 *
 *   app.post('/api/restores/:id/approve', { config: { role: 'approver' }, schema }, async (request) => {
 *     const who = request.principal;               // never null on a guarded route
 *     await app.audit.record({ action: 'restore.approve', who: who.name, correlationId, details });
 *   });
 *
 * - `config.role`: `viewer` < `operator` < `approver` < `admin`, or `public` (no credentials).
 *   A route that declares none makes the API fail to start (ACC_ERR_NO_ROLE).
 * - `request.principal`: who called ({name, role, via}); `app.audit`: the audit trail (audit.ts).
 * - Every refusal is answered with the catalogue's status and code (401, 403, 429, 503) and
 *   stored as an `auth.denied` event before the answer leaves.
 * - `app.accessRoutes`: every registered route with its role (the role-matrix test walks it).
 *
 * installAccess must be called on the root instance before any route is registered.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditTrail } from './audit.js';
import { parseAuthorization, type Authenticator, type Principal } from './authenticate.js';
import { AccessError, type AccessErrorCode } from './errors.js';
import { isRouteRole, roleAllows, type Role, type RouteRole } from './roles.js';
import type { LoginThrottle } from './throttle.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role a caller needs; `public` for no credentials. Required on every route. */
    role?: RouteRole;
  }
  interface FastifyRequest {
    /** Who called; set on every route that is not `public` once the guard let the request in. */
    principal: Principal;
  }
  interface FastifyInstance {
    audit: AuditTrail;
    accessRoutes: readonly RouteDeclaration[];
  }
}

export interface RouteDeclaration {
  readonly method: string;
  readonly url: string;
  readonly role: RouteRole;
}

export interface AccessDeps {
  readonly authenticator: Authenticator;
  readonly audit: AuditTrail;
  readonly throttle: LoginThrottle;
  /** The role of requests without credentials; none (a 401) when absent. */
  readonly anonymous?: Role;
  /** Told of every refusal (the kintsugi_auth_denied metric). */
  readonly onDenied?: (code: AccessErrorCode) => void;
}

const ANONYMOUS_NAME = 'anonymous';

export function installAccess(app: FastifyInstance, deps: AccessDeps): void {
  const routes: RouteDeclaration[] = [];
  app.decorate('audit', deps.audit);
  app.decorate('accessRoutes', routes);
  app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRoute', (route) => {
    const role: unknown = route.config?.role;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!isRouteRole(role)) throw new AccessError('ACC_ERR_NO_ROLE', [methods.join(','), route.url]);
    for (const method of methods) routes.push({ method, url: route.url, role });
  });

  app.addHook('onRequest', async (request, reply) => {
    const need = request.routeOptions.config.role;
    // No role: fastify's not-found handler (every route has one, onRoute made sure).
    if (need === undefined || need === 'public') return;
    const source = request.ip;
    const wait = deps.throttle.waitMs(source);
    if (wait > 0) {
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return deny(request, reply, deps, ANONYMOUS_NAME, 'ACC_ERR_THROTTLED', [source, Math.ceil(wait / 1000)]);
    }
    const credentials = parseAuthorization(request.headers.authorization);
    let principal: Principal;
    if (credentials === 'malformed') {
      deps.throttle.failed(source);
      return deny(request, reply, deps, ANONYMOUS_NAME, 'ACC_ERR_BAD_CREDENTIALS', ['the Authorization header is neither Bearer nor Basic']);
    } else if (credentials === null) {
      if (deps.anonymous === undefined) return deny(request, reply, deps, ANONYMOUS_NAME, 'ACC_ERR_UNAUTHENTICATED', ['none were sent']);
      principal = { name: ANONYMOUS_NAME, role: deps.anonymous, via: 'anonymous' };
    } else {
      const result = await deps.authenticator.authenticate(credentials);
      switch (result.kind) {
        case 'refused':
          deps.throttle.failed(source);
          return deny(request, reply, deps, result.who, 'ACC_ERR_BAD_CREDENTIALS', [result.reason]);
        case 'unavailable':
          return deny(request, reply, deps, result.who, 'ACC_ERR_LDAP_UNAVAILABLE', [result.reason]);
        case 'no-role':
          deps.throttle.succeeded(source);
          return deny(request, reply, deps, result.who, 'ACC_ERR_FORBIDDEN', [result.who, 'none', request.method, routeOf(request), `${need} (${result.reason})`]);
        case 'ok':
          deps.throttle.succeeded(source);
          principal = result.principal;
      }
    }
    if (!roleAllows(principal.role, need)) {
      // Without credentials the answer is "send some", not "you may not".
      if (principal.via === 'anonymous') return deny(request, reply, deps, ANONYMOUS_NAME, 'ACC_ERR_UNAUTHENTICATED', [`anonymous callers are ${principal.role}s; ${request.method} ${routeOf(request)} needs ${need}`]);
      return deny(request, reply, deps, principal.name, 'ACC_ERR_FORBIDDEN', [principal.name, principal.role, request.method, routeOf(request), need]);
    }
    request.principal = principal;
  });
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? request.url.split('?')[0] ?? request.url;
}

async function deny(request: FastifyRequest, reply: FastifyReply, deps: AccessDeps, who: string, code: AccessErrorCode, args: readonly (string | number)[]): Promise<FastifyReply> {
  const err = new AccessError(code, args);
  deps.onDenied?.(code);
  await deps.audit.denied(who, { method: request.method, route: routeOf(request), source: request.ip }, code, err.message);
  if (err.httpStatus === 401) void reply.header('www-authenticate', 'Bearer realm="kintsugi"');
  return reply.status(err.httpStatus).send({ code, message: err.message });
}
