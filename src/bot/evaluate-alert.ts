import type { Logger } from "../log.js";
import type { AlertRecord, AlertState } from "../alerts/types.js";
import { fireDue } from "../alerts/state-machine.js";
import type { LookBeforeSave } from "../ingest/ingest-update.js";
import { classify, type Silence } from "../policy/matcher.js";
import {
  chainHold,
  escalate,
  type EscalationInput,
  type EscalationResult,
  type EscalationState,
  type Hold,
} from "../policy/escalation.js";
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

/**
 * What would keep the policy quiet about an alert at `now` (suppress_until, a silence, its host
 * down, its window shut), asked as the policy asks it. The silences and hosts down are read once,
 * at the first question, for all the alerts asked about.
 */
export function holdsAt(
  store: Store,
  policy: Policy,
  inputs: PolicyInputs,
  now: number,
): (alert: AlertRecord) => Hold | null {
  let look: PolicyLook | undefined;
  return (alert) => {
    look ??= policyLook(store, inputs, now);
    return chainHold(policyInput(store, policy, inputs, alert, null, now, look), () => {});
  };
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

/** What the policy decided at one look at an alert, before any of it is stored. */
export interface AlertLook {
  readonly result: EscalationResult;
  /** The escalation state to store (JSON; null forgets it), or undefined when it did not change. */
  readonly escalation: string | null | undefined;
}

/**
 * Runs the policy on `alert`, whose escalation state is stored as `storedEscalation` (JSON text, or
 * null), and says what it decided; stores nothing. `alert` may be about to be written: its short id
 * then is only a placeholder, and the deliveries carry it until {@link storeLook} gets the real one.
 */
export function lookAt(
  store: Store,
  policy: Policy,
  inputs: PolicyInputs,
  alert: AlertRecord,
  storedEscalation: string | null,
  now: number,
  look?: PolicyLook,
): AlertLook {
  const state = decodeEscalation(storedEscalation === null ? null : JSON.parse(storedEscalation));
  const result = escalate(policyInput(store, policy, inputs, alert, state, now, look));
  // Most looks change neither: writing them anyway was a good part of the bot's cost per update.
  const encoded = result.state === null ? null : JSON.stringify(encodeEscalation(result.state));
  return { result, escalation: encoded !== storedEscalation ? encoded : undefined };
}

/**
 * Stores what a look decided besides the alert's own row (its escalation and when to look again go
 * there): warnings in the history, and the deliveries to send, for `alert` as stored. Returns the
 * deliveries.
 */
export function storeLook(
  store: Store,
  log: Logger,
  alert: AlertRecord,
  result: EscalationResult,
  now: number,
): Delivery[] {
  const { shortId } = alert;
  if (result.warnings.length > 0) {
    store.alerts.record(
      shortId,
      result.warnings.map((w) => ({ kind: "notify-failed" as const, at: now, actor: "policy", detail: w })),
    );
    log.warn("policy warning", { shortId, warnings: result.warnings });
  }
  const deliveries = result.deliveries.map((d) => (d.shortId === shortId ? d : { ...d, shortId }));
  store.policy.addDeliveries(deliveries, now, null, DELIVERY_FORM);
  return deliveries;
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
    const { result, escalation } = lookAt(
      store,
      policy,
      inputs,
      alert,
      store.policy.escalationText(alert.shortId),
      now,
      look,
    );
    // Both live in the alert's row: one statement writes what changed of them.
    if (escalation !== undefined || result.nextAt !== alert.policyDueAt)
      store.alerts.setPolicyDue(alert, result.nextAt, escalation);
    return storeLook(store, log, alert, result, now);
  });
}

/** What looking at alerts as a batch of updates writes them needs. */
export interface LookBeforeSaveDeps {
  readonly store: Store;
  readonly policy: Policy;
  readonly inputs: PolicyInputs;
  readonly log: Logger;
  /** The time, read at each look (the updates of a batch are stamped as each is applied). */
  readonly now: () => number;
  /** Alerts looked at this way at most; the rest are looked at after, a round at a time. */
  readonly limit: number;
  /** Whether one update of the batch, and no other, carries this source. */
  readonly once: (source: string) => boolean;
  /** Called for an alert some people were told of, once it is written. */
  readonly told: (alert: AlertRecord, deliveries: readonly Delivery[]) => void;
}

/**
 * The policy's look at alerts as the updates of one batch write them (src/ingest's
 * LookBeforeSave), for the alerts whose look falls due with the write and nothing else: the row is
 * written once. Others are left to the look after the write, as before: an alert whose sender
 * scheduled something that is due already (fired first), and the alerts of a source that more than
 * one update of the batch carries (the policy looks once at the last of them, as it did when every
 * look came after the batch: a raise and its clear in one batch tell nobody).
 */
export function lookBeforeSave(deps: LookBeforeSaveDeps): LookBeforeSave {
  const { store, policy, inputs, log } = deps;
  // The silences and hosts down, read at the first look of the batch.
  let look: PolicyLook | undefined;
  let looked = 0;
  return (after, before) => {
    const now = deps.now();
    if (looked >= deps.limit || after.policyDueAt === null || after.policyDueAt > now) return undefined;
    if (!deps.once(after.source) || fireDue(after, now) !== null) return undefined;
    looked++;
    look ??= policyLook(store, inputs, now);
    // A new alert has no short id until it is written: its deliveries get it then (storeLook).
    const alert = withShortId(after, before?.shortId ?? 0);
    const stored = before ? store.policy.escalationText(before.shortId) : null;
    const { result, escalation } = lookAt(store, policy, inputs, alert, stored, now, look);
    return {
      policyDueAt: result.nextAt,
      escalation,
      saved: (written) => {
        const told = storeLook(store, log, written, result, now);
        if (told.length > 0) deps.told(written, told);
      },
    };
  };
}

/**
 * The alert `state` under number `shortId`, field by field: V8 builds `{ ...state, shortId }` on a
 * slow path when the state has no short id yet (a new alert), and that was a good part of the
 * look at each alert a bulk update raises.
 */
function withShortId(state: AlertState, shortId: number): AlertRecord {
  return {
    shortId,
    source: state.source,
    alertId: state.alertId,
    status: state.status,
    subject: state.subject,
    summary: state.summary,
    detail: state.detail,
    importance: state.importance,
    raisedAt: state.raisedAt,
    clearedAt: state.clearedAt,
    scheduledRaiseAt: state.scheduledRaiseAt,
    scheduledClearAt: state.scheduledClearAt,
    suppressUntil: state.suppressUntil,
    ack: state.ack,
    policyDueAt: state.policyDueAt,
    updatedAt: state.updatedAt,
  };
}
