/** Scheduled snapshots as serve runs them: from the recovery policy's snapshots: section, events in the runner's log. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SILENT_LOG } from '../../../collectors/source.js';
import { readOps } from '../../../parsers/ops/schema.js';
import { runnerLogPath } from '../../../restore-runner/events/event-log.js';
import { attachScheduler } from '../../../restore-runner/schedule/attach.js';
import { tempDir } from '../helpers.js';
import { opsHost } from '../ops-fixture.js';

describe('scheduled snapshots in serve', () => {
  it('runs a pass at start from the policy and the instance map, and stops cleanly', async () => {
    const host = opsHost();
    const data = tempDir('attach-data');
    const policy = join(host.dir, 'policy.yaml');
    writeFileSync(policy, 'version: 1\nsnapshots:\n  every: 1d\n  verifyAfter: structure\n');
    const s = attachScheduler({ policy, instances: host.mapFile }, data, SILENT_LOG);
    expect(s).not.toBeNull();
    s?.start();
    await s?.stop(); // waits for the pass that start began
    const lines = readFileSync(runnerLogPath(data), 'utf8').trim().split('\n').map((l) => readOps(JSON.parse(l)));
    const done = lines.flatMap((r) => (r.ok && r.record.op === 'snapshot.verify' && r.record.status === 'ok' ? [r.record.instance] : []));
    expect(done.sort()).toEqual(['os-a', 'os-a', 'os-b', 'os-b']);
  });

  it('is off without a schedule or a map, and refuses an invalid schedule naming the key', () => {
    const host = opsHost();
    const data = tempDir('attach-data');
    const none = join(host.dir, 'none.yaml');
    writeFileSync(none, 'version: 1\nmax_concurrent_restores: 1\n');
    expect(attachScheduler({ policy: none, instances: host.mapFile }, data, SILENT_LOG)).toBeNull();
    expect(attachScheduler({ instances: host.mapFile }, data, SILENT_LOG)).toBeNull();
    const bad = join(host.dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nsnapshots:\n  every: nightly\n');
    expect(() => attachScheduler({ policy: bad, instances: host.mapFile }, data, SILENT_LOG)).toThrow(/Snapshot schedule in .*bad\.yaml is invalid: key "snapshots\.window" is required/);
    expect(existsSync(runnerLogPath(data))).toBe(false);
  });
});
