/**
 * The shared sample events and dead letters (../shared/spec/samples), with synthetic ids: the
 * parser that computes real ids is built elsewhere, and the store must not depend on it.
 *
 * Ids: `<stem>-<nn>` by line (ex-rlog-00 is the first event of example.rlog). One exception: the
 * restore.start of example.ops.jsonl gets its OPS 4.2 `event_id`, 01JPB3ZK4Q8W5T2V9X7Y6N3M1R, which
 * the later events of that restore name as `recovery.parent_id`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SPEC_SAMPLES_DIR } from '../spec-samples.js';
import type { Dataset, DeadLetter, DeadLetterReason, RecoveryEvent } from '../../parsers/event.js';

const SAMPLES = pathToFileURL(SPEC_SAMPLES_DIR);

export const RESTORE_START_ID = '01JPB3ZK4Q8W5T2V9X7Y6N3M1R';

const FILES = [
  { name: 'example.rlog', stem: 'ex-rlog', dataset: 'recovery.v32' },
  { name: 'example.ops.jsonl', stem: 'ex-ops', dataset: 'recovery.v42' },
  { name: 'quirks.ops.jsonl', stem: 'qk-ops', dataset: 'recovery.v42' },
  { name: 'quirks.rlog', stem: 'qk-rlog', dataset: 'recovery.v32' },
] as const satisfies readonly { name: string; stem: string; dataset: Dataset }[];

function lines(name: string): string[] {
  return readFileSync(new URL(name, SAMPLES), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The sample events in file order (the files in the order of FILES), each with its synthetic id. */
export function sampleEvents(): RecoveryEvent[] {
  const out: RecoveryEvent[] = [];
  for (const file of FILES) {
    for (const [i, line] of lines(`${file.name}.events.ndjson`).entries()) {
      // Test fixture from the shared spec: its shape is the contract under test.
      const doc = JSON.parse(line) as RecoveryEvent;
      const id = file.stem === 'ex-ops' && i === 0 ? RESTORE_START_ID : `${file.stem}-${pad(i)}`;
      out.push({ ...doc, event: { ...doc.event, id } });
    }
  }
  return out;
}

interface SampleDead {
  readonly log: { readonly file: { readonly path: string }; readonly offset: number };
  readonly error: { readonly type: DeadLetterReason };
}

/**
 * The sample dead letters, completed to whole dead letters: the samples give only `log` and
 * `error.type`. Synthetic `@timestamp`: 2026-03-14T03:00:00Z plus the file's index in hours plus
 * the line's index in seconds.
 */
export function sampleDeadLetters(): DeadLetter[] {
  const out: DeadLetter[] = [];
  for (const [f, file] of FILES.entries()) {
    for (const [i, line] of lines(`${file.name}.dead.ndjson`).entries()) {
      const doc = JSON.parse(line) as SampleDead;
      const ts = Date.UTC(2026, 2, 14, 3 + f, 0, i);
      out.push({
        '@timestamp': new Date(ts).toISOString(),
        event: { id: `dl-${file.stem}-${pad(i)}`, kind: 'pipeline_error', dataset: file.dataset, original: `raw bytes at ${doc.log.offset}` },
        log: doc.log,
        error: { type: doc.error.type, message: `sample ${doc.error.type} at offset ${doc.log.offset}` },
      });
    }
  }
  return out;
}

export function ids(events: readonly { readonly event: { readonly id: string } }[]): string[] {
  return events.map((e) => e.event.id);
}
