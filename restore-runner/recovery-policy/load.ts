/** Reads and validates the recovery policy once; every problem names the file and the key. */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { errorKey } from '../../pipeline/config/schema-errors.js';
import { parseDuration } from '../../pipeline/rules/duration.js';
import { JobError } from '../jobs/errors.js';
import { BUILT_IN_SETTINGS, type GroupSettings, type PolicyGroup, type RecoveryPolicy } from './policy.js';
import { RecoveryPolicySchema, type RecoveryPolicyDocument } from './schema.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile<RecoveryPolicyDocument>(RecoveryPolicySchema);

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return 'is not a known key (see restore-runner/recovery-policy/README.md)';
  if (e.keyword === 'required') return 'is required';
  return e.message ?? 'is not valid';
}

type RawSettings = NonNullable<RecoveryPolicyDocument['defaults']>;

function settings(raw: RawSettings, base: GroupSettings): GroupSettings {
  const cooldown = raw.cooldown ?? base.cooldown;
  return {
    restore: raw.restore ?? base.restore,
    mode: raw.mode ?? base.mode,
    cooldown,
    cooldownMs: parseDuration(cooldown) ?? base.cooldownMs,
    onVerifyFailure: raw.on_verify_failure ?? base.onVerifyFailure,
    rollbackAfterBadUpgrade: raw.rollback_after_bad_upgrade ?? base.rollbackAfterBadUpgrade,
    maxAttempts: raw.max_attempts ?? base.maxAttempts,
  };
}

/** Validates a parsed document (`file` names it in messages). */
export function validatePolicy(doc: unknown, file: string): RecoveryPolicy {
  if (!validate(doc)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'if');
    throw new JobError('JOB_ERR_POLICY_INVALID', file, [...new Set(problems.map((e) => `key "${errorKey('', e)}" ${describe(e)}`))].join('; '));
  }
  const base = settings(doc.defaults ?? {}, BUILT_IN_SETTINGS);
  const names = new Set<string>();
  const groups: PolicyGroup[] = (doc.groups ?? []).map((g, i) => {
    if (names.has(g.name)) throw new JobError('JOB_ERR_POLICY_INVALID', file, `key "groups[${i}].name" repeats "${g.name}": group names must be unique`);
    names.add(g.name);
    return { name: g.name, hosts: [...g.hosts], ...settings(g, base) };
  });
  return {
    source: file,
    maxConcurrentRestores: doc.max_concurrent_restores ?? 2,
    defaults: { name: 'default', hosts: ['*'], ...base },
    groups,
    snapshots: doc.snapshots,
  };
}

export function loadPolicy(file: string): RecoveryPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    throw new JobError('JOB_ERR_POLICY_READ', file, err instanceof Error ? err.message : String(err));
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) throw new JobError('JOB_ERR_POLICY_INVALID', file, `not valid YAML: ${document.errors.map((e) => e.message).join('; ')}`);
  return validatePolicy(document.toJS() as unknown, file);
}
