/**
 * event.id is stable: the same record read again, from the same file or from a copy (a
 * copytruncate rotation makes one), gets the same id; distinct records get distinct ids.
 */
import { describe, expect, it } from 'vitest';
import type { ParsedItem } from '../../parsers/event.js';
import { readWhole } from './read.js';

function ids(items: ParsedItem[]): string[] {
  return items.map((i) => (i.kind === 'event' ? i.event.event.id : i.deadLetter.event.id));
}

const RLOG = Buffer.from(
  [
    '[2026-05-02 00:00:01] SESSION START version=3.2.2 host=h1 session=a',
    '[2026-05-02 00:00:02] CHECK /x OK',
    '[2026-05-02 00:00:02] CHECK /x OK',
    '[2026-05-02 00:00:03] SESSION END status=ok',
    '[2026-05-02 00:00:04] SESSION START version=3.2.2 host=h1 session=b',
    '[2026-05-02 00:00:02] CHECK /x OK',
    'garbage',
    '',
  ].join('\n'),
);

describe('event.id', () => {
  it('is the same when the same file is read twice', () => {
    expect(ids(readWhole(RLOG, 'rlog', { path: 'a.log' }).items)).toEqual(ids(readWhole(RLOG, 'rlog', { path: 'a.log' }).items));
  });

  it('is the same when a rotated copy of the file is read under another name', () => {
    expect(ids(readWhole(RLOG, 'rlog', { path: 'recovery.log.1' }).items)).toEqual(ids(readWhole(RLOG, 'rlog', { path: 'recovery.log' }).items));
  });

  it('differs for identical lines, in one session or in two, and for dead letters', () => {
    const all = ids(readWhole(RLOG, 'rlog', {}).items);
    expect(all).toHaveLength(7);
    expect(new Set(all).size).toBe(7);
  });

  it('differs for the same bytes from two hosts configured apart', () => {
    const line = Buffer.from('[2026-05-02 00:00:02] REBOOT\n');
    const [a] = ids(readWhole(line, 'rlog', { host: 'h1' }).items);
    const [b] = ids(readWhole(line, 'rlog', { host: 'h2' }).items);
    expect(a).not.toBe(b);
  });

  it('is the v2 event_id, so that parent links resolve, and a redelivered v1 line gets one id', () => {
    const ops = Buffer.from(
      [
        '{"schema":2,"time":1,"event_id":"01PARENT","host":{"name":"h"},"op":"restore.start","status":"started"}',
        '{"schema":2,"time":2,"event_id":"01CHILD","parent_id":"01PARENT","host":{"name":"h"},"op":"restore.end","status":"ok"}',
        '{"ts":"2026-01-01T00:00:00Z","host":"h","op":"check.file","status":"ok"}',
        '{"ts":"2026-01-01T00:00:00Z","host":"h","op":"check.file","status":"ok"}',
        '{"ts":"2026-01-01T00:00:01Z","host":"h","op":"check.file","status":"ok"}',
      ].join('\n'),
    );
    const events = readWhole(ops, 'ops', {}).items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
    expect(events.map((e) => e.event.id).slice(0, 2)).toEqual(['01PARENT', '01CHILD']);
    expect(events[1]?.recovery.parent_id).toBe(events[0]?.event.id);
    expect(events[2]?.event.id).toBe(events[3]?.event.id);
    expect(events[4]?.event.id).not.toBe(events[2]?.event.id);
  });
});
