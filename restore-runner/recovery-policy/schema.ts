/**
 * The recovery policy (YAML): per host group, what an alert may do. One schema gives the type, the
 * validator and the documentation (README.md beside it). Unknown keys are errors, except under
 * `snapshots:` (schedule and retention, restore-runner/schedule/), which is passed through whole.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from '../../pipeline/rules/duration.js';

const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'a duration: 90s, 15m, 1h, 7d' });

const Settings = {
  restore: Type.Optional(
    Type.Union([Type.Literal('auto'), Type.Literal('approval'), Type.Literal('never')], {
      description: 'auto: an alert restores at once; approval: a person with an approving role approves first; never: alerts make no job (manual requests still may)',
    }),
  ),
  mode: Type.Optional(
    Type.Union([Type.Literal('files'), Type.Literal('delta'), Type.Literal('full')], {
      description: 'files: only the damaged files (default); delta: the whole instance, writing what differs; full: the whole instance rewritten',
    }),
  ),
  cooldown: Type.Optional(Type.String({ ...Duration, description: 'after a restore of a host, automated restores of it wait this long (default 10m)' })),
  on_verify_failure: Type.Optional(
    Type.Union([Type.Literal('next-older'), Type.Literal('fail')], { description: 'a snapshot that fails verification: try the next older verified one (default), or fail the job' }),
  ),
  rollback_after_bad_upgrade: Type.Optional(
    Type.Boolean({ description: 'when no snapshot of the running version holds a good copy, roll the instance back to the last snapshot of the previous version (default false)' }),
  ),
  max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'snapshots tried per job, and restarts survived, before it fails (default 3)' })),
};

const Group = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', description: 'the group name, shown in decisions' }),
    hosts: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'host names or globs (`web-*`); the first group that matches a host is its group' }),
    ...Settings,
  },
  { additionalProperties: false },
);

export const RecoveryPolicySchema = Type.Object(
  {
    version: Type.Literal(1, { description: 'format version: 1' }),
    max_concurrent_restores: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'restores running at once, fleet-wide (default 2)' })),
    defaults: Type.Optional(Type.Object(Settings, { additionalProperties: false, description: 'settings of hosts in no group, and of keys a group leaves out' })),
    groups: Type.Optional(Type.Array(Group, { description: 'host groups, first match wins' })),
    snapshots: Type.Optional(Type.Unknown({ description: 'schedule and retention of snapshots (restore-runner/schedule/); passed through' })),
  },
  { additionalProperties: false },
);

export type RecoveryPolicyDocument = Static<typeof RecoveryPolicySchema>;
