/**
 * The policy: who is told what, when, and on which channel. Every function here is pure: no I/O,
 * no timers, no clock; each takes `now` (ms) and returns data. The bot owns persistence, timers,
 * presence tracking and sending; the policy owns every decision.
 *
 * Usage sketch, for the bot's tick (per alert that changed or whose `nextAt` came due):
 *
 * ```ts
 * const cls = classify(config.rules, alert);                  // level, workgroup, window?
 * const result = escalate({
 *   alert, classification: cls, now,
 *   state: store.escalation.get(alert.shortId),               // EscalationState | null, JSON
 *   policy: config,                                           // BotConfig satisfies Policy
 *   presence: (name) => presenceTracker.of(name),             // "online" | "away" | "offline" | "unknown"
 *   silences: store.silences.live(now),
 *   down: presenceTracker.downSources(),                      // Map<source, since>
 * });
 * store.escalation.put(alert.shortId, result.state);          // null deletes
 * schedule.at(alert.shortId, result.nextAt);                  // null: nothing until input changes
 * for (const w of result.warnings) history.add(alert, w);
 * outbox.add(result.deliveries);                              // per person, then:
 * const plan = planOutbox(outbox.for("alice"), sent.recent("alice"), now, config.storm);
 * // send plan.send one by one and plan.digest as one message; keep plan.keep for plan.holdUntil.
 * // For each sent delivery, arm its fallbacks (at sentAt + after, if still unacked: send on those channels);
 * // for a digest, arm digest.fallbacks for each of its items that asks for an answer.
 *
 * const hosts = checkHostsDown(presenceTracker.downSources(), config.hostDown, now);
 * // raise each of hosts.raise as an alert (idempotent); clear it when the agent's presence returns;
 * // look again at hosts.nextAt.
 * ```
 *
 * Call `escalate` again whenever the alert, its ack, the silences, a source's presence or the
 * config changes, and at `nextAt`; repeating a call with the state it returned delivers nothing.
 */
export type { ChannelPlan, Fallback, Presence, PresenceOf } from "./channels.js";
export { canReach, planChannels } from "./channels.js";
export type { Delivery, DeliveryKind } from "./delivery.js";
export { byImportance } from "./delivery.js";
export { escalate } from "./escalation.js";
export { chainHold } from "./escalation-holds.js";
export { escalateNow } from "./escalate-now.js";
export type {
  EscalationAlert,
  EscalationInput,
  EscalationResult,
  EscalationState,
  Hold,
  HoldReason,
  NotifiedPerson,
} from "./escalation-state.js";
export type { DownSources, HostDownAlert, HostDownCheck } from "./inhibit.js";
export { checkHostsDown, HOST_DOWN_ALERT_ID, inhibitedBy } from "./inhibit.js";
export type { AlertFacts, PatternResult } from "./matcher.js";
export { compilePattern, matches } from "./matcher.js";
export { findPerson, findWorkgroup, onCall } from "./on-call.js";
export type { ShiftTurn } from "./rotation.js";
export { rotationTurn } from "./rotation.js";
export type { Classification } from "./rules.js";
export { classify } from "./rules.js";
export type { Silence } from "./silences.js";
export { activeSilences, isSilenced, silencedUntil } from "./silences.js";
export type { Digest, OutboxPlan, SentRecord } from "./storm.js";
export { DIGEST_HINT, budgetExhaustedUntil, planOutbox } from "./storm.js";
export type * from "./types.js";
export { LEVELS } from "./types.js";
export { isOpen, nextOpening } from "./windows.js";
export { addOpenTime, workingHoursWindow } from "./open-time.js";
export { formatInZone, readerZone } from "./zoned-time.js";
