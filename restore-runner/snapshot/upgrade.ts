/**
 * `repo upgrade`: a version 1 repository becomes version 2 (FORMAT.md, "Changes") by writing a
 * signed snapshot log that adds every snapshot that verifies today, then the new config. A crash
 * before the config is rewritten leaves a version 1 repository; running it again starts over.
 */
import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import type { RstError } from '../errors.js';
import { encodeConfig } from '../format/v1/config.js';
import type { Id } from '../format/v1/ids.js';
import { LOG_GENESIS } from '../format/v2/snapshot-log.js';
import { tmpName, writeAtomic } from '../repository/files.js';
import { Repository } from '../repository/repository.js';
import { listSnapshots } from './load.js';
import { signLogLines } from './log.js';

export interface UpgradeReport {
  readonly from: number;
  readonly to: number;
  /** Snapshots entered in the log, oldest first. */
  readonly logged: readonly Id[];
  /** Snapshots that do not verify: left out of the log, so no longer trusted. */
  readonly refused: readonly RstError[];
}

export function upgradeRepository(repo: Repository, signingKey: KeyObject): UpgradeReport {
  if (repo.config.version === 2) return { from: 2, to: 2, logged: [], refused: [] };
  const { records, errors } = listSnapshots(repo, createPublicKey(signingKey));
  const logged = records.map((r) => r.id);
  repo.writeLogFile(signLogLines(repo, signingKey, { seq: 0, head: LOG_GENESIS }, logged.map((snapshot) => ({ op: 'add' as const, snapshot }))));
  writeAtomic(tmpName(repo.tmpDir, 'config'), join(repo.dir, 'config'), [Buffer.from(encodeConfig({ ...repo.config, version: 2 }))]);
  Repository.open(repo.dir).assertWritable();
  return { from: 1, to: 2, logged, refused: errors };
}
