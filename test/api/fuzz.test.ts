/**
 * API fuzzing with fast-check: malformed query strings, path parameters and bodies on every
 * registered route, as a caller allowed to use it. Whatever comes, the answer is never a 500.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFixture, type Fixture } from './fixture.js';

let f: Fixture;
beforeAll(async () => {
  f = await openFixture();
}, 60_000);
afterAll(async () => {
  await f?.close();
});

const KEYS = ['from', 'to', 'host', 'instance', 'module', 'action', 'status', 'outcome', 'code', 'dataset', 'correlationId', 'text', 'limit', 'cursor', 'field', 'bucket', 'since', 'reason', 'file', 'replayed', 'rule', 'x', '__proto__', 'constructor'];
const NASTY = ["' OR 1=1 --", '%00', '\u0000', '🙂', '-1', '1e309', 'NaN', '2026-13-45T99:99:99Z', '[]', '{}', 'true', 'a,b,,c', ',', '\\', '%', '${x}', 'recovery.v32,', 'eyJhIjoxfQ', '9'.repeat(400)];

const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...NASTY), fc.integer().map(String), fc.double().map(String));
const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), value), { maxLength: 6 });
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ ids: fc.oneof(fc.array(value, { maxLength: 5 }), value), reason: value, limit: fc.oneof(fc.integer(), value), dryRun: fc.boolean(), note: fc.oneof(value, fc.integer()) }, { requiredKeys: [] }),
  fc.record({ events: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }), deadLetters: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }) }),
);
const raw = fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('{', '{"a":', '[1,2', 'null', '"x"', '\u0000', '{"events":[{"event":null}],"deadLetters":[]}'));

function withParams(url: string, param: string): string {
  return url.replace(/:[A-Za-z_]+/g, encodeURIComponent(param) || 'x');
}

describe('fuzzing every route', () => {
  it('never answers a malformed query string or path with a 500', async () => {
    const routes = f.app.accessRoutes.filter((r) => r.method === 'GET');
    expect(routes.length).toBeGreaterThan(5);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), query, fc.oneof(value, fc.constant('x')), async (route, pairs, param) => {
        const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const r = await f.app.inject({ url: `${withParams(route.url, param)}?${qs}`, headers: f.access.headers('admin') });
        expect(r.statusCode, `${route.url}?${qs}: ${r.body.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: 400 },
    );
  }, 120_000);

  it('never answers a malformed body with a 500', async () => {
    const routes = f.app.accessRoutes.filter((r) => r.method === 'POST');
    expect(routes.length).toBeGreaterThanOrEqual(4);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.oneof(body.map((b) => JSON.stringify(b) ?? 'null'), raw), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (route, payload, type) => {
        const r = await f.app.inject({ method: 'POST', url: withParams(route.url, 'x'), payload, headers: { ...f.access.headers('admin'), 'content-type': type } });
        expect(r.statusCode, `${route.url} ${type} ${payload.slice(0, 200)}: ${r.body.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('never answers a malformed Authorization header with a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 100 }), fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`), fc.string().map((s) => `Bearer ${s}`)), async (header) => {
        const r = await f.app.inject({ url: '/api/events?limit=1', headers: { authorization: header }, remoteAddress: `10.3.${header.length % 200}.1` });
        expect(r.statusCode).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
