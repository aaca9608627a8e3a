import type { Damping } from "./types.js";

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
