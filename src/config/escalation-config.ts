import type { EscalationPolicy, Level, StepTarget } from "../policy/types.js";
import { list, maybe, object, optional, orFalse, transform } from "../schema/combinators.js";
import { name } from "./common.js";
import { formatDuration } from "../util/duration.js";
import { check } from "../schema/policy-combinators.js";
import { channelTiers } from "./policy-scalars.js";
import { expected } from "../schema/reader.js";
import type { Reader } from "../schema/reader.js";
import { duration } from "../schema/scalars.js";

const MINUTE = 60_000;
const WEEK = 7 * 86_400_000;
const TARGET_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u;

/** Reads who a step notifies: oncall, next, all, a person's name, or workgroup:<name>. */
function target(): Reader<StepTarget> {
  return (value, path, ctx) => {
    if (value === "oncall" || value === "next" || value === "all") return { kind: value };
    if (typeof value === "string" && value.startsWith("workgroup:") && TARGET_NAME.test(value.slice(10))) {
      return { kind: "workgroup", name: value.slice(10) };
    }
    if (typeof value === "string" && TARGET_NAME.test(value)) return { kind: "person", name: value };
    return expected("oncall, next, all, a person's name, or workgroup:<name>", value, path, ctx);
  };
}

const step = object({
  after: duration({ min: 0, max: WEEK }),
  notify: target(),
  channels: maybe(channelTiers()),
  window: maybe(name("office")),
});

// Each level has its own defaults: urgent chases hard, low just tells whoever is on call.
const DEFAULTS: Readonly<Record<Level, { steps: unknown[]; reminder: string | false }>> = {
  urgent: { steps: [{ after: "0m", notify: "oncall" }, { after: "15m", notify: "next" }], reminder: "30m" },
  normal: { steps: [{ after: "0m", notify: "oncall" }, { after: "1h", notify: "next" }], reminder: "1h" },
  low: { steps: [{ after: "0m", notify: "oncall" }], reminder: false },
};

function levelPolicy(level: Level): Reader<EscalationPolicy> {
  const read = object({
    steps: optional(list(step, { min: 1 }), DEFAULTS[level].steps),
    reminder: optional(orFalse(duration({ min: MINUTE, max: WEEK })), DEFAULTS[level].reminder),
  });
  const checked = check(read, (p, problem) => {
    p.steps.forEach((s, i) => {
      const before = p.steps[i - 1];
      if (before !== undefined && s.after < before.after) {
        problem(`steps[${i}].after`, `expected at least ${formatDuration(before.after)}, the step before's (after counts from the start of the chain), got ${formatDuration(s.after)}`);
      }
    });
  });
  return optional(transform(checked, (p) => ({ steps: p.steps, reminder: p.reminder === false ? null : p.reminder })), DEFAULTS[level]);
}

/** Reads a workgroup's `escalation: { urgent, normal, low }`, each `{ steps, reminder }` with per-level defaults. */
export const escalationSection: Reader<Readonly<Record<Level, EscalationPolicy>>> = optional(
  object({ urgent: levelPolicy("urgent"), normal: levelPolicy("normal"), low: levelPolicy("low") }),
  {},
);

/** Every level notifies everyone at once, never reminding: the behaviour before workgroups existed. */
export const BROADCAST: Readonly<Record<Level, EscalationPolicy>> = (() => {
  const p: EscalationPolicy = { steps: [{ after: 0, notify: { kind: "all" }, channels: null, window: null }], reminder: null };
  return { urgent: p, normal: p, low: p };
})();
