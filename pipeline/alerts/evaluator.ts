/**
 * The alert evaluator: follows the event store in write order (`eventsSince(seq)`), so late and
 * out-of-order events are seen when they are committed, feeds them to the rule engine and writes
 * the alert changes with its new position to the alert store, in one transaction. It reads only
 * committed events, on the store's read connection: ingest never waits for it.
 *
 * After a restart it rebuilds the engine from the stores: the rules' events are asked of the
 * event store with the rules' own filters (every selector is an EventStore filter), the alerts of
 * the alert store are seeded, and it follows on from its checkpoint. Events fed twice (by the
 * rebuild and again by following) count once: the engine keys them by `event.id`.
 */
import type { SpanContext } from '@opentelemetry/api';
import type { Log } from '../../collectors/source.js';
import type { RecoveryEvent } from '../../parsers/event.js';
import { RuleEngine, type AlertChange } from '../rules/engine.js';
import type { Rule, Selector } from '../rules/rule.js';
import type { KeyField } from '../rules/schema.js';
import type { EventFilter, EventStore, GroupField, SinceSelection } from '../store/event-store.js';
import { inSpan } from '../telemetry/spans.js';
import type { AlertStore } from './alert-store.js';

export interface EvaluatorOptions {
  /** Pause when the evaluator caught up with the store (default 100 ms). */
  readonly pollIntervalMs?: number;
  /**
   * Evaluations at most this often while events keep coming (default 200 ms): each one rebuilds
   * the alerts of every key that changed, so fewer of them cost less under heavy ingest.
   */
  readonly evaluateIntervalMs?: number;
  /** Events read per page (default 10,000). */
  readonly pageSize?: number;
  /** The clock (milliseconds since the epoch); the system clock by default. */
  readonly now?: () => number;
  readonly log?: Log;
  /**
   * Told of every change once it is stored (the runner's hook, the benchmark's probe), with the
   * rule evaluation span that made it (a restore job's span links to it).
   */
  readonly onChanges?: (changes: readonly AlertChange[], evaluation?: SpanContext) => void;
  /**
   * Told, for each stored change that new events made, the seconds from the commit of the newest
   * of them (its `event.ingested`, set by the store as it writes the batch) to the change being
   * stored (`kintsugi_alert_latency_seconds`). Changes that time alone made (an absence due, a
   * window passed) have no such event and are not told, nor are those of an alert past its first
   * 100 events (`related_event_ids` holds no more).
   */
  readonly onLatency?: (rule: string, seconds: number) => void;
}

/** Key fields that are also a GroupField and an EventFilter field (single-field known keys). */
const KNOWN_KEY_FIELDS: Partial<Record<KeyField, { group: GroupField; filter: 'host' | 'instance' | 'module' | 'code' | 'correlationId' }>> = {
  host: { group: 'host', filter: 'host' },
  instance: { group: 'instance', filter: 'instance' },
  module: { group: 'module', filter: 'module' },
  code: { group: 'code', filter: 'code' },
  correlation_id: { group: 'correlationId', filter: 'correlationId' },
};

/**
 * What the rules want of the events they follow, for the store to select (`eventsSince`): the
 * events of every selector, and for an absence rule's `known` keys the first event of each key
 * (all the engine keeps of them), or every known event when the key is not one store field.
 */
export function rulesSelection(rules: readonly Rule[]): SinceSelection {
  const anyOf: EventFilter[] = [];
  const firstBy: { field: GroupField; filter: EventFilter }[] = [];
  for (const rule of rules) {
    const selectors: Selector[] = rule.type === 'sequence' ? [rule.first, rule.then] : [rule.match];
    for (const s of selectors) anyOf.push(s.filter);
    if (rule.type === 'absence' && rule.known !== null) {
      const only = rule.groupBy.length === 1 ? KNOWN_KEY_FIELDS[rule.groupBy[0] as KeyField] : undefined;
      if (only === undefined) anyOf.push(rule.known.filter);
      else firstBy.push({ field: only.group, filter: rule.known.filter });
    }
  }
  return { anyOf, firstBy };
}

export class AlertEvaluator {
  private engine: RuleEngine;
  private readonly selection: SinceSelection;
  private readonly now: () => number;
  private seq = 0;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** The state is whole: rebuilt, or followed from the start. */
  private ready = false;
  private wake: (() => void) | null = null;
  private lastCheckpointWrite = -Infinity;
  private lastEvaluation = -Infinity;
  private checkpointed = 0;
  /** Events read and not yet evaluated: `event.id` -> commit time (ms), for onLatency. */
  private readonly unevaluated = new Map<string, number>();
  /** When the last read that caught up with the store began: what it did not see was committed later. */
  private caughtUpAtMs = -Infinity;

  constructor(
    private readonly events: EventStore,
    private readonly alerts: AlertStore,
    readonly rules: readonly Rule[],
    private readonly options: EvaluatorOptions = {},
  ) {
    this.engine = new RuleEngine(rules);
    this.now = options.now ?? Date.now;
    this.selection = rulesSelection(rules);
  }

  /** The last event-store seq evaluated. */
  get position(): number {
    return this.seq;
  }

  /** Rebuilds the state from both stores (see the header). Called by start(); public for tests. */
  async rebuild(): Promise<void> {
    this.ready = false;
    this.unevaluated.clear();
    this.seq = await this.alerts.checkpoint();
    this.checkpointed = this.seq;
    if (this.seq === 0) {
      this.ready = true;
      return; // nothing evaluated yet: following from the start sees everything
    }
    for (const rule of this.rules) {
      const selectors: Selector[] = rule.type === 'sequence' ? [rule.first, rule.then] : [rule.match];
      for (const s of selectors) await this.feedQuery(s.filter);
      if (rule.type === 'absence' && rule.known !== null) await this.feedKnown(rule.groupBy, rule.known.filter);
    }
    this.engine.seed(await this.alerts.current());
    this.ready = true;
  }

  private async feedQuery(filter: EventFilter): Promise<void> {
    let cursor: string | null = null;
    do {
      const page = await this.events.queryEvents(filter, { limit: 10_000, ...(cursor !== null ? { cursor } : {}) });
      if (!page.ok) throw page.error;
      this.engine.ingest(page.events);
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  /** The earliest known event of each key: one count and one first-event query per key. */
  private async feedKnown(groupBy: readonly KeyField[], filter: EventFilter): Promise<void> {
    const only = groupBy.length === 1 ? KNOWN_KEY_FIELDS[groupBy[0] as KeyField] : undefined;
    if (only === undefined) return this.feedQuery(filter);
    const counts = await this.events.countBy(only.group, filter);
    if (!counts.ok) throw counts.error;
    for (const { key } of counts.counts) {
      if (key === null) continue;
      const page = await this.events.queryEvents({ ...filter, [only.filter]: key }, { limit: 1 });
      if (!page.ok) throw page.error;
      this.engine.ingest(page.events);
    }
  }

  /**
   * Evaluates every event committed so far and what came due by now; returns the changes it
   * stored. Each page's changes and position are one alert-store transaction.
   */
  async runOnce(): Promise<AlertChange[]> {
    const pageSize = this.options.pageSize ?? 10_000;
    const all: AlertChange[] = [];
    for (;;) {
      const askedMs = Date.now();
      // Only the events the rules select are read (and parsed): most are not.
      const page = await this.events.eventsSince(this.seq, pageSize, this.selection);
      if (!page.ok) throw page.error;
      const batch: RecoveryEvent[] = page.events.map((e) => e.event);
      this.engine.ingest(batch);
      if (this.options.onLatency !== undefined) this.noteCommits(batch);
      // Fewer than a page examined (seqs have gaps, so their span counts at least as many).
      const caughtUp = page.lastSeq - this.seq < pageSize;
      if (caughtUp) this.caughtUpAtMs = askedMs;
      const sinceLast = performance.now() - this.lastEvaluation;
      // Behind a backlog (a batch import), evaluate once caught up, or at least every second:
      // fewer answers that the next page's events would change.
      if ((caughtUp && sinceLast >= (this.options.evaluateIntervalMs ?? 200)) || sinceLast >= 1000) {
        this.lastEvaluation = performance.now();
        let evaluation: SpanContext | undefined;
        const changes = await inSpan('rulesEvaluate', { 'kintsugi.events': batch.length }, async (span) => {
          evaluation = span.spanContext();
          const made = this.engine.evaluate(this.now());
          // The correlation ids of the alerts: the restore a change triggers carries the same one.
          span.setAttributes({ 'kintsugi.changes': made.length, 'kintsugi.correlation_ids': [...new Set(made.map((c) => c.alert.recovery.correlation_id))].slice(0, 100) });
          const moved = page.lastSeq !== this.checkpointed;
          // The position alone is written at most once a second: a restart re-reads a second at most.
          if (made.length > 0 || (moved && performance.now() - this.lastCheckpointWrite >= 1000)) {
            await this.alerts.put(made.map((c) => c.alert), page.lastSeq);
            this.lastCheckpointWrite = performance.now();
            this.checkpointed = page.lastSeq;
          }
          return made;
        });
        if (changes.length > 0) {
          for (const c of changes) this.options.log?.info({ rule: c.alert.rule.id, key: c.alert.recovery.alert.key, alert: c.alert.event.id, status: c.alert.recovery.alert.status, change: c.kind, count: c.alert.recovery.alert.count }, `alert ${c.kind}`);
          this.options.onChanges?.(changes, evaluation);
          all.push(...changes);
        }
        this.tellLatency(changes);
      }
      this.seq = page.lastSeq;
      if (caughtUp) return all;
    }
  }

  /**
   * Rebuilds (the promise resolves then), then follows the store until stop(). A failing pass is
   * logged, and the state rebuilt from the stores before the next one.
   */
  async start(): Promise<void> {
    const rebuilt = this.rebuild();
    this.running = rebuilt.then(() => (this.stopped ? undefined : this.loop()));
    await rebuilt;
  }

  private async loop(): Promise<void> {
    const pause = this.options.pollIntervalMs ?? 100;
    while (!this.stopped) {
      try {
        await this.runOnce();
      } catch (err: unknown) {
        if (this.stopped) return;
        this.options.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'alert evaluation failed; rebuilding from the stores and trying again');
        // The engine may hold answers the alert store did not take: start again from what is stored.
        try {
          this.engine = new RuleEngine(this.rules);
          await this.rebuild();
        } catch (again: unknown) {
          this.options.log?.error({ err: again instanceof Error ? again.message : String(again) }, 'rebuilding the rule state failed; trying again');
        }
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Evaluates what was read and not yet evaluated, and stores the changes with the position. */
  async flush(): Promise<void> {
    const changes = this.engine.evaluate(this.now());
    if (changes.length === 0 && this.seq === this.checkpointed) return;
    await this.alerts.put(changes.map((c) => c.alert), this.seq);
    this.checkpointed = this.seq;
    this.lastCheckpointWrite = performance.now();
    if (changes.length > 0) this.options.onChanges?.(changes);
    this.tellLatency(changes);
  }

  /**
   * The commit time of each event read: its `event.ingested`, kept between the last read that
   * caught up (the event was not there yet) and now, since a document imported with an old
   * `event.ingested` keeps it; without one, now.
   */
  private noteCommits(batch: readonly RecoveryEvent[]): void {
    const readMs = Date.now();
    for (const e of batch) {
      const ms = e.event.ingested !== undefined ? Date.parse(e.event.ingested) : NaN;
      this.unevaluated.set(e.event.id, Number.isFinite(ms) ? Math.min(readMs, Math.max(this.caughtUpAtMs, ms)) : readMs);
    }
  }

  /** The latency of each stored change from the newest new event behind it; then forgets them. */
  private tellLatency(changes: readonly AlertChange[]): void {
    const tell = this.options.onLatency;
    if (tell === undefined) return;
    const storedMs = Date.now();
    for (const c of changes) {
      let newest = -Infinity;
      for (const id of c.alert.recovery.alert.related_event_ids) newest = Math.max(newest, this.unevaluated.get(id) ?? -Infinity);
      if (newest > -Infinity) tell(c.alert.rule.id, Math.max(0, storedMs - newest) / 1000);
    }
    this.unevaluated.clear();
  }

  /**
   * Stops following after the pass under way, and stores what was evaluated. Stopped during the
   * rebuild, it stores nothing: the state was not whole yet.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    // A failed rebuild was reported to start()'s caller.
    await this.running?.catch(() => undefined);
    this.running = null;
    if (this.ready) await this.flush();
  }
}
