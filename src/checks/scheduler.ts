// Scheduling the agent's checks: each runs on its interval, its runs pass through k-of-n flap
// damping, and what that decides becomes the check's alert.
import type { AgentAlert } from "../codec/build-update.js";
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";
import type { CheckRun, CheckSpec, CheckStatus, Damping } from "./check-config.js";
import { detailHtml } from "./run-command.js";

/** Everything the scheduler needs, injected. */
export interface CheckSchedulerDeps {
  clock: Clock;
  log: Logger;
  /** Runs one check; never rejects (see runCheckCommand). The signal aborts when the scheduler stops. */
  run: (spec: CheckSpec, signal: AbortSignal) => Promise<CheckRun>;
  /** At most this many checks run at once; the others wait their turn. */
  maxConcurrent: number;
  /** Receives the alert changes of one moment together, to go out as one update. */
  onChanges: (alerts: AgentAlert[]) => void;
  /** A change waits at most this long for the other checks of its moment (default 1 s). */
  batchMs?: number;
  /** How long a run holds one of the `maxConcurrent` places (default SLOT_HOLD_MS). */
  slotHoldMs?: number;
}

/**
 * How long a run holds one of the places `maxConcurrent` counts; past it, it runs on outside
 * the limit until it ends or its timeout kills it. Checks that hang (a dead NFS mount, a remote
 * host that never answers) held every place for their whole timeout, up to an hour, and every
 * other check waited behind them, silent, however failed. The limit spreads the load of checks
 * starting together; a hung check adds none. Each check runs one copy at a time, so the number of
 * processes stays within the number of checks.
 */
export const SLOT_HOLD_MS = 30_000;

/** The latest output of raised checks whose status did not change: state to keep, not news to send. */
export type LatestListener = (alerts: AgentAlert[]) => void;

interface Entry {
  spec: CheckSpec;
  damping: DampingWindow;
  /** The status last published while raised, to notice WARNING → CRITICAL. */
  shown: CheckStatus | null;
  timer: TimerHandle | null;
  queued: boolean;
  running: boolean;
  /** Aborts this entry's run alone: on reload or removal, as well as when the scheduler stops. */
  readonly abort: AbortController;
  /** Settles when the run in progress ends (resolved at once when none runs). */
  ended: Promise<void>;
  /** A reloaded check's first run waits for the old copy to end: never two copies of one check. */
  waiting: boolean;
}

/**
 * Runs checks on their intervals with a concurrency limit, damps their verdicts and hands the
 * resulting alert changes on in batches: the changes of one moment become one AlertUpdate.
 */
export class CheckScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly ready: Entry[] = [];
  private readonly pending = new Map<string, AgentAlert>();
  /** Runs holding a place (see SLOT_HOLD_MS). */
  private active = 0;
  /** Runs in progress, holding a place or not. */
  private runs = 0;
  private flushTimer: TimerHandle | null = null;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly stopping = new AbortController();
  private latest: LatestListener | null = null;

  constructor(private readonly deps: CheckSchedulerDeps) {}

  /**
   * Sets the checks (at start and on every reload). New and changed checks run at once; unchanged
   * ones keep their schedule and damping; removed ones stop (their alerts are the caller's to drop).
   * A changed or removed check that is running is killed, and a changed one's first run waits for
   * the old copy to end: two copies of one check (a backup, a lock-taking plugin) must never overlap.
   * `raisedNow(id)` says whether a check's alert is raised already (from the agent's saved state).
   */
  setChecks(specs: readonly CheckSpec[], raisedNow: (id: string) => boolean): void {
    const wanted = new Map(specs.map((s) => [s.id, s]));
    for (const [id, entry] of this.entries) {
      if (wanted.has(id)) continue;
      retire(entry);
      this.entries.delete(id);
      this.pending.delete(id);
    }
    for (const spec of specs) {
      const old = this.entries.get(spec.id);
      if (old && JSON.stringify(old.spec) === JSON.stringify(spec)) continue;
      if (old) retire(old);
      const raised = old ? old.damping.raised : raisedNow(spec.id);
      const entry: Entry = {
        spec,
        damping: new DampingWindow(spec.damping, raised),
        shown: old?.shown ?? null,
        timer: null,
        queued: false,
        running: false,
        abort: new AbortController(),
        ended: Promise.resolve(),
        waiting: false,
      };
      this.entries.set(spec.id, entry);
      if (!old?.running) this.due(entry);
      else {
        entry.waiting = true;
        void old.ended.then(() => {
          entry.waiting = false;
          this.due(entry);
        });
      }
    }
  }

  /**
   * Receives, after each run of a raised check whose status stayed the same, its alert with the
   * run's output: a changed summary alone is no update, but the next full state must carry it.
   */
  onLatest(listener: LatestListener): void {
    this.latest = listener;
  }

  /** The ids of the configured checks. */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** Resolves once no check runs or waits and every change has been handed on. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduling and kills the checks still running (their results are dropped). */
  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    for (const e of this.entries.values()) e.timer?.cancel();
    this.flushTimer?.cancel();
    this.entries.clear();
    this.ready.length = 0;
    this.pending.clear();
  }

  private due(entry: Entry): void {
    if (this.stopped || entry.queued || entry.running || entry.waiting) return;
    if (this.entries.get(entry.spec.id) !== entry) return;
    entry.queued = true;
    this.ready.push(entry);
    this.startReady();
  }

  private startReady(): void {
    while (this.active < this.deps.maxConcurrent) {
      const entry = this.ready.shift();
      if (!entry) return;
      entry.queued = false;
      if (this.entries.get(entry.spec.id) !== entry) continue;
      this.start(entry);
    }
  }

  private start(entry: Entry): void {
    const { clock, log, run } = this.deps;
    entry.running = true;
    this.active++;
    this.runs++;
    let holding = true;
    const release = (): void => {
      if (!holding) return;
      holding = false;
      this.active--;
    };
    const slotTimer = clock.setTimer(this.deps.slotHoldMs ?? SLOT_HOLD_MS, () => {
      if (!holding) return;
      log.warn("a check runs long: it goes on outside max_concurrent, so the others are not held up", {
        check: entry.spec.id,
        timeoutMs: entry.spec.timeoutMs,
      });
      release();
      this.startReady();
    });
    const startedAt = clock.now();
    const signal = AbortSignal.any([this.stopping.signal, entry.abort.signal]);
    let ended = (): void => undefined;
    entry.ended = new Promise((resolve) => (ended = resolve));
    const unknown = (err: unknown): CheckRun => ({
      status: "unknown",
      summary: `check failed to run: ${String(err)}`,
      detail: "",
      exitCode: null,
      timedOut: false,
    });
    void run(entry.spec, signal)
      .catch(unknown)
      .then((result) => {
        slotTimer.cancel();
        release();
        this.runs--;
        entry.running = false;
        ended();
        if (!this.stopped && this.entries.get(entry.spec.id) === entry) {
          log.debug("check ran", {
            check: entry.spec.id,
            status: result.status,
            exitCode: result.exitCode,
            timedOut: result.timedOut,
          });
          this.judge(entry, result);
          entry.timer = clock.setTimer(nextRunWaitMs(startedAt, clock.now(), entry.spec.intervalMs), () =>
            this.due(entry),
          );
        }
        this.startReady();
        this.settle();
      });
  }

  private judge(entry: Entry, result: CheckRun): void {
    const failed = result.status !== "ok";
    const edge = entry.damping.record(failed);
    const id = entry.spec.id;
    if (edge === "raise" || (edge === null && entry.damping.raised && failed && result.status !== entry.shown)) {
      if (edge === "raise")
        this.deps.log.info("check raised", { check: id, status: result.status, summary: result.summary });
      entry.shown = result.status;
      this.pending.set(id, checkAlert(entry.spec, result, "raised"));
    } else if (edge === "clear") {
      this.deps.log.info("check cleared", { check: id, summary: result.summary });
      entry.shown = null;
      this.pending.set(id, checkAlert(entry.spec, result, "cleared"));
    } else if (entry.damping.raised && failed) {
      // Same status: a change still waiting for its batch takes the newer text; otherwise it is kept.
      const alert = checkAlert(entry.spec, result, "raised");
      if (this.pending.has(id)) this.pending.set(id, alert);
      else this.latest?.([alert]);
    }
  }

  // Hands the batch on when the moment is over (nothing runs or waits), or after batchMs at most.
  private settle(): void {
    if (this.pending.size > 0 && this.runs === 0 && this.ready.length === 0) this.flush();
    else if (this.pending.size > 0 && !this.flushTimer)
      this.flushTimer = this.deps.clock.setTimer(this.deps.batchMs ?? 1_000, () => this.flush());
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private flush(): void {
    this.flushTimer?.cancel();
    this.flushTimer = null;
    if (this.pending.size === 0 || this.stopped) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.deps.onChanges(batch);
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private isIdle(): boolean {
    if (this.runs > 0 || this.ready.length > 0 || this.pending.size > 0) return false;
    for (const e of this.entries.values()) if (e.waiting) return false;
    return true;
  }
}

/**
 * How long to wait before a check's next run, counted from the start of its last run: never more
 * than the interval. The clock is the wall clock, which NTP or an operator may step: a step back by
 * an hour while a check runs would otherwise hold its next run back by that hour, unnoticed (the
 * heartbeat keeps going); a step forward runs it at once.
 */
export function nextRunWaitMs(startedAtMs: number, nowMs: number, intervalMs: number): number {
  return Math.min(intervalMs, Math.max(0, startedAtMs + intervalMs - nowMs));
}

// A check being replaced or removed: no further run, and the one in progress is killed.
function retire(entry: Entry): void {
  entry.timer?.cancel();
  entry.abort.abort();
}

/** What one run did to a damped check: raised it, cleared it, or nothing visible. */
export type DampingEdge = "raise" | "clear" | null;

/**
 * k-of-n flap damping for one check: raises when `raise` of the last `of` runs failed, clears
 * after `clear` passes in a row. A clear starts the window afresh, so one failure right after a
 * clear does not raise again on the strength of failures already acted upon.
 */
export class DampingWindow {
  private window: boolean[] = [];
  private passes = 0;

  constructor(
    private readonly rule: Damping,
    private raisedNow: boolean,
  ) {}

  /** Whether the check's alert is raised. */
  get raised(): boolean {
    return this.raisedNow;
  }

  /** Records one run (true: it failed) and says whether the alert changes. */
  record(failed: boolean): DampingEdge {
    this.window.push(failed);
    if (this.window.length > this.rule.of) this.window.shift();
    this.passes = failed ? 0 : this.passes + 1;
    if (!this.raisedNow && this.window.filter(Boolean).length >= this.rule.raise) {
      this.raisedNow = true;
      return "raise";
    }
    if (this.raisedNow && this.passes >= this.rule.clear) {
      this.raisedNow = false;
      this.window = [];
      return "clear";
    }
    return null;
  }
}

/** The alert a check's run stands for: raised with the importance of its status, or cleared. */
export function checkAlert(spec: CheckSpec, run: CheckRun, state: "raised" | "cleared"): AgentAlert {
  const detail = detailHtml(run.detail);
  return {
    id: spec.id,
    state,
    ...(spec.subject !== null ? { subject: spec.subject } : {}),
    ...(run.summary !== "" ? { summary: run.summary } : {}),
    ...(detail !== "" ? { detail } : {}),
    ...(state === "raised" && run.status !== "ok" ? { importance: spec.importance[run.status] } : {}),
  };
}
