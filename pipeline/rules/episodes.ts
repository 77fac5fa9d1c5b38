/**
 * The episodes of one rule and one key: pure functions of that key's events (sorted by event
 * time) and the horizon (the evaluation time less the allowed lateness). An episode is one alert:
 * when the condition started to hold, what it covers, and when it stopped (null: still holds).
 *
 * Windows are half-open, `(t - W, t]`: an event W or more before t is out of t's window.
 *
 * - threshold: sliding window over the matches (count, or distinct values). The episode fires at
 *   the match that brings the window to the threshold; later matches join it while each comes
 *   less than W after the previous one; it resolves W after its last match. The next episode
 *   needs the threshold again, from matches after the resolution.
 * - absence: from each match (and from the key's first known event when it precedes every
 *   match), a gap of W or more before the next match is an episode: fired at start + W, resolved
 *   at the next match.
 * - sequence: a `first` event without a `then` event at or after it and less than W later holds
 *   from first + W until the first `then` after it (or on); overlapping holds are one episode.
 */
import { compareCodePoints } from '../store/record.js';

/** What a rule keeps of a matching event. */
export interface Hit {
  readonly id: string;
  readonly ts: number;
  /** The value counted by a distinct threshold (null when the rule counts events). */
  readonly value: string | null;
  readonly host: string;
  readonly osVersion: string;
  readonly kernel?: string;
  readonly filePath?: string;
  readonly correlationId?: string;
  readonly categories: readonly string[];
}

export interface Episode {
  readonly firedAt: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly resolvedAt: number | null;
  /** The events behind the episode, in time order. */
  readonly hits: readonly Hit[];
  readonly count: number;
  readonly distinct: number | null;
}

/** Event-time order: @timestamp, then event.id by code point. */
export function compareHits(a: Hit, b: Hit): number {
  return a.ts - b.ts || compareCodePoints(a.id, b.id);
}

export function thresholdEpisodes(hits: readonly Hit[], threshold: number, windowMs: number, distinct: boolean, horizon: number): Episode[] {
  const episodes: Episode[] = [];
  // The window: hits[start..i], and the count of each distinct value in it.
  let start = 0;
  const values = new Map<string, number>();
  let current: { firedAt: number; firstSeen: number; hits: Hit[]; values: Set<string> } | null = null;
  const close = (resolvedAt: number | null): void => {
    if (current === null) return;
    const last = current.hits.at(-1) as Hit;
    episodes.push({
      firedAt: current.firedAt,
      firstSeen: current.firstSeen,
      lastSeen: last.ts,
      resolvedAt,
      hits: current.hits,
      count: current.hits.length,
      distinct: distinct ? current.values.size : null,
    });
    current = null;
  };
  for (let i = 0; i < hits.length; i++) {
    const hit = hits[i] as Hit;
    if (current !== null) {
      const lastTs = (current.hits.at(-1) as Hit).ts;
      // A later stored match W or more after the last one: the episode ended W after it.
      if (hit.ts - lastTs >= windowMs) close(lastTs + windowMs);
    }
    while (start < i && (hits[start] as Hit).ts <= hit.ts - windowMs) {
      const old = hits[start++] as Hit;
      if (old.value !== null) {
        const n = (values.get(old.value) ?? 1) - 1;
        if (n === 0) values.delete(old.value);
        else values.set(old.value, n);
      }
    }
    if (hit.value !== null) values.set(hit.value, (values.get(hit.value) ?? 0) + 1);
    if (current !== null) {
      current.hits.push(hit);
      if (hit.value !== null) current.values.add(hit.value);
      continue;
    }
    const size = distinct ? values.size : i - start + 1;
    if (size >= threshold) {
      const window = hits.slice(start, i + 1);
      current = { firedAt: hit.ts, firstSeen: (window[0] as Hit).ts, hits: window, values: new Set(window.flatMap((h) => (h.value === null ? [] : [h.value]))) };
    }
  }
  if (current !== null) {
    const lastTs = ((current as { hits: Hit[] }).hits.at(-1) as Hit).ts;
    close(lastTs + windowMs <= horizon ? lastTs + windowMs : null);
  }
  return episodes;
}

export function absenceEpisodes(matches: readonly Hit[], known: Hit | null, windowMs: number, horizon: number): Episode[] {
  const points: Hit[] = [];
  const first = matches[0];
  if (known !== null && (first === undefined || compareHits(known, first) < 0)) points.push(known);
  points.push(...matches);
  const episodes: Episode[] = [];
  for (let i = 0; i < points.length; i++) {
    const from = points[i] as Hit;
    const next = points[i + 1];
    const firedAt = from.ts + windowMs;
    if (firedAt > horizon) continue;
    if (next !== undefined && next.ts < firedAt) continue;
    episodes.push({ firedAt, firstSeen: from.ts, lastSeen: from.ts, resolvedAt: next === undefined ? null : next.ts, hits: [from], count: 0, distinct: null });
  }
  return episodes;
}

export function sequenceEpisodes(firsts: readonly Hit[], thens: readonly Hit[], windowMs: number, horizon: number): Episode[] {
  const holds: { from: number; to: number | null; first: Hit; then: Hit | null }[] = [];
  let j = 0;
  for (const a of firsts) {
    while (j < thens.length && (thens[j] as Hit).ts < a.ts) j++;
    const b = thens[j] ?? null;
    if (b !== null && b.ts < a.ts + windowMs) continue;
    if (a.ts + windowMs > horizon) continue;
    holds.push({ from: a.ts + windowMs, to: b === null ? null : b.ts, first: a, then: b });
  }
  holds.sort((x, y) => x.from - y.from || compareHits(x.first, y.first));
  const episodes: Episode[] = [];
  let k = 0;
  while (k < holds.length) {
    const head = holds[k] as (typeof holds)[number];
    let to = head.to;
    const group = [head];
    k++;
    while (k < holds.length && (to === null || (holds[k] as (typeof holds)[number]).from < to)) {
      const h = holds[k] as (typeof holds)[number];
      to = to === null || h.to === null ? null : Math.max(to, h.to);
      group.push(h);
      k++;
    }
    const starts = group.map((h) => h.first);
    const ends = group.flatMap((h) => (h.then === null ? [] : [h.then]));
    const hits = [...new Map([...starts, ...ends].map((h) => [h.id, h])).values()].sort(compareHits);
    episodes.push({
      firedAt: head.from,
      firstSeen: (starts[0] as Hit).ts,
      lastSeen: (starts.at(-1) as Hit).ts,
      resolvedAt: to,
      hits,
      count: starts.length,
      distinct: null,
    });
  }
  return episodes;
}
