/**
 * The access guard on the whole API: the route × role matrix walks the registered routes (not a
 * hand list), every refusal is an auth.denied event, failed logins are slowed down, a route
 * without a role stops the start.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAccess } from '../../pipeline/access/guard.js';
import { ROLES, roleAllows, type Role } from '../../pipeline/access/roles.js';
import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { buildApi } from '../../pipeline/api/server.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunnerEventLog, runnerLogPath } from '../../restore-runner/events/event-log.js';
import { RestoreRunner } from '../../restore-runner/jobs/runner.js';
import { BUILT_IN_POLICY } from '../../restore-runner/recovery-policy/policy.js';
import { testAccess, type TestAccess } from './harness.js';

let app: FastifyInstance;
let store: MemoryEventStore;
let access: TestAccess;
let runnerDir: string;
let runner: RestoreRunner;

beforeAll(async () => {
  store = new MemoryEventStore();
  access = testAccess(store);
  // A runner without an instance map: its routes (/api/restores, /api/instances/...) are in the matrix too.
  runnerDir = mkdtempSync(join(tmpdir(), 'kintsugi-guard-'));
  runner = new RestoreRunner({ dataDir: runnerDir, policy: BUILT_IN_POLICY, instances: null, events: new RunnerEventLog(runnerLogPath(runnerDir)), damage: () => Promise.resolve({ paths: [], firstEventId: null }), holds: () => Promise.resolve([]) });
  await runner.start();
  app = await buildApi({ store, alerts: new MemoryAlertStore(), access: access.deps, restores: runner });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await runner.stop();
  access.cleanup();
  rmSync(runnerDir, { recursive: true, force: true });
});

async function denials(): Promise<{ user: string; route: string; reason: string; method: string }[]> {
  const page = await store.queryEvents({ action: 'auth.denied' }, { limit: 0 });
  if (!page.ok) throw page.error;
  return page.events.map((e) => {
    const d = e.recovery.details ?? {};
    return { user: e.user?.name ?? '', route: String(d['route']), reason: String(d['reason']), method: String(d['method']) };
  });
}

function concreteUrl(url: string): string {
  return url.replace(/:[A-Za-z_]+/g, 'x').replace(/\*$/, 'x');
}

describe('the route × role matrix', () => {
  it('declares a role on every registered route, and refuses or admits exactly by it', async () => {
    const routes = app.accessRoutes;
    expect(routes.length).toBeGreaterThanOrEqual(8);
    expect(routes.some((r) => r.role === 'public')).toBe(true);
    expect(routes.filter((r) => r.method === 'GET' && r.url.startsWith('/api/instances/')).length).toBe(2);
    const callers: { name: string; role: Role | null; headers: Record<string, string> }[] = [
      { name: 'nobody', role: null, headers: {} },
      { name: 'bad token', role: null, headers: { authorization: 'Bearer kin_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
      ...ROLES.map((r) => ({ name: r, role: r, headers: access.headers(r) })),
    ];
    let refusals = 0;
    for (const route of routes) {
      for (const caller of callers) {
        // A fresh source for each try: the throttle is tested on its own below.
        const r = await app.inject({ method: route.method as 'GET', url: concreteUrl(route.url), headers: caller.headers, remoteAddress: `10.1.${refusals >> 8}.${refusals & 255}` });
        const label = `${route.method} ${route.url} as ${caller.name}`;
        const allowed = route.role === 'public' || (caller.role !== null && roleAllows(caller.role, route.role));
        if (allowed) {
          expect([401, 403, 429], label).not.toContain(r.statusCode);
        } else {
          refusals++;
          expect(r.statusCode, label).toBe(caller.role === null ? 401 : 403);
          if (route.method !== 'HEAD') expect(r.json<{ code: string }>().code, label).toBe(caller.role === null ? (caller.name === 'nobody' ? 'ACC_ERR_UNAUTHENTICATED' : 'ACC_ERR_BAD_CREDENTIALS') : 'ACC_ERR_FORBIDDEN');
        }
      }
    }
    expect(refusals).toBeGreaterThan(routes.length);
    const denied = await denials();
    expect(denied.length).toBe(refusals);
    expect(denied.filter((d) => d.reason === 'ACC_ERR_FORBIDDEN').every((d) => d.user.startsWith('token:test-'))).toBe(true);
    expect(denied.every((d) => routes.some((r) => r.url === d.route && r.method === d.method))).toBe(true);
  });

  it('answers an unknown route with 404 for anyone', async () => {
    const r = await app.inject({ url: '/api/nothing-here' });
    expect(r.statusCode).toBe(404);
  });
});

describe('the guard', () => {
  it('refuses to start with a route that declares no role', async () => {
    const bare = Fastify({ logger: false });
    installAccess(bare, testAccess(new MemoryEventStore()).deps);
    expect(() => bare.get('/api/unguarded', async () => ({ ok: true }))).toThrow(/ACC_ERR_NO_ROLE.*\/api\/unguarded/);
    bare.get('/api/guarded', { config: { role: 'viewer' } }, async () => ({ ok: true }));
    await bare.ready();
    expect(bare.accessRoutes.map((r) => r.url)).toEqual(['/api/guarded', '/api/guarded']);
    await bare.close();
  });

  it('slows down repeated failed logins from one address, and only that one', async () => {
    let now = 1_000_000;
    const s = new MemoryEventStore();
    const a = testAccess(s, { throttle: { freeFailures: 2, baseDelayMs: 2000, maxDelayMs: 8000 }, now: () => now });
    const api = await buildApi({ store: s, access: a.deps });
    const bad = { authorization: 'Bearer kin_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const from = (addr: string, headers: Record<string, string>) => api.inject({ url: '/api/events', headers, remoteAddress: addr });
    expect((await from('10.9.9.9', bad)).statusCode).toBe(401);
    expect((await from('10.9.9.9', bad)).statusCode).toBe(401);
    expect((await from('10.9.9.9', bad)).statusCode).toBe(401);
    // Three failures: the address waits 2 s, even with a good token.
    const blocked = await from('10.9.9.9', a.headers('viewer'));
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBe('2');
    expect((await from('10.9.9.8', a.headers('viewer'))).statusCode).toBe(200);
    now += 2000;
    expect((await from('10.9.9.9', bad)).statusCode).toBe(401);
    expect((await from('10.9.9.9', a.headers('viewer'))).headers['retry-after']).toBe('4');
    now += 4000;
    expect((await from('10.9.9.9', a.headers('viewer'))).statusCode).toBe(200);
    const reasons = (await s.queryEvents({ action: 'auth.denied' }, { limit: 0 }));
    expect(reasons.ok && reasons.events.map((e) => e.recovery.details?.['reason'])).toEqual([
      'ACC_ERR_BAD_CREDENTIALS', 'ACC_ERR_BAD_CREDENTIALS', 'ACC_ERR_BAD_CREDENTIALS', 'ACC_ERR_THROTTLED', 'ACC_ERR_BAD_CREDENTIALS', 'ACC_ERR_THROTTLED',
    ]);
    await api.close();
    a.cleanup();
  });

  it('stores a refusal as an ECS auth.denied event that the store accepts and finds', async () => {
    const s = new MemoryEventStore();
    const a = testAccess(s);
    const api = await buildApi({ store: s, access: a.deps });
    const r = await api.inject({ method: 'POST', url: '/api/items', headers: a.headers('operator'), payload: { events: [], deadLetters: [] } });
    expect(r.statusCode).toBe(403);
    expect(r.json<{ message: string }>().message).toMatch(/token:test-operator has role operator; POST \/api\/items needs admin/);
    const page = await s.queryEvents({ action: 'auth.denied', outcome: 'failure' }, { limit: 0 });
    expect(page.ok).toBe(true);
    if (!page.ok) return;
    const [e] = page.events;
    expect(e?.event.category).toEqual(['authentication']);
    expect(e?.event.type).toEqual(['start']);
    expect(e?.user?.name).toBe('token:test-operator');
    expect(e?.recovery.details).toMatchObject({ method: 'POST', route: '/api/items', reason: 'ACC_ERR_FORBIDDEN', source_ip: '127.0.0.1' });
    await api.close();
    a.cleanup();
  });

  it('takes a revocation at once, and gives the anonymous role only when configured', async () => {
    const s = new MemoryEventStore();
    const a = testAccess(s, { anonymous: 'viewer' });
    const api = await buildApi({ store: s, access: a.deps });
    expect((await api.inject({ url: '/api/events' })).statusCode).toBe(200);
    expect((await api.inject({ method: 'POST', url: '/api/items', payload: { events: [], deadLetters: [] } })).statusCode).toBe(401);
    expect((await api.inject({ method: 'POST', url: '/api/items', headers: a.headers('admin'), payload: { events: [], deadLetters: [] } })).statusCode).toBe(200);
    const admin = a.tokens.entries().find((e) => e.role === 'admin');
    a.tokens.revoke(admin?.id ?? '');
    expect((await api.inject({ method: 'POST', url: '/api/items', headers: a.headers('admin'), payload: { events: [], deadLetters: [] } })).statusCode).toBe(401);
    expect((await api.inject({ url: '/api/events', headers: { authorization: 'Negotiate abc' } })).statusCode).toBe(401);
    await api.close();
    a.cleanup();
  });
});
