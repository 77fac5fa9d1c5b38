/**
 * Validation of a schedule: the schema, then what a schema cannot say. The recovery policy's
 * loader validates `snapshots:` with the schema and calls `scheduleProblems` for the rest; a
 * standalone schedule file is read by `loadScheduleFile`.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { isValidZone } from '../../parsers/rlog/timestamp.js';
import { errorKey } from '../../pipeline/config/schema-errors.js';
import { messageOf, rstError } from '../errors.js';
import { ScheduleSchema, type Schedule } from './schema.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile<Schedule>(ScheduleSchema);

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return 'is not a known key (see restore-runner/schedule/README.md)';
  if (e.keyword === 'required') return 'is required';
  return e.message ?? 'is not valid';
}

/** Problems the schema cannot express, each naming its key under `prefix` (e.g. `snapshots`). */
export function scheduleProblems(s: Schedule, prefix: string): readonly string[] {
  const key = (k: string): string => (prefix === '' ? k : `${prefix}.${k}`);
  const problems: string[] = [];
  if (s.every === 'nightly' && s.window === undefined) problems.push(`key "${key('window')}" is required with every: nightly (nightly means once per off-peak window)`);
  const zone = s.window?.timeZone;
  if (zone !== undefined && !isValidZone(zone)) problems.push(`key "${key('window.timeZone')}" must be an IANA time zone name such as UTC or Europe/Berlin, found "${zone}"`);
  return problems;
}

/** Validates a parsed schedule (the value of `snapshots:`), naming `file` and keys under `prefix`. */
export function validateSchedule(doc: unknown, file: string, prefix = 'snapshots'): Schedule {
  if (!validate(doc)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
    throw rstError('RST_ERR_SCHEDULE_INVALID', file, [...new Set(problems.map((e) => `key "${errorKey(prefix, e)}" ${describe(e)}`))].join('; '));
  }
  const more = scheduleProblems(doc, prefix);
  if (more.length > 0) throw rstError('RST_ERR_SCHEDULE_INVALID', file, more.join('; '));
  return doc;
}

/**
 * A YAML file whose `snapshots:` key holds the schedule (a recovery policy file, or a file with
 * only that key). The other keys are the recovery policy's, validated by its own loader.
 */
export function loadScheduleFile(file: string): Schedule {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw rstError('RST_ERR_SCHEDULE_INVALID', file, `cannot read it: ${messageOf(err)}`);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw rstError('RST_ERR_SCHEDULE_INVALID', file, `not valid YAML: ${document.errors.map((e) => e.message).join('; ')}`);
  const doc: unknown = document.toJS();
  const section = typeof doc === 'object' && doc !== null && 'snapshots' in doc ? doc.snapshots : undefined;
  if (section === undefined) throw rstError('RST_ERR_SCHEDULE_INVALID', file, 'key "snapshots" is required (the schedule section)');
  return validateSchedule(section, file);
}
