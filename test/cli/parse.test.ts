/** `kintsugi parse`: what a user sees, exit codes and messages (README.md, "Exit codes"). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { opsLines, rlogLines } from '../../bench/parse/corpus.js';
import { SAMPLES_DIR, ndjson, sampleBytes } from '../parsers/samples.js';
import { CLI, runCli } from './run-cli.js';

const quirks = join(SAMPLES_DIR, 'quirks.rlog');

/** Parses `bytes` of generated distinct records from stdin; returns the peak RSS seen in /proc. */
async function parseGenerated(bytes: number): Promise<{ peakMiB: number }> {
  const child = spawn(process.execPath, ['--max-old-space-size=128', CLI, 'parse', '--format', 'rlog', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let lines = 0;
  child.stdout.on('data', (d: Buffer) => {
    for (const b of d) if (b === 0x0a) lines++;
  });
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m?.[1] !== undefined) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // the process has exited
    }
  }, 50);
  let sent = 0;
  let n = 0;
  const input = new Readable({
    read() {
      if (sent >= bytes) return void this.push(null);
      let block = '';
      for (let i = 0; i < 2000; i++, n++) block += `[2026-01-01 00:00:00] CHECK /lib/modules/3.2.7/kernel/m${n}.ko OK (code=E1207 n=${n})\n`;
      sent += block.length;
      this.push(block);
    },
  });
  // Should the child die, the test reports its exit code, not a broken pipe.
  child.stdin.on('error', () => undefined);
  input.pipe(child.stdin);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(poll);
  expect(code).toBe(0);
  expect(lines).toBe(n);
  expect(peakKb).toBeGreaterThan(0);
  return { peakMiB: peakKb / 1024 };
}

describe('kintsugi parse', () => {
  it('writes the events as NDJSON on stdout, in input order, and a summary on stderr', async () => {
    const r = await runCli(['parse', '--format', 'rlog', '--host', 'fallback-host', '--tz', 'Europe/Berlin', quirks]);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l): unknown => JSON.parse(l));
    expect(events).toHaveLength(ndjson('quirks.rlog.events.ndjson').length);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`kintsugi parse: ${quirks}: 27 records, 18 events, 9 dead letters (2 continuation lines, 1 empty lines)`);
    // Without --dead-letters, one readable line per dead letter, naming file, offset, reason, line and column.
    expect(r.stderr).toContain(`${quirks}: offset 1605: bad-record: line 25, column 32: unexpected "BOGUS"`);
  });

  it('writes dead letters as NDJSON to --dead-letters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kintsugi-parse-'));
    const file = join(dir, 'dead.ndjson');
    const r = await runCli(['parse', '--format', 'ops', '--dead-letters', file, join(SAMPLES_DIR, 'quirks.ops.jsonl')]);
    expect(r.code).toBe(0);
    const dead = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { error: { type: string } });
    expect(dead.map((d) => d.error.type)).toEqual(ndjson('quirks.ops.jsonl.dead.ndjson').map((d) => (d as { error: { type: string } }).error.type));
    expect(r.stderr.split('\n').filter((l) => l.includes('not-json'))).toEqual([]);
  });

  it('reads standard input with -, the last line counting without LF', async () => {
    const r = await runCli(['parse', '--format', 'rlog', '-'], { stdin: Buffer.from('[2026-01-01 00:00:00] REBOOT\n[2026-01-01 00:00:01] REBOOT in 5s') });
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { log: { file: { path: string } } });
    expect(events).toHaveLength(2);
    expect(events[0]?.log.file.path).toBe('-');
  });

  it('exits 1 with the reason when the input cannot be read', async () => {
    const r = await runCli(['parse', '--format', 'rlog', '/nonexistent/recovery.log']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read \/nonexistent\/recovery\.log: .*no such file or directory/);
  });

  it.each([
    [['parse', quirks], /required option '--format <format>' not specified/],
    [['parse', '--format', 'xml', quirks], /option '--format <format>' argument 'xml' is invalid. Allowed choices are rlog, ops/],
    [['parse', '--format', 'rlog', '--tz', 'Mars/Olympus', quirks], /--tz "Mars\/Olympus" is not an IANA time zone name/],
    [['parse', '--format', 'rlog'], /missing required argument 'file'/],
    [['parse', '--format', 'rlog', '--bogus', quirks], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it.each(['rlog', 'ops'] as const)('%s: --workers 2 writes what one thread writes, dead letters to stderr or to --dead-letters', async (format) => {
    // Generated records with the quirks sample (every kind of dead letter) in the middle and at the end.
    const dir = mkdtempSync(join(tmpdir(), 'kintsugi-parse-workers-'));
    // The quirks sample ends without LF (on purpose): one is added, so that its last line stays its own.
    const quirksBytes = Buffer.concat([sampleBytes(format === 'rlog' ? 'quirks.rlog' : 'quirks.ops.jsonl'), Buffer.from('\n')]);
    const generated = (seed: number): Buffer => Buffer.from(`${(format === 'rlog' ? rlogLines(seed, 20_000) : opsLines(seed, 20_000)).join('\n')}\n`);
    const file = join(dir, 'log');
    writeFileSync(file, Buffer.concat([generated(1), quirksBytes, generated(2), quirksBytes]));
    // A dead letter without a timestamp of its own carries the time it was read: the only field that differs between runs.
    const deadLetters = (text: string): unknown[] => text.trim().split('\n').map((l) => ({ ...(JSON.parse(l) as object), '@timestamp': null }));
    const run = async (workers: number): Promise<{ stdout: string; stderr: string; dead: unknown[] }> => {
      const toStderr = await runCli(['parse', '--format', format, '--workers', String(workers), file]);
      const deadFile = join(dir, `dead-${workers}.ndjson`);
      const toFile = await runCli(['parse', '--format', format, '--workers', String(workers), '--dead-letters', deadFile, file]);
      expect([toStderr.code, toFile.code]).toEqual([0, 0]);
      expect(toFile.stdout).toBe(toStderr.stdout);
      return { stdout: toStderr.stdout, stderr: toStderr.stderr, dead: deadLetters(readFileSync(deadFile, 'utf8')) };
    };
    const one = await run(1);
    const two = await run(2);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toBe(one.stderr);
    expect(two.dead).toEqual(one.dead);
    expect(one.dead.length).toBeGreaterThan(2);
    // Every line accounted for: the summary's counts are what was written, and add up to the file's lines.
    const m = /: (\d+) records, (\d+) events, (\d+) dead letters \((\d+) continuation lines, (\d+) empty lines\)/.exec(one.stderr);
    const [records, events, dead, continuations, empty] = (m?.slice(1) ?? []).map(Number);
    expect([events, dead]).toEqual([one.stdout.split('\n').length - 1, one.dead.length]);
    expect((records ?? 0) + (continuations ?? 0) + (empty ?? 0)).toBe(readFileSync(file, 'latin1').split('\n').length - 1);
  }, 120_000);

  it('has --help that lists its options and exit codes', async () => {
    const r = await runCli(['parse', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['--format', '--host', '--tz', '--os-version', '--dead-letters', 'Exit status']) expect(r.stdout).toContain(word);
  });

  it('streams: memory stays flat whatever the input size', async () => {
    // Distinct records through stdin into a process whose heap may not pass 128 MiB (the parser's memo of record bodies is bounded: about 37 MiB): one that kept
    // the events it made would die. Twelve times the input must not raise the peak resident size by anything like the input:
    // one that kept the input itself (outside the heap, as buffers) would grow by 88 MiB or more. The peak of one size varies by
    // about 30 MiB from run to run (when the garbage collector runs), hence the margin.
    // 8 MiB is about 95,000 distinct bodies: the memo is full in both runs, so what differs is only what the input size itself costs.
    const small = await parseGenerated(8 * 1024 * 1024);
    const large = await parseGenerated(96 * 1024 * 1024);
    expect(large.peakMiB - small.peakMiB).toBeLessThan(56);
  }, 300_000);
});
