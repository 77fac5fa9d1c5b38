/**
 * The roles of the API, in order: each one may do everything the ones before it may.
 * `viewer` reads; `operator` acknowledges alerts, replays dead letters, requests restores;
 * `approver` approves restores; `admin` changes the configuration (tokens, ingest from outside).
 */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a route declares: a role, or `public` for the few routes anyone may call (`/healthz`). */
export type RouteRole = Role | 'public';

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function isRouteRole(v: unknown): v is RouteRole {
  return v === 'public' || isRole(v);
}

/** Whether `have` may do what `need` allows. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** The highest of several roles; null for none. */
export function highestRole(roles: Iterable<Role>): Role | null {
  let best: Role | null = null;
  for (const r of roles) if (best === null || ROLES.indexOf(r) > ROLES.indexOf(best)) best = r;
  return best;
}
