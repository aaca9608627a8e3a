import { onCall } from "../policy/on-call.js";
import type { Person, Workgroup } from "../policy/types.js";
import { HOUR_MS, MINUTE_MS } from "../util/duration.js";

/** A stretch of time one person is first on call for a workgroup. */
export interface RotaSpan {
  readonly person: string | null;
  readonly from: number;
  readonly until: number;
}

/** Who answers for a workgroup now (in order), who is first on call next and when, and the coming spans. */
export interface WorkgroupRota {
  readonly workgroup: string;
  readonly timezone: string;
  readonly now: readonly string[];
  readonly next: { readonly person: string | null; readonly at: number } | null;
  readonly spans: readonly RotaSpan[];
}

// Shifts and overrides start on the quarter hour in practice; a change between samples shows at the next one.
const STEP_MS = 15 * MINUTE_MS;

/** The rota of `workgroup` from `now` over `horizonMs` (a week on the page), sampled every quarter hour. */
export function workgroupRota(
  workgroup: Workgroup,
  people: readonly Person[],
  now: number,
  horizonMs: number,
): WorkgroupRota {
  const first = (at: number): string | null => onCall(workgroup, at, people)[0]?.name ?? null;
  const spans: RotaSpan[] = [];
  let current = first(now);
  let from = now;
  const end = now + horizonMs;
  // Sample on quarter-hour boundaries after now.
  for (let t = Math.ceil((now + 1) / STEP_MS) * STEP_MS; t < end; t += STEP_MS) {
    const who = first(t);
    if (who !== current) {
      spans.push({ person: current, from, until: t });
      current = who;
      from = t;
    }
  }
  spans.push({ person: current, from, until: end });
  const nextSpan = spans[1];
  return {
    workgroup: workgroup.name,
    timezone: workgroup.timezone,
    now: onCall(workgroup, now, people).map((p) => p.name),
    next: nextSpan === undefined ? null : { person: nextSpan.person, at: nextSpan.from },
    spans,
  };
}

/** A week, the horizon of the on-call page. */
export const ROTA_HORIZON_MS = 7 * 24 * HOUR_MS;
