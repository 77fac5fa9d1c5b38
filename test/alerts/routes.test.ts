/** GET /api/alerts and /api/alerts/:id through fastify.inject, on a memory alert store. */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../pipeline/alerts/alert.js';
import { MemoryAlertStore } from '../../pipeline/alerts/memory-store.js';
import { alertRoutes } from '../../pipeline/alerts/routes.js';
import { sampleAlerts } from './samples.js';

const ALERTS = sampleAlerts();
const inOrder = [...ALERTS].sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']) || (a.event.id < b.event.id ? -1 : 1));
let app: FastifyInstance;

beforeAll(async () => {
  const alerts = new MemoryAlertStore();
  await alerts.put(ALERTS);
  // As pipeline/api/server.ts builds its app (ajv options and error handler for validation).
  app = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: true, useDefaults: true, removeAdditional: false, allErrors: false } } });
  app.setErrorHandler((err: unknown, _request, reply) => {
    const validation = typeof err === 'object' && err !== null && 'validation' in err;
    return reply.status(validation ? 400 : 500).send({ code: validation ? 'PIP_ERR_API_BAD_REQUEST' : 'PIP_ERR_API_INTERNAL', message: err instanceof Error ? err.message : String(err) });
  });
  await app.register(alertRoutes, { alerts });
  await app.ready();
});
afterAll(async () => app.close());

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const r = await app.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() };
}

describe('alerts API', () => {
  it('lists every alert whole, in firing order, by default', async () => {
    expect(await get('/api/alerts')).toEqual({ status: 200, body: { alerts: inOrder, nextCursor: null } });
  });

  it('filters by rule, status, host, module and correlation id', async () => {
    const ids = async (q: string): Promise<string[]> => ((await get(`/api/alerts?${q}`)).body as { alerts: Alert[] }).alerts.map((a) => a.event.id);
    const want = (p: (a: Alert) => boolean): string[] => inOrder.filter(p).map((a) => a.event.id);
    expect(await ids('rule=restore-failed,restore-stuck')).toEqual(want((a) => a.rule.id.startsWith('restore-')));
    expect(await ids('status=open')).toEqual(want((a) => a.recovery.alert.status === 'open'));
    expect(await ids('status=open,resolved')).toEqual(want(() => true));
    expect(await ids('host=h2')).toEqual(want((a) => a.related.hosts.includes('h2')));
    expect(await ids('module=nvme&status=all')).toEqual(want((a) => a.recovery.module === 'nvme'));
    const one = inOrder[1];
    expect(await ids(`correlationId=${encodeURIComponent(one?.recovery.correlation_id ?? '')}`)).toEqual(want((a) => a.recovery.correlation_id === one?.recovery.correlation_id));
    expect(want((a) => a.recovery.correlation_id === one?.recovery.correlation_id)).toHaveLength(1);
  });

  it('pages with cursors', async () => {
    const first = (await get('/api/alerts?limit=2')).body as { alerts: Alert[]; nextCursor: string };
    expect(first.alerts).toEqual(inOrder.slice(0, 2));
    const second = (await get(`/api/alerts?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`)).body as { alerts: Alert[] };
    expect(second.alerts).toEqual(inOrder.slice(2, 4));
  });

  it('gives one alert by id, and a coded 404 for an unknown id', async () => {
    const a = inOrder[0] as Alert;
    expect(await get(`/api/alerts/${a.event.id}`)).toEqual({ status: 200, body: a });
    expect(await get('/api/alerts/nope')).toEqual({ status: 404, body: { code: 'PIP_ERR_ALERTS_NOT_FOUND', message: 'No alert has id "nope".' } });
  });

  it('answers a bad request with a 400 that names the field or the store\'s code', async () => {
    const bad = await get('/api/alerts?status=firing');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'PIP_ERR_API_BAD_REQUEST' });
    expect(JSON.stringify(bad.body)).toContain('status');
    expect((await get('/api/alerts?colour=red')).status).toBe(400);
    expect((await get('/api/alerts?limit=10001')).status).toBe(400);
    expect(await get('/api/alerts?cursor=zzz')).toMatchObject({ status: 400, body: { code: 'PIP_ERR_ALERTS_BAD_CURSOR' } });
    expect(await get('/api/alerts?from=yesterday')).toMatchObject({ status: 400, body: { code: 'PIP_ERR_ALERTS_BAD_FILTER' } });
  });
});
