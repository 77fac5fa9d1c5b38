/**
 * Scheduled snapshots on a real multi-instance host and repository: each instance and the boot
 * configuration snapshotted, verified at once, retention applied, events emitted in OPS v2 form.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeOps } from '../../../parsers/ops/normalize.js';
import { readOps } from '../../../parsers/ops/schema.js';
import { loadDefaultRules } from '../../../pipeline/rules/defaults.js';
import { evaluateRules } from '../../../pipeline/rules/engine.js';
import { instanceSnapshots, newestVerified } from '../../../restore-runner/instances/snapshots.js';
import { requireInstance } from '../../../restore-runner/instances/map.js';
import { opsV2Json } from '../../../restore-runner/ops-events/record.js';
import { Repository } from '../../../restore-runner/repository/repository.js';
import { Scheduler, snapshotInstance } from '../../../restore-runner/schedule/run.js';
import { listSnapshots } from '../../../restore-runner/snapshot/load.js';
import { collector, opsHost } from '../ops-fixture.js';

describe('scheduled snapshots', () => {
  it('snapshots an instance and its boot configuration, verifies them, emits v2 events', async () => {
    const host = opsHost();
    const { events, emit } = collector();
    const a = requireInstance(host.map, 'os-a', 'web-03');
    const r = await snapshotInstance(a, { schedule: { every: '1d' }, emit, now: () => Date.parse('2026-03-14T01:00:00Z') });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const repo = Repository.open(host.repo);
    const { records } = listSnapshots(repo, repo.trustedKey());
    // Same time: listed by id; sorted here by kind.
    const described = records.map((x) => [x.payload.kind, x.payload.host, x.payload.instance, x.payload.source, x.payload.tags, x.payload.os] as const);
    expect([...described].sort((x, y) => x[0].localeCompare(y[0]))).toEqual([
      ['image', 'web-03', 'os-a', host.bootConfig, ['scheduled', 'boot-config'], { line: '4.2', version: '4.2.3' }],
      ['tree', 'web-03', 'os-a', host.rootA, ['scheduled'], { line: '4.2', version: '4.2.3' }],
    ]);
    expect(r.bootSnapshot).not.toBeNull();
    expect(events.map((e) => `${e.op} ${e.status}`)).toEqual(['snapshot.create started', 'snapshot.create ok', 'snapshot.create ok', 'snapshot.verify ok', 'snapshot.verify ok']);
    const [first, ...rest] = events;
    for (const e of rest) expect(e.parentId).toBe(first?.eventId);
    for (const e of events) {
      expect(e).toMatchObject({ schema: 2, host: 'web-03', instance: 'os-a', version: '4.2.3', correlationId: r.correlationId });
      // What the OPS writer writes reads back as the same record (the reader's has every key; a v2 record no canonical time).
      expect(readOps(JSON.parse(JSON.stringify(opsV2Json(e))))).toEqual({ ok: true, record: { ...e, canonicalTime: null } });
    }
    expect(events[1]?.snapshot).toBe(r.snapshot);
    // The neighbour was not touched and has no snapshot.
    expect(instanceSnapshots(repo, requireInstance(host.map, 'os-b'), repo.trustedKey())).toEqual([]);
    expect(newestVerified(repo, a, repo.trustedKey()).record?.id).toBe(r.snapshot);
  });

  it('the scheduler runs due instances once per window, and retention keeps the last N', async () => {
    const host = opsHost();
    const { events, emit } = collector();
    let now = Date.parse('2026-03-14T00:30:00Z');
    const s = new Scheduler(host.map, { schedule: { every: 'nightly', window: { start: '01:00', end: '05:00' }, retention: { last: 2 } }, emit, now: () => now });
    expect(await s.tick()).toEqual([]);
    expect(s.plan().map((p) => p.decision.reason)).toEqual([expect.stringMatching(/outside the off-peak window/), expect.stringMatching(/outside/)]);
    const days: string[] = [];
    for (let day = 0; day < 3; day++) {
      now = Date.parse(`2026-03-${14 + day}T01:10:00Z`);
      writeFileSync(join(host.rootA, 'var/log/app.log'), `day ${day}\n`);
      const results = await s.tick();
      expect(results.map((x) => x.ok && `${x.instance.id}`)).toEqual(['os-a', 'os-b']);
      now += 60_000;
      expect(await s.tick()).toEqual([]);
      days.push(...results.map((x) => (x.ok ? x.snapshot : '')));
    }
    const repo = Repository.open(host.repo);
    const a = requireInstance(host.map, 'os-a');
    // Three nights, two kept per instance and per source (root, boot configuration).
    expect(instanceSnapshots(repo, a, repo.trustedKey()).map((x) => x.payload.time)).toEqual(['2026-03-16T01:10:00.000Z', '2026-03-15T01:10:00.000Z']);
    expect(listSnapshots(repo, repo.trustedKey()).records).toHaveLength(8);
    expect(events.filter((e) => e.op === 'snapshot.forget').length).toBe(2);
    expect(events.filter((e) => e.op === 'snapshot.create' && e.status === 'ok')).toHaveLength(12);
  });

  it('a failure is an event with a code, and is retried after retryAfter', async () => {
    const host = opsHost();
    const { events, emit } = collector();
    let now = Date.parse('2026-03-14T01:00:00Z');
    writeFileSync(join(host.repo, 'config'), 'not a config');
    const s = new Scheduler(host.map, { schedule: { every: '1d' }, emit, now: () => now });
    const r = await s.tick();
    expect(r.map((x) => x.ok)).toEqual([false, false]);
    expect(events.filter((e) => e.status === 'failed').map((e) => [e.op, e.code])).toEqual([['snapshot.create', 'E7201'], ['snapshot.create', 'E7201']]);
    expect(events.find((e) => e.status === 'failed')?.message).toMatch(/RST_ERR_CONFIG_MALFORMED/);
    now += 60_000;
    expect(await s.tick()).toEqual([]);
    now += 15 * 60_000;
    expect((await s.tick()).length).toBe(2);
    expect(readFileSync(join(host.repo, 'config'), 'utf8')).toBe('not a config');
  });

  it('its snapshot.create events are what the snapshot-stale rule watches', async () => {
    const host = opsHost();
    const { events, emit } = collector();
    const day = 86_400_000;
    const t0 = Date.parse('2026-03-01T01:00:00Z');
    const r = await snapshotInstance(requireInstance(host.map, 'os-a'), { schedule: { every: '1d' }, emit, now: () => t0 });
    expect(r.ok).toBe(true);
    const stored = events.map((e, i) => {
      const line = JSON.stringify(opsV2Json(e));
      const back = readOps(JSON.parse(line));
      if (!back.ok) throw new Error(back.message);
      return normalizeOps(back.record, `sched-${i}`, undefined, line, {});
    });
    expect(stored.filter((e) => e.event.action === 'snapshot.create' && e.event.outcome === 'success')).toHaveLength(2);
    const stale = loadDefaultRules().filter((x) => x.id === 'snapshot-stale');
    const open = (nowMs: number): number => evaluateRules(stale, stored, nowMs).filter((a) => a.host?.name === 'web-03' && a.recovery.alert.status === 'open').length;
    expect(open(t0 + 3 * day)).toBe(0);
    expect(open(t0 + 8 * day)).toBe(1);
  });
});
