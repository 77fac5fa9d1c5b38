/** Filling a directory with real files from the system, for the benchmark and the ext4 test. */
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 1024 * 1024;

/**
 * Copy regular system files (under /usr/share, /usr/lib, /usr/bin) into `dir` until about `bytes`
 * are copied, 64 subfolders; every fifth file a second time when `repeat` (repeated data).
 */
export function fill(dir: string, bytes: number, repeat = true): { bytes: number; files: number } {
  let copied = 0;
  let files = 0;
  const walk = (from: string, depth: number): void => {
    if (copied >= bytes || depth > 6) return;
    let names: string[];
    try {
      names = readdirSync(from).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (copied >= bytes) return;
      const p = join(from, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile() && st.size > 0 && st.size < 64 * MiB) {
        const sub = join(dir, `d${files % 64}`);
        mkdirSync(sub, { recursive: true });
        try {
          copyFileSync(p, join(sub, `${files}-${name}`));
        } catch {
          continue;
        }
        copied += st.size;
        files++;
        if (repeat && files % 5 === 0 && copied < bytes) {
          copyFileSync(p, join(sub, `${files}-copy-${name}`));
          copied += st.size;
          files++;
        }
      }
    }
  };
  for (const root of ['/usr/share', '/usr/lib', '/usr/bin']) walk(root, 0);
  return { bytes: copied, files };
}
