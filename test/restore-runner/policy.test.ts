/** `forget` keep rules: a pure function whose decisions and reasons are pinned (golden). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPolicy, type KeepPolicy, type PolicySnapshot } from '../../restore-runner/policy/forget.js';

const GOLDEN = join(import.meta.dirname, 'fixtures', 'forget-policy.json');
const UPDATE = process.env['KINTSUGI_UPDATE_GOLDEN'] === '1';

// Two groups: 40 daily-ish snapshots of web-01 and 3 of db-01.
const snapshots: PolicySnapshot[] = [];
for (let i = 0; i < 40; i++) {
  const t = new Date(Date.UTC(2026, 0, 1) + i * 20 * 3600 * 1000);
  snapshots.push({ id: `w${String(i).padStart(2, '0')}`, time: t.toISOString(), host: 'web-01', instance: 'root', kind: 'tree', source: '/', tags: i === 3 ? ['golden'] : [] });
}
for (let i = 0; i < 3; i++) {
  snapshots.push({ id: `d${i}`, time: new Date(Date.UTC(2026, 1, 1 + i)).toISOString(), host: 'db-01', instance: null, kind: 'image', source: '/dev/sda', tags: [] });
}

const policies: Record<string, KeepPolicy> = {
  last3: { last: 3 },
  daily7: { daily: 7 },
  weekly4monthly2: { weekly: 4, monthly: 2 },
  mixed: { last: 2, daily: 3, weekly: 2, monthly: 12, tags: ['golden'] },
};

describe('forget policy', () => {
  const actual = Object.fromEntries(Object.entries(policies).map(([name, p]) => [name, applyPolicy(snapshots, p)]));
  if (UPDATE || !existsSync(GOLDEN)) writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);

  it('matches the pinned decisions and reasons', () => {
    expect(actual).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });

  it('every snapshot is either kept or removed, with a reason', () => {
    for (const r of Object.values(actual)) {
      expect([...r.keep, ...r.remove].map((d) => d.id).sort()).toEqual(snapshots.map((s) => s.id).sort());
      for (const d of [...r.keep, ...r.remove]) expect(d.reasons.length).toBeGreaterThan(0);
    }
  });

  it('keeps the newest of each group for last: 1, and explains daily buckets', () => {
    const r = applyPolicy(snapshots, { last: 1 });
    expect(r.keep.map((d) => d.id).sort()).toEqual(['d2', 'w39']);
    const daily = applyPolicy(snapshots, { daily: 2 });
    expect(daily.keep.find((d) => d.id === 'w39')?.reasons).toEqual(['daily snapshot for 2026-02-02']);
  });

  it('an empty policy keeps everything', () => {
    expect(applyPolicy(snapshots, {}).remove).toEqual([]);
  });
});
