/**
 * Control of a running restore from outside the engine: progress reports for whoever follows it
 * (the job runner, a UI) and cancellation through an `AbortSignal`. The engine checks the signal
 * between files (tree) and between block batches (image), at points where the target is safe, and
 * stops with `RST_ERR_CANCELLED`, whose message says what the target holds and how to finish.
 * The same reports draw the terminal progress bar (progress.ts) of a command run by hand.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { rstError } from '../errors.js';
import { createProgress, type Progress } from '../progress.js';

export type RestorePhase = 'plan' | 'write' | 'verify' | 'done';

export interface RestoreProgress {
  readonly phase: RestorePhase;
  /** Bytes of this phase done / to do (plan of an image delta: bytes of the target hashed). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Tree restores: files written / to write. */
  readonly filesDone?: number;
  readonly filesTotal?: number;
}

export interface RestoreControl {
  /** Called at most every `progressIntervalMs`, at every change of phase, and once at the end (`done`). */
  readonly onProgress?: (p: RestoreProgress) => void;
  readonly signal?: AbortSignal;
  /** Default 250 ms. */
  readonly progressIntervalMs?: number;
}

/**
 * The terminal bar's label of each phase, null for a phase without one (a bar per phase; `done`
 * ends the last).
 */
export type PhaseLabel = (phase: Exclude<RestorePhase, 'done'>) => string | null;

/** The bars of `kintsugi restore`: the scan of the target and the writing; read-back is not followed by bytes. */
export function restoreBars(mode: () => string): PhaseLabel {
  return (phase) => (phase === 'write' ? `restore (${mode()})` : phase === 'plan' ? 'plan' : null);
}

/** The engine's side of a `RestoreControl`: throttled reports, the terminal bar, the cancellation checkpoints. */
export class ControlPoint {
  private last = Number.NEGATIVE_INFINITY;
  private phase: RestorePhase | undefined;
  private bar: { readonly phase: RestorePhase; readonly progress: Progress } | undefined;

  /** `terminal`: the labels of a progress bar on stderr (drawn only when it is a TTY); null for none. */
  constructor(
    private readonly control: RestoreControl = {},
    private readonly terminal: PhaseLabel | null = null,
  ) {}

  report(p: RestoreProgress): void {
    this.draw(p);
    const cb = this.control.onProgress;
    if (cb === undefined) return;
    const now = Date.now();
    if (p.phase === this.phase && now - this.last < (this.control.progressIntervalMs ?? 250)) return;
    this.phase = p.phase;
    this.last = now;
    cb(p);
  }

  private draw(p: RestoreProgress): void {
    if (this.terminal === null) return;
    if (p.phase === 'done') {
      this.bar?.progress.done();
      this.bar = undefined;
      return;
    }
    if (this.bar?.phase !== p.phase) {
      this.bar?.progress.done();
      const label = this.terminal(p.phase);
      this.bar = label === null ? undefined : { phase: p.phase, progress: createProgress(label, p.bytesTotal) };
    }
    this.bar?.progress.update(p.bytesDone);
  }

  get cancelled(): boolean {
    return this.control.signal?.aborted === true;
  }

  /**
   * A point where the target is safe: yields to the event loop (so that a cancel request served by
   * the same process, the API's, can arrive) and tells whether the restore is to stop here.
   */
  async stopHere(): Promise<boolean> {
    if (this.control.signal === undefined) return false;
    await nextTurn();
    return this.cancelled;
  }
}

/** The error a cancelled restore ends with: `state` says what the target holds now. */
export function cancelled(target: string, state: string): Error {
  return rstError('RST_ERR_CANCELLED', target, state);
}
