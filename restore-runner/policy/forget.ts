/**
 * Which snapshots to keep: a pure function of the list and the keep rules that says why each
 * snapshot is kept or removed (restic's ApplyPolicy). Snapshots are grouped by host, instance,
 * kind and source; inside a group, newest first, `last` keeps the N newest, `hourly`/`daily`/
 * `weekly`/`monthly`/`yearly` keep the newest snapshot of each of the N most recent periods
 * (UTC; ISO weeks) that have one, and `tags` keeps every snapshot that carries one of them.
 */
export interface KeepPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  readonly tags?: readonly string[];
}

export interface PolicySnapshot {
  readonly id: string;
  readonly time: string;
  readonly host: string;
  readonly instance: string | null;
  readonly kind: string;
  readonly source: string;
  readonly tags: readonly string[];
}

export interface Decision {
  readonly id: string;
  readonly group: string;
  readonly reasons: readonly string[];
}

export interface PolicyResult {
  readonly keep: readonly Decision[];
  readonly remove: readonly Decision[];
}

export function isEmptyPolicy(p: KeepPolicy): boolean {
  return (p.last ?? 0) + (p.hourly ?? 0) + (p.daily ?? 0) + (p.weekly ?? 0) + (p.monthly ?? 0) + (p.yearly ?? 0) === 0 && (p.tags?.length ?? 0) === 0;
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() === 0 ? 7 : t.getUTCDay();
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const PERIODS = [
  ['hourly', (d: Date) => d.toISOString().slice(0, 13)],
  ['daily', (d: Date) => d.toISOString().slice(0, 10)],
  ['weekly', isoWeek],
  ['monthly', (d: Date) => d.toISOString().slice(0, 7)],
  ['yearly', (d: Date) => d.toISOString().slice(0, 4)],
] as const;

/** An empty policy keeps everything (a caller that means "remove all" must say so elsewhere). */
export function applyPolicy(snapshots: readonly PolicySnapshot[], policy: KeepPolicy): PolicyResult {
  const groups = new Map<string, PolicySnapshot[]>();
  for (const s of snapshots) {
    const g = `${s.host}|${s.instance ?? ''}|${s.kind}|${s.source}`;
    const list = groups.get(g) ?? [];
    list.push(s);
    groups.set(g, list);
  }
  const keep: Decision[] = [];
  const remove: Decision[] = [];
  for (const [group, list] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...list].sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
    const reasons = new Map<string, string[]>(sorted.map((s) => [s.id, []]));
    const add = (id: string, why: string): void => {
      reasons.get(id)?.push(why);
    };
    if (isEmptyPolicy(policy)) for (const s of sorted) add(s.id, 'no keep rule given: everything kept');
    sorted.slice(0, policy.last ?? 0).forEach((s, i) => add(s.id, `last snapshot #${i + 1}`));
    for (const [name, bucketOf] of PERIODS) {
      const n = policy[name] ?? 0;
      const seen = new Set<string>();
      for (const s of sorted) {
        if (seen.size >= n) break;
        const bucket = bucketOf(new Date(s.time));
        if (seen.has(bucket)) continue;
        seen.add(bucket);
        add(s.id, `${name} snapshot for ${bucket}`);
      }
    }
    for (const s of sorted) for (const t of policy.tags ?? []) if (s.tags.includes(t)) add(s.id, `has tag ${t}`);
    for (const s of sorted) {
      const why = reasons.get(s.id) ?? [];
      if (why.length > 0) keep.push({ id: s.id, group, reasons: why });
      else remove.push({ id: s.id, group, reasons: ['matched no keep rule'] });
    }
  }
  return { keep, remove };
}
