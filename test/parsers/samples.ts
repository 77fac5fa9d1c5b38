/** The shared samples and their expected outputs (../shared/spec/samples/README.md). */
import { readFileSync } from 'node:fs';
import type { RlogSource } from '../../parsers/rlog/record.js';
import type { Format } from '../../parsers/reader.js';

import { SPEC_SAMPLES_DIR } from '../spec-samples.js';

export const SAMPLES_DIR = SPEC_SAMPLES_DIR;

export interface Sample {
  readonly name: string;
  readonly format: Format;
  readonly source: RlogSource;
}

export const SAMPLES: readonly Sample[] = [
  { name: 'example.rlog', format: 'rlog', source: { path: 'example.rlog' } },
  { name: 'quirks.rlog', format: 'rlog', source: { path: 'quirks.rlog', host: 'fallback-host', timeZone: 'Europe/Berlin' } },
  { name: 'example.ops.jsonl', format: 'ops', source: { path: 'example.ops.jsonl' } },
  { name: 'quirks.ops.jsonl', format: 'ops', source: { path: 'quirks.ops.jsonl' } },
];

export function sampleBytes(name: string): Buffer {
  return readFileSync(`${SAMPLES_DIR}${name}`);
}

export function ndjson(name: string): unknown[] {
  return readFileSync(`${SAMPLES_DIR}${name}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l): unknown => JSON.parse(l));
}
