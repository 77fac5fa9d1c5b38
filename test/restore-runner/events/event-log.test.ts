/** The runner's event log: ULIDs in emission order, records the OPS reader accepts, ids kept. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOpsRecord } from '../../../parsers/ops/stream.js';
import { RunnerEventLog, runnerLogPath } from '../../../restore-runner/events/event-log.js';
import { ulid, ULID_PATTERN } from '../../../restore-runner/events/ulid.js';
import { tempDir } from '../helpers.js';

describe('runner events', () => {
  it('ULIDs are well formed and sort in emission order, within a millisecond too', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 50 }), fc.integer({ min: 1_700_000_000_000, max: 2_000_000_000_000 }), (steps, start) => {
        let t = start;
        const ids = steps.map((d) => ulid((t += d)));
        for (const id of ids) expect(id).toMatch(ULID_PATTERN);
        expect([...ids].sort()).toEqual(ids);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('every record is an OPS 4.2 v2 event that normalizes with its id, parent, correlation id and details', () => {
    const data = tempDir('events');
    const log = new RunnerEventLog(runnerLogPath(data), () => 1_773_454_269_412);
    const start = log.emit({ op: 'restore.start', status: 'started', host: 'web-03', instance: 'os-b', osVersion: '4.2.3', correlationId: 'c0a8', parentId: '01JPB3ZK4Q8W5T2V9X7Y6N3M1R', module: 'ixgbe', restore: { mode: 'files', snapshot: 'abc', target: '/srv/os-b' }, extra: { job: 'a-1' } });
    const fixed = log.emit({ op: 'restore.end', status: 'failed', code: 'E7002', host: 'web-03', instance: 'os-b', correlationId: 'c0a8', parentId: start, durationMs: 12.5, message: 'no' }, '01JPB3ZMB1T9C7N2K5H8V3X6QW');
    log.close();
    expect(fixed).toBe('01JPB3ZMB1T9C7N2K5H8V3X6QW');
    const lines = readFileSync(runnerLogPath(data), 'utf8').trimEnd().split('\n');
    const events = lines.map((l, i) => parseOpsRecord(Buffer.from(l), { offset: i, line: i + 1 }, {}, '2026-03-14T02:11:10.000Z'));
    const [a, b] = events;
    if (a?.kind !== 'event' || b?.kind !== 'event') throw new Error(`rejected: ${JSON.stringify(events)}`);
    expect(a.event.event.id).toBe(start);
    expect(a.event.recovery).toMatchObject({ correlation_id: 'c0a8', parent_id: '01JPB3ZK4Q8W5T2V9X7Y6N3M1R', instance: 'os-b', module: 'ixgbe', restore: { mode: 'files', target: '/srv/os-b' }, snapshot: 'abc', details: { kintsugi: { job: 'a-1' } } });
    expect(b.event.event).toMatchObject({ id: '01JPB3ZMB1T9C7N2K5H8V3X6QW', action: 'restore.end', outcome: 'failure', code: 'E7002' });
    expect(b.event.recovery.parent_id).toBe(start);
  });

  it('refuses an event the reader would dead-letter, writing nothing', () => {
    const data = tempDir('events');
    const log = new RunnerEventLog(join(data, 'ops.jsonl'));
    expect(() => log.emit({ op: 'restore.end', status: 'ok', host: 'h', code: 'X1' })).toThrow(expect.objectContaining({ code: 'JOB_ERR_EVENT_INVALID' }));
    log.close();
  });
});
