/**
 * The predefined self-healing rules: which paths of an instance are system files, configuration
 * or user data, and what a repair does with each finding. Data, not code, so that README.md and
 * `selfheal scan` can show them; the first rule whose pattern matches a path decides.
 */
import { globToRegExp } from '../restore/glob.js';

export type PathClass = 'user-data' | 'system' | 'config' | 'other';
export type Problem = 'missing' | 'corrupt' | 'changed' | 'type-changed';
/** `restore`: written back from the snapshot; `restore-keep-copy`: the same, the current file kept in the data folder first; `leave`: reported only. */
export type Action = 'restore' | 'restore-keep-copy' | 'leave';

export interface PathRule {
  readonly pattern: string;
  readonly class: PathClass;
}

/**
 * User data first, so that nothing below a home or a service's data is ever written, whatever
 * a later pattern says. Patterns are relative to the instance root (`**` crosses directories).
 */
export const PATH_RULES: readonly PathRule[] = [
  { pattern: 'home/**', class: 'user-data' },
  { pattern: 'root/**', class: 'user-data' },
  { pattern: 'srv/**', class: 'user-data' },
  { pattern: 'var/**', class: 'user-data' },
  { pattern: 'tmp/**', class: 'user-data' },
  { pattern: 'opt/*/data/**', class: 'user-data' },
  { pattern: 'etc/**', class: 'config' },
  { pattern: 'boot/grub/grub.cfg', class: 'config' },
  { pattern: 'boot/**', class: 'system' },
  { pattern: 'lib/**', class: 'system' },
  { pattern: 'lib64/**', class: 'system' },
  { pattern: 'bin/**', class: 'system' },
  { pattern: 'sbin/**', class: 'system' },
  { pattern: 'usr/**', class: 'system' },
  { pattern: 'opt/**', class: 'system' },
];

/** What a repair does, per class and problem. User data and unclassified paths are never written. */
export const REPAIR_RULES: Readonly<Record<PathClass, Readonly<Record<Problem, Action>>>> = {
  system: { missing: 'restore', corrupt: 'restore', changed: 'restore', 'type-changed': 'restore' },
  config: { missing: 'restore', corrupt: 'restore-keep-copy', changed: 'restore-keep-copy', 'type-changed': 'restore-keep-copy' },
  other: { missing: 'leave', corrupt: 'leave', changed: 'leave', 'type-changed': 'leave' },
  'user-data': { missing: 'leave', corrupt: 'leave', changed: 'leave', 'type-changed': 'leave' },
};

const compiled = PATH_RULES.map((r) => ({ re: globToRegExp(r.pattern), class: r.class }));

/** The class of a path relative to the instance root (`lib/modules/...`, no leading slash). */
export function classify(path: string): PathClass {
  for (const r of compiled) if (r.re.test(path)) return r.class;
  return 'other';
}
