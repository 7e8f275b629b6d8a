/**
 * Virtual time for offline tests: the executor's sleeps (retry delays, reconnect waits) advance
 * the clock at once instead of waiting, and the device reads the same clock, so a runbook that
 * polls for a minute runs in milliseconds and time-driven devices (the INV_SPI plug-in's counters)
 * still see the minute pass.
 */
export class VirtualClock {
  private t: number;

  /** Starts at `start` (ms since epoch; default 2025-01-10T12:00:00Z, fixed so runs repeat). */
  constructor(start = Date.UTC(2025, 0, 10, 12, 0, 0)) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  advance(ms: number): void {
    this.t += Math.max(0, ms);
  }

  /** The executor's sleep: returns at once (an aborted signal skips the wait, as abortableSleep does). */
  readonly sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    if (!signal?.aborted) this.advance(ms);
  };

  /** Virtual ms elapsed since `from`. */
  since(from: number): number {
    return this.t - from;
  }
}
