import type { Logger } from "../log.js";
import type { AlertRecord } from "../alerts/types.js";
import { classify, type Silence } from "../policy/matcher.js";
import { escalate, type EscalationInput, type EscalationState } from "../policy/escalation.js";
import { decodeEscalation, encodeEscalation } from "../policy/escalation-codec.js";
import { DELIVERY_FORM } from "../policy/delivery-codec.js";
import type { Delivery, PresenceOf } from "../policy/delivery.js";
import type { DownSources } from "../policy/inhibit.js";
import type { Matcher, Policy } from "../policy/types.js";
import type { Store } from "../store/store.js";

/** The inputs of the policy that live outside the alert: presence, silences, hosts down. */
export interface PolicyInputs {
  presence: PresenceOf;
  down: () => DownSources;
}

/** An alert's escalation state as stored, or null. */
export function escalationOf(store: Store, shortId: number): EscalationState | null {
  return decodeEscalation(store.policy.escalation(shortId));
}

/** Stores an alert's escalation state (see escalation-codec.ts). */
export function storeEscalation(store: Store, shortId: number, state: EscalationState): void {
  store.policy.setEscalation(shortId, encodeEscalation(state));
}

/** The silences in force, as the policy reads them. */
export function liveSilences(store: Store, now: number): Silence[] {
  return store.policy.liveSilences<Matcher>(now).map((s) => ({ ...s, id: String(s.id) }));
}

/**
 * What the policy reads that is the same for every alert at one moment: the silences in force and
 * the hosts down. Read once for a run over many alerts (a 100-alert update), not once per alert:
 * the hosts down are a scan of every source.
 */
export interface PolicyLook {
  readonly silences: Silence[];
  readonly down: DownSources;
}

/** Reads the silences and hosts down at `now`, for looking at one or many alerts. */
export function policyLook(store: Store, inputs: PolicyInputs, now: number): PolicyLook {
  return { silences: liveSilences(store, now), down: inputs.down() };
}

/** What the policy reads about one alert at `now`: the same for a real look and for a question. */
export function policyInput(
  store: Store,
  policy: Policy,
  inputs: PolicyInputs,
  alert: AlertRecord,
  state: EscalationState | null,
  now: number,
  look: PolicyLook = policyLook(store, inputs, now),
): EscalationInput {
  return {
    alert,
    classification: classify(policy.rules, alert),
    state,
    now,
    policy,
    presence: inputs.presence,
    silences: look.silences,
    down: look.down,
  };
}

/**
 * Runs the policy on one alert and stores everything it decided in one transaction: the new
 * escalation state, when to look again, warnings in the history, and the deliveries to send.
 * `target` is the alert's short id, or its record as just read or saved in the caller's
 * transaction (reading it again cost as much as the policy's own writes); `look`, the silences
 * and hosts down when the caller looks at many alerts at the same moment.
 */
export function evaluateAlert(
  store: Store,
  policy: Policy,
  inputs: PolicyInputs,
  log: Logger,
  target: number | AlertRecord,
  now: number,
  look?: PolicyLook,
): Delivery[] {
  // No savepoint of its own: no caller goes on after a failure here (the tick's chunk is rolled
  // back whole), and a savepoint per alert was a measurable share of looking at it.
  return store.joinTransaction(() => {
    const alert = typeof target === "number" ? store.alerts.get(target) : target;
    if (!alert) return [];
    const { shortId } = alert;
    const stored = store.policy.escalationText(shortId);
    const state = decodeEscalation(stored === null ? null : JSON.parse(stored));
    const result = escalate(policyInput(store, policy, inputs, alert, state, now, look));
    // Most looks change neither: writing them anyway was a good part of the bot's cost per update.
    const encoded = result.state === null ? null : JSON.stringify(encodeEscalation(result.state));
    // Both live in the alert's row: one statement writes what changed of them.
    if (encoded !== stored || result.nextAt !== alert.policyDueAt)
      store.alerts.setPolicyDue(alert, result.nextAt, encoded !== stored ? encoded : undefined);
    if (result.warnings.length > 0) {
      store.alerts.record(
        shortId,
        result.warnings.map((w) => ({ kind: "notify-failed" as const, at: now, actor: "policy", detail: w })),
      );
      log.warn("policy warning", { shortId, warnings: result.warnings });
    }
    store.policy.addDeliveries(result.deliveries, now, null, DELIVERY_FORM);
    return [...result.deliveries];
  });
}
