/**
 * The durable job queue: one JSON file per job in `<data>/restores/jobs/`, each replaced whole
 * (temporary file, fsync, rename, fsync of the folder), so a runner killed at any point leaves
 * every job file either as it was or as it became. The runner holds them in memory.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpName, writeAtomic } from '../repository/files.js';
import { JobError } from './errors.js';
import { isJob, type Job } from './job.js';

export const JOBS_DIR = join('restores', 'jobs');

export class JobStore {
  private readonly jobs = new Map<string, Job>();
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, JOBS_DIR);
  }

  /** Reads every job file; a file that is not a job is reported and left alone. */
  load(onBad: (file: string, why: string) => void = () => undefined): void {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err: unknown) {
      throw new JobError('JOB_ERR_STORE', this.dir, err instanceof Error ? err.message : String(err));
    }
    this.jobs.clear();
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const file = join(this.dir, name);
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err: unknown) {
        onBad(file, err instanceof Error ? err.message : String(err));
        continue;
      }
      if (!isJob(parsed)) {
        onBad(file, 'not a restore job');
        continue;
      }
      this.jobs.set(parsed.id, parsed);
    }
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Every job, oldest first. */
  all(): Job[] {
    return [...this.jobs.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  put(job: Job): void {
    writeAtomic(tmpName(this.dir, '.tmp-job'), join(this.dir, `${job.id}.json`), [Buffer.from(`${JSON.stringify(job, null, 2)}\n`)]);
    this.jobs.set(job.id, job);
  }
}
