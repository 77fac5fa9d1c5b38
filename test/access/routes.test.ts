/** Tokens over the API (admin) and whoami: configuration changes stored with who made them. */
import { describe, expect, it } from 'vitest';
import { buildApi } from '../../pipeline/api/server.js';
import { MemoryEventStore } from '../../pipeline/store/memory-store.js';
import { testAccess } from './harness.js';

describe('/api/access', () => {
  it('tells the caller who it is, and lets only admins manage tokens, each change audited', async () => {
    const store = new MemoryEventStore();
    const access = testAccess(store);
    const app = await buildApi({ store, access: access.deps });
    const who = await app.inject({ url: '/api/access/whoami', headers: access.headers('operator') });
    expect(who.json()).toEqual({ name: 'token:test-operator', role: 'operator', via: 'token' });
    expect((await app.inject({ url: '/api/access/tokens', headers: access.headers('approver') })).statusCode).toBe(403);

    const made = await app.inject({ method: 'POST', url: '/api/access/tokens', headers: access.headers('admin'), payload: { name: 'grafana', role: 'viewer' } });
    expect(made.statusCode).toBe(201);
    const { token, entry } = made.json<{ token: string; entry: { id: string; hash?: string } }>();
    expect(entry.hash).toBeUndefined();
    const list = await app.inject({ url: '/api/access/tokens', headers: access.headers('admin') });
    expect(JSON.stringify(list.json())).not.toContain(token);
    expect((await app.inject({ url: '/api/events', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);

    expect((await app.inject({ method: 'DELETE', url: `/api/access/tokens/${entry.id}`, headers: access.headers('admin') })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/events', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'DELETE', url: '/api/access/tokens/ffffffffffff', headers: access.headers('admin') })).statusCode).toBe(404);
    const bad = await app.inject({ method: 'POST', url: '/api/access/tokens', headers: access.headers('admin'), payload: { name: 'x', role: 'root' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toMatch(/body\/role/);

    const audit = await store.queryEvents({ action: ['access.token.create', 'access.token.revoke'] }, { limit: 0 });
    expect(audit.ok && audit.events.map((e) => [e.event.action, e.user?.name, e.recovery.details?.['token_id']])).toEqual([
      ['access.token.create', 'token:test-admin', entry.id],
      ['access.token.revoke', 'token:test-admin', entry.id],
    ]);
    await app.close();
    access.cleanup();
  });
});
