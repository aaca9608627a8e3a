import { personOfActor } from "../alerts/actor.js";
import { ackAlert, clearNow } from "../alerts/state-machine.js";
import type {
  AckOutcome,
  ClearOutcome,
  CommandAlerts,
  CommandSilences,
  EscalateOutcome,
  NoteOutcome,
  PersonChange,
  UnackOutcome,
  AlertHold,
} from "../commands/types.js";
import type { Logger } from "../log.js";
import type { AckInfo, AlertRecord } from "../alerts/types.js";
import { escalateNow } from "../policy/escalation.js";
import type { Matcher, Policy } from "../policy/types.js";
import type { AlertFilter } from "../store/alert-store.js";
import type { Store } from "../store/store.js";
import { nextTurn } from "../util/batching.js";
import { DELIVERY_FORM } from "../policy/delivery-codec.js";
import { escalationOf, evaluateAlert, holdsAt, storeEscalation, type PolicyInputs } from "./evaluate-alert.js";

/** What the adapter needs beyond the store: the policy, for `escalate`. */
export interface CommandAlertsDeps {
  store: Store;
  policy: Policy;
  inputs: PolicyInputs;
  log: Logger;
}

const because = (note: string): string => (note ? ` because ${note}` : "");

/** How many numbers a slice of a listing passes over before the event loop is let in. */
const LIST_SLICE = 2_000;

/**
 * Every alert `filter` matches, by number, a slice at a time with the event loop let in between:
 * `show` in a storm passes over 100,000 alerts, and chat, acks and updates must not wait for all
 * of them. Alerts numbered past the last when the walk began are not in it.
 */
async function* listed(store: Store, filter: AlertFilter): AsyncIterable<AlertRecord> {
  const last = store.alerts.lastShortId();
  for (let after = 0; after < last; after += LIST_SLICE) {
    if (after > 0) await nextTurn();
    yield* store.alerts.briefBetween(filter, after, Math.min(after + LIST_SLICE, last));
  }
}

/**
 * The commands' view of the alerts, over the store. Every change is one transaction with its
 * history line, and sets the alert's policy time to now, so the policy tells the people already
 * told (acks, clears) at the next tick.
 */
export function commandAlerts(deps: CommandAlertsDeps): CommandAlerts {
  const { store } = deps;
  // What would keep the policy quiet about this alert now, asked exactly as the policy asks it.
  const holdOf = (alert: AlertRecord, now: number): AlertHold | null =>
    holdsAt(store, deps.policy, deps.inputs, now)(alert);
  return {
    list: (filter) => listed(store, filter),
    get: (shortId) => store.alerts.get(shortId),
    history: (shortId) => (store.alerts.get(shortId) ? store.alerts.history(shortId) : undefined),

    ack(shortId: number, ack: AckInfo): AckOutcome {
      return store.transaction((): AckOutcome => {
        const alert = store.alerts.get(shortId);
        if (!alert) return { ok: false, reason: "not-found" };
        const result = ackAlert(alert, ack);
        if (!result.ok) return { ok: false, reason: "not-raised", alert };
        const saved = store.alerts.save(result.after);
        store.alerts.record(shortId, [result.event]);
        return { ok: true, alert: saved };
      });
    },

    unack(shortId: number, c: PersonChange): UnackOutcome {
      return store.transaction((): UnackOutcome => {
        const alert = store.alerts.get(shortId);
        if (!alert) return { ok: false, reason: "not-found" };
        if (alert.status !== "raised" || !alert.ack) return { ok: false, reason: "not-acked", alert };
        const saved = store.alerts.save({ ...alert, ack: null, policyDueAt: c.at, updatedAt: c.at });
        store.alerts.record(shortId, [
          { kind: "unacked", at: c.at, actor: c.by, detail: `ack by ${alert.ack.by} taken back${because(c.note)}` },
        ]);
        return { ok: true, alert: saved, held: holdOf(saved, c.at) };
      });
    },

    clear(shortId: number, c: PersonChange): ClearOutcome {
      return store.transaction((): ClearOutcome => {
        const alert = store.alerts.get(shortId);
        if (!alert) return { ok: false, reason: "not-found" };
        if (alert.status !== "raised") return { ok: false, reason: "not-raised", alert };
        const saved = store.alerts.save({ ...clearNow(alert, c.at), updatedAt: c.at });
        store.alerts.record(shortId, [
          { kind: "cleared", at: c.at, actor: c.by, detail: `manual clear${because(c.note)}` },
        ]);
        return { ok: true, alert: saved };
      });
    },

    note(shortId: number, c: PersonChange): NoteOutcome {
      return store.transaction((): NoteOutcome => {
        const alert = store.alerts.get(shortId);
        if (!alert) return { ok: false, reason: "not-found" };
        store.alerts.record(shortId, [{ kind: "noted", at: c.at, actor: c.by, detail: c.note }]);
        // The people already told hear of it (by chat: a note informs, it does not page).
        const state = escalationOf(store, shortId);
        const author = personOfActor(c.by);
        const others = (state?.notified ?? []).map((n) => n.person).filter((p) => p.toLowerCase() !== author);
        store.policy.addDeliveries(
          others.map((person) => ({
            person,
            kind: "noted" as const,
            level: state!.level,
            shortId,
            channels: ["xmpp" as const],
            fallbacks: [],
            why: `${c.by}: ${c.note}`,
          })),
          c.at,
          null,
          DELIVERY_FORM,
        );
        return { ok: true, alert };
      });
    },

    escalate(shortId: number, c: PersonChange): EscalateOutcome {
      const alert = store.alerts.get(shortId);
      if (!alert) return { ok: false, reason: "not-found" };
      if (alert.status !== "raised") return { ok: false, reason: "not-raised", alert };
      // An ack or a hold keeps the chain quiet: moving its step on now would tell nobody, and then
      // tell people by surprise the moment the silence (or window, or host) ends.
      if (alert.ack !== null && alert.ack.until > c.at) return { ok: false, reason: "acked", alert };
      const held = holdOf(alert, c.at);
      if (held !== null) return { ok: false, reason: "held", alert, held };
      const state = escalationOf(store, shortId);
      const hurried = escalateNow(state, deps.policy, c.at);
      if (!hurried) return { ok: false, reason: "nobody-left", alert };
      store.transaction(() => {
        storeEscalation(store, shortId, hurried);
        store.alerts.record(shortId, [
          { kind: "notified", at: c.at, actor: c.by, detail: `escalated by hand${because(c.note)}` },
        ]);
      });
      const told = evaluateAlert(store, deps.policy, deps.inputs, deps.log, shortId, c.at).map((d) => d.person);
      if (told.length === 0) return { ok: false, reason: "nobody-reached", alert };
      return { ok: true, alert: store.alerts.get(shortId) ?? alert, told: [...new Set(told)] };
    },
  };
}

/** The silences, over the store, as commands use them. */
export function commandSilences(store: Store): CommandSilences {
  return {
    add: (matcher: Matcher, until, by, why, at) => store.policy.addSilence(matcher, until, by, why, at),
    list: (now) => store.policy.liveSilences<Matcher>(now),
    end: (id, now) => store.policy.endSilence(id, now),
  };
}
