import type { EscalationInput, Hold } from "./escalation-state.js";
import { inhibitedBy } from "./inhibit.js";
import { activeSilences } from "./silences.js";
import { isOpen, nextOpening } from "./windows.js";

/**
 * Why the whole chain must wait now, if it must: the sender's suppress_until, a silence, the
 * host being down (its one host-down alert speaks for it), or the rule's window being shut.
 * Acks and clears are not held: they close what people already heard about.
 */
export function chainHold(input: EscalationInput, warn: (text: string) => void): Hold | null {
  const { alert, now, policy } = input;
  if (alert.suppressUntil !== null && alert.suppressUntil > now) {
    return { reason: "suppressed", until: alert.suppressUntil, detail: "suppress_until from the sender" };
  }
  const silences = activeSilences(alert, input.silences ?? [], now);
  if (silences.length > 0) {
    const until = Math.max(...silences.map((s) => s.until));
    return { reason: "silenced", until, detail: silences.map((s) => `silence ${s.id} by ${s.by}: ${s.why}`).join("; ") };
  }
  const down = input.down === undefined ? null : inhibitedBy(alert, input.down, policy.hostDown, now);
  if (down !== null) return { reason: "inhibited", until: null, detail: `${down} is down` };
  const name = input.classification.window;
  if (name === undefined) return null;
  const window = Object.hasOwn(policy.windows, name) ? policy.windows[name] : undefined;
  if (window === undefined) {
    warn(`rule ${input.classification.ruleIndex} names window "${name}", which is not configured: not waiting for it`);
    return null;
  }
  if (isOpen(window, now)) return null;
  return { reason: "window", until: nextOpening(window, now), detail: `window ${name} is shut` };
}
