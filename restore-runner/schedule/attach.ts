/**
 * Scheduled snapshots inside `kintsugi serve`: when the recovery policy (`restores.policy`) has a
 * `snapshots:` section and the configuration names an instance map (`restores.instances`), a
 * pass over the instances runs at start and then every minute, its events appended to the
 * runner's log that the service follows. A pass never overlaps the next; `stop` waits for it.
 */
import type { Log } from '../../collectors/source.js';
import { messageOf } from '../errors.js';
import { RunnerEventLog, runnerLogPath } from '../events/event-log.js';
import { loadInstanceMap } from '../instances/load.js';
import type { RestoresConfig } from '../jobs/attach.js';
import { loadPolicy } from '../recovery-policy/load.js';
import { validateSchedule } from './load.js';
import { Scheduler } from './run.js';

export const SCHEDULE_PASS_MS = 60_000;

export class ScheduledSnapshots {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly events: RunnerEventLog,
    private readonly log: Log,
    private readonly passMs = SCHEDULE_PASS_MS,
  ) {}

  private pass(): void {
    if (this.stopped) return;
    this.running = this.running.then(async () => {
      try {
        for (const r of await this.scheduler.tick()) {
          if (r.ok) this.log.info({ host: r.instance.host, instance: r.instance.id, snapshot: r.snapshot, boot: r.bootSnapshot, removed: r.removed.length }, 'scheduled snapshot verified');
          else this.log.error({ host: r.instance.host, instance: r.instance.id, stage: r.stage, err: r.error }, 'scheduled snapshot failed');
        }
      } catch (err: unknown) {
        this.log.error({ err: messageOf(err) }, 'scheduled snapshots: pass failed');
      }
    });
  }

  start(): void {
    this.pass();
    this.timer = setInterval(() => this.pass(), this.passMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.running;
    this.events.close();
  }
}

/** The scheduler the configuration asks for, or null (no policy, no schedule, or no instance map). */
export function attachScheduler(config: RestoresConfig | undefined, dataDir: string, log: Log): ScheduledSnapshots | null {
  if (config?.policy === undefined || config.instances === undefined) return null;
  const policy = loadPolicy(config.policy);
  if (policy.snapshots === undefined) return null;
  const schedule = validateSchedule(policy.snapshots, config.policy);
  const events = new RunnerEventLog(runnerLogPath(dataDir));
  return new ScheduledSnapshots(new Scheduler(loadInstanceMap(config.instances), { schedule, emit: events.append }), events, log);
}
