/**
 * What an alert covers and what to do about it: a pure function of the rule, the group and the
 * events behind the alert. A first version; the recovery policy (restore-runner/) decides what is
 * done automatically, these are the actions a person reads.
 */
import type { Hit } from './episodes.js';
import type { Rule } from './rule.js';

/** The distinct values of the hits' fields, sorted: one pass over an episode's hits. */
export interface HitSummary {
  readonly hosts: readonly string[];
  readonly osVersions: readonly string[];
  readonly kernels: readonly string[];
  readonly paths: readonly string[];
  readonly correlationIds: readonly string[];
  readonly categories: readonly string[];
}

export function summarize(hits: readonly Hit[]): HitSummary {
  const hosts = new Set<string>();
  const osVersions = new Set<string>();
  const kernels = new Set<string>();
  const paths = new Set<string>();
  const cids = new Set<string>();
  const categories = new Set<string>();
  for (const h of hits) {
    hosts.add(h.host);
    if (h.osVersion !== '') osVersions.add(h.osVersion);
    if (h.kernel !== undefined && h.kernel !== '') kernels.add(h.kernel);
    if (h.filePath !== undefined && h.filePath !== '') paths.add(h.filePath);
    if (h.correlationId !== undefined && h.correlationId !== '') cids.add(h.correlationId);
    for (const c of h.categories) categories.add(c);
  }
  const sorted = (set: Set<string>): string[] => [...set].sort();
  return { hosts: sorted(hosts), osVersions: sorted(osVersions), kernels: sorted(kernels), paths: sorted(paths), correlationIds: sorted(cids), categories: sorted(categories) };
}

export interface Recommendation {
  readonly affectedComponents: readonly string[];
  readonly recommendedActions: readonly string[];
}

export function recommend(rule: Rule, group: Readonly<Record<string, string>>, summary: HitSummary): Recommendation {
  const host = group['host'];
  const instance = group['instance'];
  const module = group['module'];
  const { kernels, paths, hosts, correlationIds: cids } = summary;
  const components: string[] = [];
  if (module !== undefined) components.push(`kernel module ${module}${kernels.length > 0 ? ` (kernel ${kernels.join(', ')})` : ''}`);
  components.push(...paths);
  if (host !== undefined) components.push(instance !== undefined ? `host ${host}, instance ${instance}` : `host ${host}`);
  else if (hosts.length > 0 && rule.groupBy.includes('module')) components.push(`${hosts.length} hosts: ${hosts.slice(0, 20).join(', ')}${hosts.length > 20 ? ', ...' : ''}`);
  for (const cid of group['correlation_id'] !== undefined ? [group['correlation_id']] : []) components.push(`restore ${cid}`);

  const actions: string[] = [];
  const where = host !== undefined ? `${host}${instance !== undefined ? ` instance ${instance}` : ''}` : 'the affected hosts';
  if (rule.holdAutomatedRestores) actions.push(`hold automated restores${module !== undefined ? ` of module ${module}` : ''} fleet-wide until a person reviews this alert`);
  switch (rule.type) {
    case 'threshold':
      if (module !== undefined && rule.groupBy.includes('host')) {
        actions.push(`restore ${paths.length > 0 ? paths.join(', ') : `module ${module}`} on ${where} from the newest verified snapshot that holds a good copy`);
        actions.push(`check the storage of ${host ?? 'the host'}: the same file corrupted again and again points at the disk or at a process that rewrites it`);
      } else if (module !== undefined) {
        actions.push(`check the last update that shipped module ${module}${kernels.length > 0 ? ` for kernel ${kernels.join(', ')}` : ''}: ${hosts.length} hosts report it damaged`);
        actions.push(`roll the affected instances back to the last verified snapshot of the previous version once the cause is known`);
      } else if (rule.match.spec.action === 'restore.end') {
        for (const cid of cids.slice(0, 5)) actions.push(`read the trace of the failed restore: kintsugi query trace ${cid}`);
        actions.push(`retry the restore of ${where} from the next older verified snapshot`);
      } else {
        actions.push(`investigate the events listed in recovery.alert.related_event_ids on ${where}`);
      }
      break;
    case 'absence':
      if (rule.match.spec.action === 'snapshot.create') {
        actions.push(`snapshot every instance of ${where} now, and verify the snapshot`);
        actions.push(`check the snapshot schedule of ${where} in the recovery policy, and the runner's log`);
      } else {
        actions.push(`check that ${where} still runs and reports: nothing matching this rule arrived for ${rule.window}`);
      }
      break;
    case 'sequence': {
      const cid = group['correlation_id'];
      if (cid !== undefined) actions.push(`read the trace: kintsugi query trace ${cid}`);
      if (rule.first.spec.action === 'restore.start') actions.push('check the restore runner - if it stopped, start it again (a job resumes or is marked failed, never left half-written)');
      else actions.push(`investigate why "${String(rule.then.spec.action ?? 'the second event')}" did not follow within ${rule.window}`);
      break;
    }
  }
  return { affectedComponents: components, recommendedActions: actions };
}
