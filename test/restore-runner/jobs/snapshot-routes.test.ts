/**
 * The snapshot routes of the restores API on a real repository made by the engine: the snapshots
 * of one instance (not its neighbour's), one directory of a tree snapshot as paths that
 * POST /api/restores takes, and the errors (unknown instance, image snapshot, bad or missing path).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../pipeline/api/server.js';
import { MemoryEventStore } from '../../../pipeline/store/memory-store.js';
import { RunnerEventLog, runnerLogPath } from '../../../restore-runner/events/event-log.js';
import type { InstanceMap } from '../../../restore-runner/instances/map.js';
import { RestoreRunner } from '../../../restore-runner/jobs/runner.js';
import { validatePolicy } from '../../../restore-runner/recovery-policy/load.js';
import { createImageSnapshot } from '../../../restore-runner/snapshot/create-image.js';
import { testAccess, type TestAccess } from '../../access/harness.js';
import { makeFleet, MODULE_PATH, type TestFleet } from './fleet.js';

let app: FastifyInstance;
let access: TestAccess;
let fleet: TestFleet;
let runner: RestoreRunner;
const ids: Record<string, string> = {};
let dir: string;

beforeAll(async () => {
  // Its own temp dir, removed after all tests (the helpers' tempDir is removed after each).
  dir = mkdtempSync(join(tmpdir(), 'kintsugi-snapapi-'));
  fleet = makeFleet(join(dir, 'fleet'));
  ids['a1'] = fleet.snapshot('os-a', '2026-03-10T02:00:00Z');
  ids['a2'] = fleet.snapshot('os-a', '2026-03-12T02:00:00Z', '4.2.4');
  ids['b1'] = fleet.snapshot('os-b', '2026-03-11T02:00:00Z');
  const img = join(dir, 'os-img.img');
  writeFileSync(img, Buffer.alloc(256 * 1024, 'disk '));
  ids['img'] = (await createImageSnapshot(fleet.repo, { source: img, host: 'lab-1', instance: 'os-img', signingKey: fleet.repo.signingKey(), progress: false })).id;
  const first = fleet.map.instances[0];
  if (first === undefined) throw new Error('fleet has no instance');
  const map: InstanceMap = { file: fleet.map.file, instances: [...fleet.map.instances, { ...first, id: 'os-img', location: { kind: 'image', path: img } }] };
  const store = new MemoryEventStore();
  access = testAccess(store);
  const data = join(dir, 'data');
  runner = new RestoreRunner({ dataDir: data, policy: validatePolicy({ version: 1, defaults: { restore: 'approval' } }, 'test-policy'), instances: map, events: new RunnerEventLog(runnerLogPath(data)), damage: () => Promise.resolve({ paths: [], firstEventId: null }), holds: () => Promise.resolve([]) });
  await runner.start();
  app = await buildApi({ store, access: access.deps, restores: runner });
});
afterAll(async () => {
  await app.close();
  await runner.stop();
  access.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, role: 'viewer' | 'operator' = 'viewer') => app.inject({ url, headers: access.headers(role) });

describe('GET /api/instances/:host/:instance/snapshots', () => {
  it('lists the verified snapshots of that instance only, oldest first, with kind, OS version, tags, sizes and parent', async () => {
    const r = await get('/api/instances/lab-1/os-a/snapshots');
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<{ snapshots: { id: string; kind: string; osVersion: string; parent: string | null; time: string; tags: string[]; sizes: { bytes: number; files: number } }[]; problems: string[] }>();
    expect(body.snapshots.map((s) => s.id)).toEqual([ids['a1'], ids['a2']]);
    expect(body.problems).toEqual([]);
    const [s1, s2] = body.snapshots;
    expect(s1).toMatchObject({ kind: 'tree', osVersion: '4.2.3', parent: null, time: '2026-03-10T02:00:00.000Z', tags: [] });
    expect(s2?.osVersion).toBe('4.2.4');
    expect(s2?.parent).toBe(ids['a1']);
    expect(s1?.sizes.files).toBe(3);
    expect(s1?.sizes.bytes).toBe(20_000 + 9000 + 'VERSION=4.2.3 os-a\n'.length);
    const img = (await get('/api/instances/lab-1/os-img/snapshots')).json<{ snapshots: { id: string; kind: string }[] }>();
    expect(img.snapshots.map((s) => [s.id, s.kind])).toEqual([[ids['img'], 'image']]);
  });

  it('answers an unknown host or instance with 404 naming it and the known ones', async () => {
    for (const url of ['/api/instances/lab-9/os-a/snapshots', '/api/instances/lab-1/os-z/snapshots']) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(404);
      expect(r.json()).toMatchObject({ code: 'JOB_ERR_UNKNOWN_INSTANCE' });
      expect(r.json<{ message: string }>().message).toContain('known: lab-1/os-a, lab-1/os-b, lab-1/os-img');
    }
  });

  it('is for viewers and up: no token is a 401', async () => {
    expect((await app.inject({ url: '/api/instances/lab-1/os-a/snapshots' })).statusCode).toBe(401);
    expect((await get('/api/instances/lab-1/os-a/snapshots', 'operator')).statusCode).toBe(200);
    const declared = app.accessRoutes.filter((r) => r.url.startsWith('/api/instances/')).map((r) => `${r.method} ${r.url} ${r.role}`);
    expect(declared).toEqual(expect.arrayContaining(['GET /api/instances/:host/:instance/snapshots viewer', 'GET /api/instances/:host/:instance/snapshots/:id/tree viewer']));
  });
});

describe('GET /api/instances/:host/:instance/snapshots/:id/tree', () => {
  const tree = (instance: string, id: string | undefined, path?: string) => get(`/api/instances/lab-1/${instance}/snapshots/${id ?? ''}/tree${path === undefined ? '' : `?path=${encodeURIComponent(path)}`}`);

  it('lists one directory, each entry with the absolute path POST /api/restores takes', async () => {
    const root = await tree('os-a', ids['a1']);
    expect(root.statusCode, root.body).toBe(200);
    expect(root.json<{ path: string; entries: { name: string; type: string }[] }>()).toMatchObject({ snapshot: ids['a1'], path: '/' });
    expect(root.json<{ entries: { name: string; type: string }[] }>().entries.map((e) => `${e.type}:${e.name}`)).toEqual(['dir:etc', 'dir:lib']);
    const dir = MODULE_PATH.slice(0, MODULE_PATH.lastIndexOf('/'));
    const r = await tree('os-a', ids['a1']?.slice(0, 12), `${dir}/`);
    expect(r.statusCode, r.body).toBe(200);
    const [e] = r.json<{ entries: { name: string; path: string; type: string; size: number; mode: number; mtime: string }[] }>().entries;
    expect(e).toMatchObject({ name: 'ixgbe.ko', path: MODULE_PATH, type: 'file', size: 20_000 });
    expect(e?.mode).toBeGreaterThan(0);
    expect(Date.parse(e?.mtime ?? '')).toBeGreaterThan(0);
    // The path goes straight into a restore request.
    const job = await app.inject({ method: 'POST', url: '/api/restores', headers: access.headers('operator'), payload: { host: 'lab-1', instance: 'os-a', paths: [e?.path], snapshot: ids['a1'] } });
    expect(job.statusCode, job.body).toBe(201);
    expect(job.json<{ paths: string[]; state: string }>().paths).toEqual([MODULE_PATH]);
  });

  it('refuses an image snapshot, a path that escapes, a file, a missing path, and a snapshot of another instance', async () => {
    const img = await tree('os-img', ids['img']);
    expect(img.statusCode).toBe(400);
    expect(img.json()).toMatchObject({ code: 'JOB_ERR_NO_TREE' });
    expect(img.json<{ message: string }>().message).toContain('block image');

    const up = await tree('os-a', ids['a1'], '/etc/../../hosts');
    expect(up.statusCode).toBe(400);
    expect(up.json<{ message: string }>().message).toContain('/etc/../../hosts');

    const file = await tree('os-a', ids['a1'], '/etc/os-release');
    expect(file.statusCode).toBe(400);
    expect(file.json<{ message: string }>().message).toMatch(/\/etc\/os-release is a file, not a directory/);

    const missing = await tree('os-a', ids['a1'], '/no/such');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'JOB_ERR_TREE_PATH_NOT_FOUND' });
    expect(missing.json<{ message: string }>().message).toContain('/no/such');

    const foreign = await tree('os-a', ids['b1']);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'JOB_ERR_SNAPSHOT_NOT_FOUND' });
    expect((await tree('os-a', 'ffffffffffff')).statusCode).toBe(404);
  });

  it('answers a bad request with a 400 naming the field', async () => {
    const relative = await tree('os-a', ids['a1'], 'etc');
    expect(relative.statusCode).toBe(400);
    expect(relative.json<{ message: string }>().message).toMatch(/querystring\/path/);
    const badId = await tree('os-a', 'not-hex');
    expect(badId.statusCode).toBe(400);
    expect(badId.json<{ message: string }>().message).toMatch(/params\/id/);
    const extra = await get(`/api/instances/lab-1/os-a/snapshots/${ids['a1'] ?? ''}/tree?depth=2`);
    expect(extra.statusCode).toBe(400);
  });
});
