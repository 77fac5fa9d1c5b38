/**
 * Dead-letter replay (pipeline/api/replay.ts): a 3.2 record that failed inside a session is read
 * again in that session, so the event it becomes is the one a first reading without the fault
 * would have made: same id, host, version and correlation id.
 */
import { describe, expect, it } from 'vitest';
import type { DeadLetter, RecoveryEvent } from '../../parsers/event.js';
import { reparse } from '../../pipeline/api/replay.js';
import { FIXED_NOW, readWhole } from '../parsers/read.js';

const LOG = Buffer.from(
  [
    '[2026-05-01 00:00:00] SESSION START session=s-77 host=db-12 version=3.2.9 mode=standard',
    '[2026-05-01 00:00:01] CHECK /lib/modules/3.2.9/kernel/fs/ext4/ext4.ko CORRUPT (code=E1207 "checksum mismatch")',
    '[2026-05-01 00:00:02] CHECK /nul\u0000inside OK',
    '[2026-05-01 00:00:03] SESSION END status=ok duration=3s',
    '',
  ].join('\n'),
  'latin1',
);
const source = { path: '/var/log/recovery/recovery.log', host: 'configured-host' };

/** The dead letter an older parser would have made of `event`'s record, with what the parser records today. */
function asDeadLetter(event: RecoveryEvent, session: DeadLetter['recovery'] | undefined): DeadLetter {
  return {
    '@timestamp': event['@timestamp'],
    event: { id: `dl-${event.event.id}`, kind: 'pipeline_error', dataset: 'recovery.v32', original: event.event.original ?? '' },
    log: { file: { path: source.path }, offset: event.log?.offset ?? 0 },
    error: { type: 'bad-record', message: 'line 2, column 1: rejected by an older parser' },
    ...(session !== undefined ? { recovery: session } : {}),
  };
}

describe('replay of a 3.2 dead letter', () => {
  const items = readWhole(LOG, 'rlog', source).items;
  const check = items.flatMap((i) => (i.kind === 'event' && i.event.event.action === 'check.file' ? [i.event] : []))[0];
  const nulLine = items.flatMap((i) => (i.kind === 'dead-letter' ? [i.deadLetter] : []))[0];

  it('records the session a record failed in', () => {
    expect(nulLine?.error.type).toBe('nul-byte');
    expect(nulLine?.recovery).toEqual({ rlog_session: { id: 's-77', host: 'db-12', version: '3.2.9' } });
  });

  it('reads the record again in its session: the event of a first reading, id included', () => {
    if (check === undefined || nulLine?.recovery === undefined) throw new Error('the log did not read as expected');
    const again = reparse(asDeadLetter(check, nulLine.recovery), source, () => FIXED_NOW);
    expect(again).toHaveLength(1);
    const made = again[0]?.kind === 'event' ? again[0].event : undefined;
    expect(made).toEqual(check);
    expect([made?.host.name, made?.host.os?.version, made?.recovery.correlation_id]).toEqual(['db-12', '3.2.9', 's-77']);
  });

  it('without a recorded session (stored before sessions were kept) reads it as a record of the source', () => {
    if (check === undefined) throw new Error('the log did not read as expected');
    const again = reparse(asDeadLetter(check, undefined), source, () => FIXED_NOW);
    const made = again[0]?.kind === 'event' ? again[0].event : undefined;
    expect([made?.host.name, made?.recovery.correlation_id]).toEqual(['configured-host', undefined]);
  });
});
