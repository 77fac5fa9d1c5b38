/** Drills on real trees and images: restored into scratch, verified, RTO measured, instance untouched. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNNER_ACTIONS } from '../../../dashboards/planned.js';
import { RecordReader } from '../../../parsers/reader.js';
import { drill } from '../../../restore-runner/drill/drill.js';
import { opsV2Json } from '../../../restore-runner/ops-events/record.js';
import { validateInstanceMap } from '../../../restore-runner/instances/load.js';
import { requireInstance } from '../../../restore-runner/instances/map.js';
import { snapshotInstance } from '../../../restore-runner/schedule/run.js';
import { describeTree, smallRepo, tempDir } from '../helpers.js';
import { bytes, collector, opsHost, snapshottedOsA } from '../ops-fixture.js';

describe('drills', () => {
  it('restores the newest snapshot of a tree instance into scratch, verifies it, records the RTO', async () => {
    const { host, a, events, emit, snap } = await snapshottedOsA();
    expect(snap.ok).toBe(true);
    const before = describeTree(host.rootA);
    const scratch = tempDir('drill');
    let tick = 0;
    const r = await drill(a, { emit, scratchDir: scratch, keep: true, clock: () => (tick += 250) });
    expect(r.ok).toBe(true);
    if (!r.ok || !snap.ok) return;
    expect(r.snapshot).toBe(snap.snapshot);
    expect(r.rtoMs).toBe(500); // three clock reads: start, restored, verified
    const copy = describeTree(join(r.scratch, 'root'));
    const strip = (t: typeof copy): Record<string, string | undefined> => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.content]));
    expect(strip(copy)).toEqual(strip(before));
    expect(describeTree(host.rootA)).toEqual(before);
    const drillEvents = events.filter((e) => e.op.startsWith('drill.'));
    expect(drillEvents.map((e) => `${e.op} ${e.status}`)).toEqual(['drill.start started', 'drill.end ok']);
    expect(drillEvents[1]).toMatchObject({ parentId: drillEvents[0]?.eventId, durationMs: 500, snapshot: snap.snapshot, restoreMode: 'full', correlationId: r.correlationId });
  });

  it('removes its scratch copy unless asked to keep it', async () => {
    const { a, emit } = await snapshottedOsA();
    const scratch = tempDir('drill');
    const r = await drill(a, { emit, scratchDir: scratch });
    expect(r.ok && r.kept).toBe(false);
    expect(r.ok && existsSync(r.scratch)).toBe(false);
  });

  it('drills an image instance, block by block', async () => {
    const dir = tempDir('drill-image');
    const image = join(dir, 'disk.img');
    writeFileSync(image, Buffer.concat([bytes(7, 64 * 1024), Buffer.alloc(32 * 1024), bytes(8, 10_000)]));
    writeFileSync(join(dir, 'grub.cfg'), 'menuentry x {}\n');
    smallRepo(join(dir, 'repo'));
    const map = validateInstanceMap({ hosts: [{ host: 'db-07', instances: [{ id: 'default', osLine: '3.2', version: '3.2.7', image: 'disk.img', repository: 'repo', bootConfig: 'grub.cfg' }] }] }, join(dir, 'map.yaml'));
    const inst = requireInstance(map, 'default');
    const { events, emit } = collector();
    expect((await snapshotInstance(inst, { schedule: { every: '1d' }, emit })).ok).toBe(true);
    const r = await drill(inst, { emit, scratchDir: join(dir, 'scratch'), keep: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(readFileSync(join(r.scratch, 'image')).equals(readFileSync(image))).toBe(true);
    expect(events.at(-1)).toMatchObject({ op: 'drill.end', status: 'ok', bytes: r.bytes });
  });

  it('a snapshot that cannot be restored fails the drill, with an event', async () => {
    const { host, a, events, emit } = await snapshottedOsA();
    // Damage every pack: the restore refuses before writing.
    const data = join(host.repo, 'data');
    for (const sub of readdirSync(data)) for (const f of readdirSync(join(data, sub))) writeFileSync(join(data, sub, f), 'damaged');
    const r = await drill(a, { emit, scratchDir: tempDir('drill') });
    expect(r.ok).toBe(false);
    expect(events.at(-1)).toMatchObject({ op: 'drill.end', status: 'failed', code: 'E7204' });
    expect(events.at(-1)?.message).toMatch(/RST_ERR_/);
  });

  it('an instance without snapshots fails the drill and says so', async () => {
    const host = opsHost();
    const { events, emit } = collector();
    const r = await drill(requireInstance(host.map, 'os-b'), { emit, scratchDir: tempDir('drill') });
    expect(r.ok === false && r.error).toMatch(/No snapshot matches a snapshot of web-03\/os-b/);
    expect(events.map((e) => `${e.op} ${e.status}`)).toEqual(['drill.end failed']);
  });
});

describe('drill.end as the dashboards read it', () => {
  it('parsed like any 4.2 record: event.action drill.end with every field the Restore operations panels query', async () => {
    const { a, events, emit, snap } = await snapshottedOsA();
    expect(snap.ok).toBe(true);
    let tick = 0;
    expect((await drill(a, { emit, scratchDir: tempDir('drill'), clock: () => (tick += 250) })).ok).toBe(true);
    const end = events.find((e) => e.op === 'drill.end');
    expect(end).toBeDefined();
    if (end === undefined) return;
    const reader = new RecordReader('ops', { path: 'ops.jsonl', host: 'unused' });
    const items = [...reader.push(Buffer.from(`${JSON.stringify(opsV2Json(end))}\n`)), ...reader.end()];
    expect(items.map((i) => i.kind)).toEqual(['event']);
    const item = items[0];
    if (item?.kind !== 'event') return;
    const doc = item.event as unknown as Record<string, unknown>;
    const at = (path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), doc);
    expect(at('event.action')).toBe(RUNNER_ACTIONS.drillEnd.action);
    for (const field of RUNNER_ACTIONS.drillEnd.fields) expect(at(field), field).toBeDefined();
    expect(at('event.outcome')).toBe('success');
    expect(at('event.duration')).toBe(500_000_000); // 500 ms, in nanoseconds
    expect(at('host.name')).toBe(a.host);
    expect(at('recovery.instance')).toBe('os-a');
  });
});
