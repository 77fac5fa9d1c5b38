/**
 * The rule engine: events in (any order, any number of times), alert changes out. No I/O and no
 * clock of its own: `evaluate(now)` is told the time. For each rule and key it keeps the matching
 * events (their Hit), and on every evaluation recomputes the episodes of the keys that changed or
 * whose next deadline passed (episodes.ts), then compares the alerts with those it gave before.
 * Because the episodes are recomputed from the whole set of a key's events, the alerts depend on
 * which events are stored and on `now`, never on the order they came in.
 *
 * State after a restart: `ingest` the stored events again (the evaluator asks the store for the
 * rules' events) and `seed` the alerts the alert store holds; the first evaluation then gives
 * only what changed while the process was down.
 */
import type { RecoveryEvent } from '../../parsers/event.js';
import type { Alert } from '../alerts/alert.js';
import { alertIds, buildAlert } from './alert-doc.js';
import { absenceEpisodes, compareHits, sequenceEpisodes, thresholdEpisodes, type Episode, type Hit } from './episodes.js';
import { compareCodePoints } from '../store/record.js';
import { fieldValue, groupOf, keyText, type Rule } from './rule.js';

export type AlertChangeKind = 'new' | 'updated' | 'resolved' | 'reopened' | 'withdrawn';

export interface AlertChange {
  readonly kind: AlertChangeKind;
  readonly alert: Alert;
}

interface KeyState {
  readonly rule: Rule;
  readonly key: string;
  readonly group: Readonly<Record<string, string>>;
  /** threshold and absence: the matches; sequence: the `first` events. */
  readonly main: Map<string, Hit>;
  /** sequence: the `then` events. */
  readonly then: Map<string, Hit>;
  /** absence: the key's earliest known event. */
  known: Hit | null;
  /** The alerts last given for this key (open and resolved), by id. */
  readonly alerts: Map<string, Alert>;
  /** What each of those alerts was built from (episodeSignature): unchanged episodes reuse it. */
  readonly signatures: Map<string, string>;
  dirty: boolean;
  /** The horizon at which this key must be evaluated again; Infinity for none. */
  dueMs: number;
}

function toHit(event: RecoveryEvent, value: string | null): Hit {
  return {
    id: event.event.id,
    ts: Date.parse(event['@timestamp']),
    value,
    host: event.host.name,
    osVersion: event.host.os.version,
    ...(event.recovery.kernel !== undefined ? { kernel: event.recovery.kernel } : {}),
    ...(event.file?.path !== undefined ? { filePath: event.file.path } : {}),
    ...(event.recovery.correlation_id !== undefined ? { correlationId: event.recovery.correlation_id } : {}),
    categories: event.event.category,
  };
}

/**
 * What an alert document is built from, in short: an episode's hits only grow (a late event adds
 * one, a merge adds several), so equal times, counts and end hits mean an equal document.
 */
function episodeSignature(e: Episode): string {
  const first = e.hits[0];
  const last = e.hits.at(-1);
  return `${e.firedAt}|${e.firstSeen}|${e.lastSeen}|${e.resolvedAt}|${e.count}|${e.distinct}|${e.hits.length}|${first?.id ?? ''}|${last?.id ?? ''}`;
}

function sorted(map: ReadonlyMap<string, Hit>): Hit[] {
  return [...map.values()].sort(compareHits);
}

function overlaps(a: Alert, b: Alert): boolean {
  const aFrom = Date.parse(a.recovery.alert.fired_at);
  const aTo = a.recovery.alert.resolved_at === undefined ? Infinity : Date.parse(a.recovery.alert.resolved_at);
  const bFrom = Date.parse(b.recovery.alert.fired_at);
  const bTo = b.recovery.alert.resolved_at === undefined ? Infinity : Date.parse(b.recovery.alert.resolved_at);
  return aFrom <= bTo && bFrom <= aTo;
}

export class RuleEngine {
  private readonly keys = new Map<string, KeyState>();
  private readonly byRule = new Map<string, Rule>();
  private readonly dirtyKeys = new Set<KeyState>();

  constructor(readonly rules: readonly Rule[]) {
    for (const rule of rules) this.byRule.set(rule.id, rule);
  }

  /** Adds stored events; an event seen before (same `event.id`) changes nothing. */
  ingest(events: Iterable<RecoveryEvent>): void {
    for (const event of events) {
      for (const rule of this.rules) this.ingestOne(rule, event);
    }
  }

  private state(rule: Rule, group: Readonly<Record<string, string>>): KeyState {
    const key = keyText(rule.groupBy, group);
    const id = `${rule.id}\n${key}`;
    let s = this.keys.get(id);
    if (s === undefined) {
      s = { rule, key, group, main: new Map(), then: new Map(), known: null, alerts: new Map(), signatures: new Map(), dirty: false, dueMs: Infinity };
      this.keys.set(id, s);
    }
    return s;
  }

  private touch(s: KeyState): void {
    s.dirty = true;
    this.dirtyKeys.add(s);
  }

  private ingestOne(rule: Rule, event: RecoveryEvent): void {
    switch (rule.type) {
      case 'threshold': {
        if (!rule.match.test(event)) return;
        let value: string | null = null;
        if (rule.distinct !== null) {
          const v = fieldValue(event, rule.distinct.field);
          if (v === undefined || v === '') {
            if (rule.distinct.missing === 'skip') return;
            value = `\u0000event:${event.event.id}`;
          } else value = v;
        }
        const group = groupOf(event, rule.groupBy);
        if (group === null) return;
        const s = this.state(rule, group);
        if (s.main.has(event.event.id)) return;
        s.main.set(event.event.id, toHit(event, value));
        this.touch(s);
        return;
      }
      case 'absence': {
        const matches = rule.match.test(event);
        const known = rule.known !== null && rule.known.test(event);
        if (!matches && !known) return;
        const group = groupOf(event, rule.groupBy);
        if (group === null) return;
        const s = this.state(rule, group);
        if (matches && !s.main.has(event.event.id)) {
          s.main.set(event.event.id, toHit(event, null));
          this.touch(s);
        }
        if (known) {
          // Most events of a known key are later than its first: compare before building a Hit.
          const ts = Date.parse(event['@timestamp']);
          if (s.known === null || ts < s.known.ts || (ts === s.known.ts && compareCodePoints(event.event.id, s.known.id) < 0)) {
            s.known = toHit(event, null);
            this.touch(s);
          }
        }
        return;
      }
      case 'sequence': {
        const first = rule.first.test(event);
        const then = rule.then.test(event);
        if (!first && !then) return;
        const group = groupOf(event, rule.groupBy);
        if (group === null) return;
        const s = this.state(rule, group);
        if (first && !s.main.has(event.event.id)) {
          s.main.set(event.event.id, toHit(event, null));
          this.touch(s);
        }
        if (then && !s.then.has(event.event.id)) {
          s.then.set(event.event.id, toHit(event, null));
          this.touch(s);
        }
        return;
      }
    }
  }

  /** The alerts an alert store holds (after a restart): later evaluations update them. */
  seed(alerts: Iterable<Alert>): void {
    for (const alert of alerts) {
      if (alert.recovery.alert.status === 'withdrawn') continue;
      const rule = this.byRule.get(alert.rule.id);
      if (rule === undefined) continue;
      const s = this.state(rule, alert.recovery.alert.group);
      if (s.key !== alert.recovery.alert.key) continue;
      s.alerts.set(alert.event.id, alert);
      this.touch(s);
    }
  }

  /** The earliest evaluation time at which a key changes with no new event; null for none. */
  nextDueMs(): number | null {
    let min = Infinity;
    for (const s of this.keys.values()) min = Math.min(min, s.dueMs + s.rule.latenessMs);
    return min === Infinity ? null : min;
  }

  /** Recomputes what changed or came due by `nowMs`, and gives the alert changes, in a stable order. */
  evaluate(nowMs: number): AlertChange[] {
    const changes: AlertChange[] = [];
    const todo = new Set(this.dirtyKeys);
    this.dirtyKeys.clear();
    for (const s of this.keys.values()) if (s.dueMs + s.rule.latenessMs <= nowMs) todo.add(s);
    const ordered = [...todo].sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const s of ordered) changes.push(...this.evaluateKey(s, nowMs));
    return changes;
  }

  /** Every open and resolved alert as of the last evaluation, ordered by rule, key and firing. */
  alerts(): Alert[] {
    const out: Alert[] = [];
    for (const s of this.keys.values()) out.push(...s.alerts.values());
    return out.sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : a.recovery.alert.key < b.recovery.alert.key ? -1 : a.recovery.alert.key > b.recovery.alert.key ? 1 : a['@timestamp'] < b['@timestamp'] ? -1 : a['@timestamp'] > b['@timestamp'] ? 1 : 0));
  }

  private evaluateKey(s: KeyState, nowMs: number): AlertChange[] {
    s.dirty = false;
    const rule = s.rule;
    const horizon = nowMs - rule.latenessMs;
    const W = rule.windowMs;
    let episodes: Episode[];
    let due = Infinity;
    switch (rule.type) {
      case 'threshold': {
        episodes = thresholdEpisodes(sorted(s.main), rule.threshold, W, rule.distinct !== null, horizon);
        const open = episodes.at(-1);
        if (open !== undefined && open.resolvedAt === null) due = open.lastSeen + W;
        break;
      }
      case 'absence': {
        const matches = sorted(s.main);
        episodes = absenceEpisodes(matches, rule.known === null ? null : s.known, W, horizon);
        for (const p of [...(s.known !== null ? [s.known] : []), ...matches]) if (p.ts + W > horizon) due = Math.min(due, p.ts + W);
        break;
      }
      case 'sequence': {
        const firsts = sorted(s.main);
        episodes = sequenceEpisodes(firsts, sorted(s.then), W, horizon);
        for (const a of firsts) if (a.ts + W > horizon) due = Math.min(due, a.ts + W);
        break;
      }
    }
    s.dueMs = due;
    const next = new Map<string, Alert>();
    const signatures = new Map<string, string>();
    const changed = new Set<string>();
    for (const e of episodes) {
      const id = alertIds(rule.id, s.key, e.firedAt).id;
      const signature = episodeSignature(e);
      const before = s.alerts.get(id);
      signatures.set(id, signature);
      if (before !== undefined && s.signatures.get(id) === signature) {
        next.set(id, before);
        continue;
      }
      const alert = buildAlert(rule, s.group, s.key, e);
      next.set(id, alert);
      changed.add(id);
    }
    const changes: AlertChange[] = [];
    for (const [id, alert] of next) {
      if (!changed.has(id)) continue;
      const before = s.alerts.get(id);
      if (before === undefined) changes.push({ kind: 'new', alert });
      else if (JSON.stringify(before) !== JSON.stringify(alert)) {
        const was = before.recovery.alert.status;
        const is = alert.recovery.alert.status;
        changes.push({ kind: was === 'open' && is === 'resolved' ? 'resolved' : was === 'resolved' && is === 'open' ? 'reopened' : 'updated', alert });
      }
    }
    for (const [id, before] of s.alerts) {
      if (next.has(id)) continue;
      const successor = [...next.values()].find((a) => overlaps(a, before));
      const info = { ...before.recovery.alert, status: 'withdrawn' as const, withdrawn_at: new Date(nowMs).toISOString(), ...(successor !== undefined ? { superseded_by: successor.event.id } : {}) };
      changes.push({ kind: 'withdrawn', alert: { ...before, recovery: { ...before.recovery, alert: info } } });
    }
    s.alerts.clear();
    s.signatures.clear();
    for (const [id, alert] of next) s.alerts.set(id, alert);
    for (const [id, signature] of signatures) s.signatures.set(id, signature);
    return changes;
  }
}

/** The alerts of `rules` over `events` at `nowMs`: the pure function the engine keeps up to date. */
export function evaluateRules(rules: readonly Rule[], events: Iterable<RecoveryEvent>, nowMs: number): Alert[] {
  const engine = new RuleEngine(rules);
  engine.ingest(events);
  engine.evaluate(nowMs);
  return engine.alerts();
}
