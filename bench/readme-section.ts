/**
 * Each benchmark owns one section of bench/README.md, between `<!-- bench:NAME:start -->` and
 * `<!-- bench:NAME:end -->`; writing it leaves every other section as it is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeReadmeSection(name: string, body: readonly string[]): void {
  const path = join(process.cwd(), 'bench', 'README.md');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = [start, ...body, end].join('\n');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from !== -1 && to > from ? current.slice(0, from) + section + current.slice(to + end.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}
