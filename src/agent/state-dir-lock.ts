// One agent per state directory, for as long as it runs. Two would each give out the outbox's next
// sequence (the second write of one fails as a duplicate key) and publish over each other. The lock
// is taken at start; an admin who takes its file for a stale one and removes it (after the second
// agent said it was held) used to let that second agent make a new file, lock it and run beside
// the first, with nothing said. So the first looks at its lock every few seconds, as AlertBot does
// at its database's (src/store/instance-lock.ts).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";
import { Outbox } from "../store/outbox.js";

/** How often a running agent looks at its state directory's lock. */
export const LOCK_CHECK_EVERY_MS = 10_000;

/** The agent's outbox, in its state directory (the lock is its `.lock` file). */
export const outboxFile = (stateDir: string): string => join(stateDir, "outbox.sqlite");

/**
 * Makes this process the only agent on `stateDir` for as long as it runs: a second one (a manual
 * run beside the service) throws StoreError naming the directory, before it touches the outbox.
 */
export function lockStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  Outbox.lockFor(outboxFile(stateDir));
}

export interface StateDirLockWatchDeps {
  readonly stateDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * Another agent holds the state directory's lock now: this one must stop, and leave the
   * directory (its queued updates included: they are in the same outbox) to that one.
   */
  readonly taken: (reason: string) => void;
  readonly everyMs?: number;
}

/**
 * Looks at the lock taken by lockStateDir every LOCK_CHECK_EVERY_MS until stopped. Its file removed
 * under it, the lock is taken again at the path (logged, since meanwhile a second agent could have
 * started); taken first by another agent, `taken` is called once and the watch ends.
 */
export class StateDirLockWatch {
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(private readonly deps: StateDirLockWatchDeps) {
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(this.deps.everyMs ?? LOCK_CHECK_EVERY_MS, () => {
      this.timer = null;
      if (this.check()) this.arm();
    });
  }

  /** False once another agent has the lock. */
  private check(): boolean {
    const { stateDir, log } = this.deps;
    let change;
    try {
      change = Outbox.recheckLock(outboxFile(stateDir));
    } catch (err) {
      log.warn("cannot look at the state directory's lock; looking again later", { stateDir, err });
      return true;
    }
    if (change?.kind === "retaken")
      log.warn("the agent's lock file was removed or replaced under it: taken again", {
        stateDir,
        change: change.reason,
        why: "while it is gone, a second agent can start on this state directory",
      });
    if (change?.kind !== "taken") return true;
    this.deps.taken(change.reason);
    return false;
  }
}
