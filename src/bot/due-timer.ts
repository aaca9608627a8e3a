import type { Clock, TimerHandle } from "../clock/clock.js";

// A floor between wake-ups, so a due time that somehow stays in the past cannot spin the CPU.
const MIN_INTERVAL_MS = 250;

/**
 * Keeps one timer armed for the earliest due time the store knows, and calls `onDue` then.
 * `rearm()` after anything that may have changed the earliest due time.
 */
export class DueTimer {
  private timer: TimerHandle | null = null;
  private armedFor: number | null = null;
  private lastRun = -Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly nextDue: () => number | null,
    private readonly onDue: () => void,
  ) {}

  /** Arms the timer for the store's next due time (or disarms it when nothing is due). */
  rearm(): void {
    if (this.stopped) return;
    const due = this.nextDue();
    if (due === null) return this.disarm();
    const at = Math.max(due, this.lastRun + MIN_INTERVAL_MS);
    if (this.timer && this.armedFor === at) return;
    this.disarm();
    this.armedFor = at;
    this.timer = this.clock.setTimer(at - this.clock.now(), () => {
      this.timer = null;
      this.armedFor = null;
      this.lastRun = this.clock.now();
      this.onDue();
      this.rearm();
    });
  }

  /** Cancels the timer for good. */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = null;
    this.armedFor = null;
  }
}
