/**
 * The file follower against real files: appends, rotation by rename and by copytruncate with
 * writes racing the rotation, .gz generations, restarts from checkpoints. Every test ends with the
 * exact set of records `kintsugi parse` gives for the bytes written: none lost, none doubled.
 */
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CheckpointStore } from '../../collectors/checkpoint.js';
import { FileFollower } from '../../collectors/follower.js';
import type { SourceConfig } from '../../collectors/source.js';
import { MapSink, expectedIds, rlogRecord } from './helpers.js';
import { SPEC_SAMPLES_DIR } from '../spec-samples.js';

/** A sink whose first write fails, as a store that is briefly unavailable. */
class FailingOnceSink extends MapSink {
  private failed = false;

  override async write(items: Parameters<MapSink['write']>[0]): Promise<void> {
    if (!this.failed) {
      this.failed = true;
      throw new Error('store unavailable');
    }
    await super.write(items);
  }
}

function workdir(): string {
  return mkdtempSync(join(tmpdir(), 'kintsugi-follow-'));
}

async function follower(dir: string, sink: MapSink, config: Partial<SourceConfig> = {}): Promise<{ f: FileFollower; checkpoints: CheckpointStore }> {
  const checkpoints = await CheckpointStore.open(join(dir, 'data', 'checkpoints.json'));
  const f = new FileFollower({ name: 'test', paths: [join(dir, 'recovery.log*')], format: 'rlog', host: 'h', ...config }, checkpoints, sink, { idleFlushMs: 0 });
  return { f, checkpoints };
}

describe('FileFollower', () => {
  it('reads appends as they come; an incomplete last line waits for its LF', async () => {
    const dir = workdir();
    const log = join(dir, 'recovery.log');
    writeFileSync(log, '[2026-03-14 02:00:00] SESSION START version=3.2.7 host=db-1 session=s1\n[2026-03-14 02:00:01] CHECK /a O');
    const sink = new MapSink();
    const { f } = await follower(dir, sink);
    await f.pollOnce();
    expect([...sink.byId.values()].some((i) => i.kind === 'event' && i.event.event.action === 'check.file')).toBe(false);
    appendFileSync(log, 'K\n');
    await f.pollOnce();
    expect(sink.byId.size).toBe(2);
    expect(sink.ids()).toEqual(expectedIds([log], 'rlog', 'h'));
    await f.stop();
  });

  it('resumes from its checkpoint in a new follower, with the right session attribution', async () => {
    const dir = workdir();
    const log = join(dir, 'recovery.log');
    writeFileSync(log, '[2026-03-14 02:00:00] SESSION START version=3.2.7 host=db-1 session=s1\n');
    const sink = new MapSink();
    const first = await follower(dir, sink);
    await first.f.pollOnce();
    await first.f.stop();
    appendFileSync(log, '[2026-03-14 02:00:01] CHECK /a OK\n[2026-03-14 02:00:02] SESSION END status=ok\n');
    const second = await follower(dir, sink);
    await second.f.pollOnce();
    await second.f.stop();
    const check = [...sink.byId.values()].find((i) => i.kind === 'event' && i.event.event.action === 'check.file');
    expect(check?.kind === 'event' && check.event.host.name).toBe('db-1');
    expect(check?.kind === 'event' && check.event.recovery.session).toBe('s1');
    expect(sink.ids()).toEqual(expectedIds([log], 'rlog', 'h'));
    // The second follower read only what came after the checkpoint.
    expect(sink.received).toBe(3);
  });

  /**
   * A writer appends and rotates while the follower polls, in an order fast-check picks; at the
   * end the sink holds exactly what parse gives for every generation and the live file.
   */
  async function rotationRun(steps: readonly string[], rotate: (log: string, generation: string) => void, lateWrite: boolean): Promise<void> {
    const dir = workdir();
    const log = join(dir, 'recovery.log');
    const generations: string[] = [];
    let n = 0;
    let gen = 0;
    writeFileSync(log, rlogRecord(n++, `g${gen}`));
    const sink = new MapSink();
    const { f } = await follower(dir, sink);
    for (const step of steps) {
      if (step === 'append') appendFileSync(log, rlogRecord(n++, `g${gen}`));
      else if (step === 'poll') await f.pollOnce();
      else {
        const generation = join(dir, `recovery.log.${++gen}`);
        rotate(log, generation);
        generations.push(generation);
        if (lateWrite) appendFileSync(generation, rlogRecord(n++, 'late write to the renamed file'));
        appendFileSync(log, rlogRecord(n++, `g${gen}`));
      }
    }
    await f.pollOnce();
    await f.pollOnce();
    await f.stop();
    expect(sink.ids()).toEqual(expectedIds([...generations, log], 'rlog', 'h'));
  }

  const steps = fc.array(fc.constantFrom('append', 'poll', 'rotate'), { minLength: 10, maxLength: 60 });

  it('follows rename rotation with writes racing it, reading the renamed file to its end', async () => {
    await fc.assert(
      fc.asyncProperty(steps, (s) =>
        rotationRun(s, (log, generation) => {
          renameSync(log, generation);
          writeFileSync(log, '');
        }, true),
      ),
      { numRuns: 15 },
    );
  });

  it('follows copytruncate rotation: the copy is not stored twice, the rewritten original is read from 0', async () => {
    await fc.assert(
      fc.asyncProperty(steps, (s) =>
        rotationRun(s, (log, generation) => {
          copyFileSync(log, generation);
          truncateSync(log, 0);
        }, false),
      ),
      { numRuns: 15 },
    );
  });

  it('reads .gz generations present at start once, and not again after a restart', async () => {
    const dir = workdir();
    const old = Buffer.from(Array.from({ length: 50 }, (_, i) => rlogRecord(i, 'old')).join(''));
    writeFileSync(join(dir, 'recovery.log.2.gz'), gzipSync(old));
    const live = join(dir, 'recovery.log');
    writeFileSync(live, rlogRecord(100, 'live'));
    const sink = new MapSink();
    const first = await follower(dir, sink);
    await first.f.start();
    await first.f.stop();
    expect(sink.ids()).toEqual(expectedIds([old, live], 'rlog', 'h'));
    const received = sink.received;
    const second = await follower(dir, sink);
    await second.f.start();
    await second.f.stop();
    expect(sink.received).toBe(received);
  });

  it('reads a .gz generation of a file already read in part only for what was not read', async () => {
    const dir = workdir();
    const live = join(dir, 'recovery.log');
    const all = Array.from({ length: 40 }, (_, i) => rlogRecord(i, 's')).join('');
    writeFileSync(live, all.slice(0, all.length / 2 - 7));
    const sink = new MapSink();
    const first = await follower(dir, sink);
    await first.f.pollOnce();
    await first.f.stop();
    const before = sink.received;
    // Rotated: the rest was written, then the file compressed into a generation.
    writeFileSync(join(dir, 'recovery.log.1.gz'), gzipSync(Buffer.from(all)));
    writeFileSync(live, rlogRecord(500, 'new'));
    const second = await follower(dir, sink);
    await second.f.start();
    await second.f.stop();
    expect(sink.ids()).toEqual(expectedIds([Buffer.from(all), live], 'rlog', 'h'));
    expect(sink.received - before).toBeLessThan(40);
  });

  it('turns NUL runs, CRLF, huge lines and binary garbage into dead letters and keeps following', async () => {
    const dir = workdir();
    const log = join(dir, 'recovery.log');
    writeFileSync(log, '[2026-03-14 02:00:00] REBOOT\r\n');
    const sink = new MapSink();
    const { f } = await follower(dir, sink);
    await f.pollOnce();
    appendFileSync(log, Buffer.concat([Buffer.alloc(4096), Buffer.from('[2026-03-14 02:00:01] REBOOT\n'), Buffer.from('x'.repeat(200_000)), Buffer.from('\n\xff\xfe\x00garbage\n', 'latin1')]));
    await f.pollOnce();
    appendFileSync(log, '[2026-03-14 02:00:02] REBOOT\n');
    await f.pollOnce();
    await f.stop();
    expect(sink.ids()).toEqual(expectedIds([log], 'rlog', 'h'));
    const reasons = [...sink.byId.values()].flatMap((i) => (i.kind === 'dead-letter' ? [i.deadLetter.error.type] : []));
    expect(reasons.sort()).toEqual(['line-too-long', 'nul-byte']);
  });

  it('reads again what a failed sink write did not take: nothing lost, nothing doubled', async () => {
    const dir = workdir();
    const log = join(dir, 'recovery.log');
    writeFileSync(log, '[2026-03-14 02:00:00] SESSION START version=3.2.7 host=db-1 session=s1\n');
    for (let i = 0; i < 50; i++) appendFileSync(log, rlogRecord(i, 's1'));
    const sink = new FailingOnceSink();
    const { f } = await follower(dir, sink);
    await expect(f.pollOnce()).rejects.toThrow('store unavailable');
    expect(sink.byId.size).toBe(0);
    appendFileSync(log, rlogRecord(50, 's1'));
    await f.pollOnce();
    expect(sink.ids()).toEqual(expectedIds([log], 'rlog', 'h'));
    const check = [...sink.byId.values()].find((i) => i.kind === 'event' && i.event.event.action === 'check.file');
    expect(check?.kind === 'event' && check.event.recovery.session).toBe('s1');
    await f.stop();
  });

  it('a file that keeps growing does not hold the others: each poll reads a bounded share', async () => {
    const dir = workdir();
    const big = join(dir, 'recovery.log');
    const small = join(dir, 'recovery.log.other');
    writeFileSync(big, '[2026-03-14 02:00:00] SESSION START version=3.2.7 host=db-1 session=s1\n' + Array.from({ length: 4000 }, (_, i) => rlogRecord(i, 's1')).join(''));
    writeFileSync(small, '[2026-03-14 03:00:00] SESSION START version=3.2.7 host=db-2 session=s2\n' + rlogRecord(1, 's2'));
    const sink = new MapSink();
    const checkpoints = await CheckpointStore.open(join(dir, 'data', 'checkpoints.json'));
    const f = new FileFollower({ name: 'test', paths: [join(dir, 'recovery.log*')], format: 'rlog', host: 'h' }, checkpoints, sink, { idleFlushMs: 0, batchBytes: 4096 });
    await f.pollOnce();
    // The first poll took 16 batches of the big file, and all of the small one.
    expect(sink.received).toBeLessThan(4001);
    expect([...sink.byId.values()].some((i) => i.kind === 'event' && i.event.recovery.session === 's2')).toBe(true);
    for (let i = 0; i < 50 && sink.byId.size < expectedIds([big, small], 'rlog', 'h').length; i++) await f.pollOnce();
    expect(sink.ids()).toEqual(expectedIds([big, small], 'rlog', 'h'));
    await f.stop();
  });

  it('follows OPS files the same way', async () => {
    const dir = workdir();
    const log = join(dir, 'ops.jsonl');
    writeFileSync(log, readFileSync(join(SPEC_SAMPLES_DIR, 'quirks.ops.jsonl')));
    const sink = new MapSink();
    const { f } = await follower(dir, sink, { paths: [join(dir, 'ops.jsonl*')], format: 'ops' });
    await f.pollOnce();
    await f.stop();
    expect(sink.ids()).toEqual(expectedIds([log], 'ops'));
  });
});
