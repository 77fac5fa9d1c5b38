/**
 * The recovery policy once loaded: every group with every setting filled in (the defaults'
 * values, else the built-in ones), durations in milliseconds. Pure data for the decisions.
 */
export type RestoreTrigger = 'auto' | 'approval' | 'never';
export type PolicyRestoreMode = 'files' | 'delta' | 'full';

export interface GroupSettings {
  readonly restore: RestoreTrigger;
  readonly mode: PolicyRestoreMode;
  readonly cooldownMs: number;
  readonly cooldown: string;
  readonly onVerifyFailure: 'next-older' | 'fail';
  readonly rollbackAfterBadUpgrade: boolean;
  readonly maxAttempts: number;
}

export interface PolicyGroup extends GroupSettings {
  readonly name: string;
  readonly hosts: readonly string[];
}

export interface RecoveryPolicy {
  /** The file it came from, or `built-in`. */
  readonly source: string;
  readonly maxConcurrentRestores: number;
  /** Hosts in no group. */
  readonly defaults: PolicyGroup;
  readonly groups: readonly PolicyGroup[];
  /** The `snapshots:` section, untouched (restore-runner/schedule/ reads it). */
  readonly snapshots: unknown;
}

export const BUILT_IN_SETTINGS: GroupSettings = {
  restore: 'approval',
  mode: 'files',
  cooldownMs: 600_000,
  cooldown: '10m',
  onVerifyFailure: 'next-older',
  rollbackAfterBadUpgrade: false,
  maxAttempts: 3,
};

/** Without a policy file: every restore needs an approval. */
export const BUILT_IN_POLICY: RecoveryPolicy = {
  source: 'built-in',
  maxConcurrentRestores: 2,
  defaults: { name: 'default', hosts: ['*'], ...BUILT_IN_SETTINGS },
  groups: [],
  snapshots: undefined,
};

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** The group of a host: the first whose globs match, else the defaults. */
export function groupOf(policy: RecoveryPolicy, host: string): PolicyGroup {
  for (const g of policy.groups) if (g.hosts.some((h) => globToRegExp(h).test(host))) return g;
  return policy.defaults;
}
