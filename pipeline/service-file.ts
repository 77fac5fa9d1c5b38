/**
 * `<data>/service.json`: where a running `kintsugi serve` answers, so that commands on the same
 * data folder go through its API instead of opening the store (DuckDB lets one process hold a
 * file). A module of its own so that those commands can look without loading the service.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE_FILE = 'service.json';

export interface ServiceInfo {
  readonly pid: number;
  readonly url: string;
  readonly started: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: unknown) {
    return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EPERM';
  }
}

/** The service that holds this data folder, if one runs. A file left by a killed one is ignored. */
export function runningService(dataDir: string): ServiceInfo | null {
  const file = join(dataDir, SERVICE_FILE);
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || !('pid' in parsed) || !('url' in parsed) || typeof parsed.pid !== 'number' || typeof parsed.url !== 'string') return null;
  if (!isAlive(parsed.pid)) return null;
  return { pid: parsed.pid, url: parsed.url, started: 'started' in parsed && typeof parsed.started === 'string' ? parsed.started : '' };
}
