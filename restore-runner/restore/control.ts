/**
 * Control of a running restore from outside the engine: progress reports for whoever follows it
 * (the job runner, a UI) and cancellation through an `AbortSignal`. The engine checks the signal
 * between files (tree) and between block batches (image), at points where the target is safe, and
 * stops with `RST_ERR_CANCELLED`, whose message says what the target holds and how to finish.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { rstError } from '../errors.js';

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

/** The engine's side of a `RestoreControl`: throttled reports and the cancellation checkpoints. */
export class ControlPoint {
  private last = Number.NEGATIVE_INFINITY;
  private phase: RestorePhase | undefined;

  constructor(private readonly control: RestoreControl = {}) {}

  report(p: RestoreProgress): void {
    const cb = this.control.onProgress;
    if (cb === undefined) return;
    const now = Date.now();
    if (p.phase === this.phase && now - this.last < (this.control.progressIntervalMs ?? 250)) return;
    this.phase = p.phase;
    this.last = now;
    cb(p);
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
