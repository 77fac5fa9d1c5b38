/** Reads and validates the configuration once, at start; the result is frozen. */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { isValidZone } from '../../parsers/rlog/timestamp.js';
import { PipelineError } from '../errors.js';
import { elasticsearchConfigProblems } from '../store/elasticsearch/config-checks.js';
import { compiledOnFirstUse, errorKey } from './schema-errors.js';
import { ConfigSchema, type Config } from './schema.js';

const validate = compiledOnFirstUse<Config>(ConfigSchema);

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'is not a known key (see pipeline/config/README.md)';
    case 'required':
      return 'is required';
    default:
      return e.message ?? 'is not valid';
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validates a parsed document; every problem names the file and the key. */
export function validateConfig(doc: unknown, file: string): Config {
  if (!validate(doc)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
    const unique = [...new Set(problems.map((e) => `key "${errorKey('', e)}" ${describe(e)}`))];
    throw new PipelineError('PIP_ERR_CONFIG_INVALID', file, unique.join('; '));
  }
  const names = new Set<string>();
  for (const [i, s] of doc.sources.entries()) {
    if (names.has(s.name)) throw new PipelineError('PIP_ERR_CONFIG_INVALID', file, `key "sources[${i}].name" repeats "${s.name}": source names must be unique`);
    names.add(s.name);
    if (s.timeZone !== undefined && !isValidZone(s.timeZone)) {
      throw new PipelineError('PIP_ERR_CONFIG_INVALID', file, `key "sources[${i}].timeZone" must be an IANA time zone name such as UTC or Europe/Berlin, found "${s.timeZone}"`);
    }
  }
  const storeProblem = elasticsearchConfigProblems(doc.store)[0];
  if (storeProblem !== undefined) throw new PipelineError('PIP_ERR_CONFIG_INVALID', file, storeProblem);
  return deepFreeze(doc);
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new PipelineError('PIP_ERR_CONFIG_READ', file, err instanceof Error ? err.message : String(err));
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw new PipelineError('PIP_ERR_CONFIG_YAML', file, document.errors.map((e) => e.message).join('; '));
  return validateConfig(document.toJS() as unknown, file);
}
