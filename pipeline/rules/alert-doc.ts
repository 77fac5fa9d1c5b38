/** An episode of a rule and key as an alert document (pipeline/alerts/alert.ts). Pure. */
import { createHash } from 'node:crypto';
import { ALERT_DATASET, SEVERITY_SCORE, type Alert, type AlertInfo } from '../alerts/alert.js';
import type { Episode, Hit } from './episodes.js';
import { recommend, summarize } from './recommend.js';
import type { Rule } from './rule.js';

const RELATED_MAX = 100;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The alert id: a hash of the rule, the key and the firing time, so the same events give the same
 * alert whatever the order they came in. Its correlation id is a UUID-shaped hash of the same.
 */
export function alertIds(ruleId: string, key: string, firedAt: number): { id: string; correlationId: string } {
  const hash = createHash('sha256').update(`${ruleId}\n${key}\n${firedAt}`).digest('hex');
  const c = hash.slice(32, 64);
  const correlationId = `${c.slice(0, 8)}-${c.slice(8, 12)}-8${c.slice(13, 16)}-a${c.slice(17, 20)}-${c.slice(20, 32)}`;
  return { id: hash.slice(0, 32), correlationId };
}

export function buildAlert(rule: Rule, group: Readonly<Record<string, string>>, key: string, episode: Episode): Alert {
  const { id, correlationId } = alertIds(rule.id, key, episode.firedAt);
  const hits: readonly Hit[] = episode.hits;
  const summary = summarize(hits);
  const advice = recommend(rule, group, summary);
  const last = hits.at(-1);
  const categories = summary.categories;
  const info: AlertInfo = {
    status: episode.resolvedAt === null ? 'open' : 'resolved',
    type: rule.type,
    severity: rule.severity,
    key,
    group: { ...group },
    count: episode.count,
    ...(episode.distinct !== null && rule.type === 'threshold' && rule.distinct !== null ? { distinct_count: episode.distinct, distinct_field: rule.distinct.field } : {}),
    ...(rule.type === 'threshold' ? { threshold: rule.threshold } : {}),
    window: rule.window,
    first_seen: iso(episode.firstSeen),
    last_seen: iso(episode.lastSeen),
    fired_at: iso(episode.firedAt),
    ...(episode.resolvedAt !== null ? { resolved_at: iso(episode.resolvedAt) } : {}),
    related_event_ids: hits.slice(0, RELATED_MAX).map((h) => h.id),
    os_versions: summary.osVersions,
    affected_components: advice.affectedComponents,
    recommended_actions: advice.recommendedActions,
    hold_automated_restores: rule.holdAutomatedRestores,
  };
  const host = group['host'];
  return {
    '@timestamp': iso(episode.firedAt),
    event: {
      kind: 'alert',
      id,
      dataset: ALERT_DATASET,
      category: categories.length > 0 ? categories : ['host'],
      type: ['info'],
      action: rule.id,
      severity: SEVERITY_SCORE[rule.severity],
      start: iso(episode.firstSeen),
      ...(episode.resolvedAt !== null ? { end: iso(episode.resolvedAt) } : {}),
    },
    rule: { id: rule.id, name: rule.name, description: rule.description, category: rule.category, ruleset: 'kintsugi' },
    ...(host !== undefined ? { host: { name: host, os: { version: last?.osVersion ?? '' } } } : {}),
    related: { hosts: summary.hosts },
    recovery: {
      correlation_id: correlationId,
      ...(group['instance'] !== undefined ? { instance: group['instance'] } : {}),
      ...(group['module'] !== undefined ? { module: group['module'] } : {}),
      ...(last?.kernel !== undefined && group['module'] !== undefined ? { kernel: last.kernel } : {}),
      alert: info,
    },
  };
}
