// AlertBot's own process not running for a while though nothing ended it: its host or VM paused
// (a snapshot, a live migration, a laptop lid), SIGSTOP, its event loop held. Its links stay up, so
// nothing else tells it that it heard nobody: what its senders sent meanwhile waits unread in its
// sockets. When it runs again its timers fire first, before a byte of that is read, and every
// heartbeat that fell due meanwhile was raised, the people on call paged about agents that were
// up all along (and told they cleared a moment later). The watch looks at the time every second,
// on the real clock; a gap between two looks is such a freeze.
import type { Clock, TimerHandle } from "../clock/clock.js";

/** How often the watch looks at the time. */
export const FREEZE_LOOK_EVERY_MS = 1_000;

/**
 * A gap this long between two looks is a freeze. Far above a busy turn of the event loop; well
 * under the shortest freeze that can make a heartbeat fall due unheard (two of its intervals, and
 * an agent's shortest is 10 s).
 */
export const FROZEN_AFTER_MS = 10_000;

/** Calls `onFreeze` with the gap after the process did not run for FROZEN_AFTER_MS or more. */
export class FreezeWatch {
  private lastSeen: number;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly onFreeze: (gapMs: number) => void,
  ) {
    this.lastSeen = clock.now();
  }

  /** Looks every FREEZE_LOOK_EVERY_MS from now until stopped. */
  start(): void {
    this.stop();
    this.lastSeen = this.clock.now();
    const arm = (): void => {
      this.timer = this.clock.setTimer(FREEZE_LOOK_EVERY_MS, () => {
        this.look();
        arm();
      });
    };
    arm();
  }

  /**
   * Looks now (also before acting on what fell due: the update that woke the process may be read
   * before this watch's own timer runs).
   */
  look(): void {
    if (this.timer === null) return;
    const now = this.clock.now();
    const gap = now - this.lastSeen;
    this.lastSeen = now;
    if (gap >= FROZEN_AFTER_MS) this.onFreeze(gap);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
