/**
 * Each benchmark owns one section of bench/README.md, between `<!-- bench:NAME:start -->` and
 * `<!-- bench:NAME:end -->`; writing it leaves every other section as it is. What follows a
 * `<!-- bench:NAME:notes -->` line inside the section (measurements made by hand, reading of the
 * figures, history) is kept: a run replaces only the part before it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `readme` with the section of `name` holding `body` (and the section's notes, when it had some). */
export function withReadmeSection(readme: string, name: string, body: readonly string[]): string {
  const start = `<!-- bench:${name}:start -->`;
  const notes = `<!-- bench:${name}:notes -->`;
  const end = `<!-- bench:${name}:end -->`;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to < from) return `${readme.trimEnd()}\n\n${[start, ...body, end].join('\n')}\n`;
  const at = readme.indexOf(notes, from);
  const kept = at !== -1 && at < to ? readme.slice(at, to).trimEnd().split('\n') : [];
  const section = [start, ...body, ...(kept.length > 0 ? ['', ...kept] : []), end].join('\n');
  return readme.slice(0, from) + section + readme.slice(to + end.length);
}

export function writeReadmeSection(name: string, body: readonly string[]): void {
  const path = join(process.cwd(), 'bench', 'README.md');
  writeFileSync(path, withReadmeSection(existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n', name, body));
}
