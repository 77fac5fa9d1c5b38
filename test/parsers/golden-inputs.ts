/** Kintsugi's own golden inputs, one per group of rules of the format references. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Format } from '../../parsers/reader.js';
import type { RlogSource } from '../../parsers/rlog/record.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/parsers/', import.meta.url));

export interface GoldenInput {
  readonly name: string;
  readonly bytes: Buffer;
  readonly format: Format;
  readonly source: RlogSource;
}

const TABLE: readonly { name: string; format: Format; source: Omit<RlogSource, 'path'> }[] = [
  { name: 'kinds.rlog', format: 'rlog', source: { host: 'cfg-host', osVersion: '3.2.9' } },
  { name: 'timestamps.rlog', format: 'rlog', source: { timeZone: 'America/New_York' } },
  { name: 'bytes.rlog', format: 'rlog', source: {} },
  { name: 'sessions.rlog', format: 'rlog', source: { host: 'cfg-host' } },
  { name: 'v1.ops.jsonl', format: 'ops', source: {} },
  { name: 'v2.ops.jsonl', format: 'ops', source: {} },
];

export function goldenInputs(): GoldenInput[] {
  return TABLE.map(({ name, format, source }) => ({ name, format, source: { ...source, path: name }, bytes: readFileSync(`${GOLDEN_DIR}${name}`) }));
}
