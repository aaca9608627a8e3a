import type { Policy, Window, Workgroup } from "./types.js";
import { isOpen, nextOpening } from "./windows.js";

const STEP_MS = 60_000;
const MAX_STEPS = 60 * 24 * 400; // a year and a bit of minutes: no window is that long without closing

/**
 * When `ms` of open time in `window` will have passed, counting from `from` ("ack 42 for 4 working
 * hours" on a Friday afternoon runs into Monday). Minute resolution; null if the window never opens.
 */
export function addOpenTime(window: Window, from: number, ms: number): number | null {
  let at = from;
  let left = ms;
  for (let steps = 0; left > 0 && steps < MAX_STEPS; steps++) {
    if (!isOpen(window, at)) {
      const opens = nextOpening(window, at);
      if (opens === null) return null;
      at = opens;
      continue;
    }
    const step = Math.min(STEP_MS, left);
    at += step;
    left -= step;
  }
  return left > 0 ? null : at;
}

/**
 * The window "N working hours" counts for an alert of `workgroup`: the one the workgroup names in
 * `working_hours`, else the window named `working_hours`, else the first window configured.
 */
export function workingHoursWindow(policy: Pick<Policy, "windows">, workgroup: Pick<Workgroup, "workingHours"> | undefined): Window | undefined {
  const named = workgroup?.workingHours ?? "working_hours";
  return (Object.hasOwn(policy.windows, named) ? policy.windows[named] : undefined) ?? Object.values(policy.windows)[0];
}
