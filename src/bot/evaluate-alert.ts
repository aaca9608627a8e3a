import type { Logger } from "../log.js";
import type { AlertRecord } from "../alerts/types.js";
import { classify, type Silence } from "../policy/matcher.js";
import { escalate, type EscalationInput, type EscalationState } from "../policy/escalation.js";
import type { Delivery, PresenceOf } from "../policy/delivery.js";
import type { DownSources } from "../policy/inhibit.js";
import type { Matcher, Policy } from "../policy/types.js";
import type { Store } from "../store/store.js";

/** The inputs of the policy that live outside the alert: presence, silences, hosts down. */
export interface PolicyInputs {
  presence: PresenceOf;
  down: () => DownSources;
}

/** The silences in force, as the policy reads them. */
export function liveSilences(store: Store, now: number): Silence[] {
  return store.policy.liveSilences<Matcher>(now).map((s) => ({ ...s, id: String(s.id) }));
}

/** What the policy reads about one alert at `now`: the same for a real look and for a question. */
export function policyInput(
  store: Store,
  policy: Policy,
  inputs: PolicyInputs,
  alert: AlertRecord,
  state: EscalationState | null,
  now: number,
): EscalationInput {
  return {
    alert,
    classification: classify(policy.rules, alert),
    state,
    now,
    policy,
    presence: inputs.presence,
    silences: liveSilences(store, now),
    down: inputs.down(),
  };
}

/**
 * Runs the policy on one alert and stores everything it decided in one transaction: the new
 * escalation state, when to look again, warnings in the history, and the deliveries to send.
 */
export function evaluateAlert(
  store: Store,
  policy: Policy,
  inputs: PolicyInputs,
  log: Logger,
  shortId: number,
  now: number,
): Delivery[] {
  return store.transaction(() => {
    const alert = store.alerts.get(shortId);
    if (!alert) return [];
    const state = store.policy.escalation<EscalationState>(shortId);
    const result = escalate(policyInput(store, policy, inputs, alert, state, now));
    // Most looks change neither: writing them anyway was a good part of the bot's cost per update.
    if (JSON.stringify(result.state) !== JSON.stringify(state)) store.policy.setEscalation(shortId, result.state);
    if (result.nextAt !== alert.policyDueAt) store.alerts.setPolicyDue(alert, result.nextAt);
    if (result.warnings.length > 0) {
      store.alerts.record(
        shortId,
        result.warnings.map((w) => ({ kind: "notify-failed" as const, at: now, actor: "policy", detail: w })),
      );
      log.warn("policy warning", { shortId, warnings: result.warnings });
    }
    store.policy.addDeliveries(result.deliveries, now);
    return [...result.deliveries];
  });
}
