// What AlertBot keeps for itself, which no sender may speak for. Its own source (its component JID,
// under which it raises its own alerts: its link to the server cut, a person's channel failing) and
// every name that reads like it: a sender writing there could clear them, or raise fakes in
// AlertBot's name. And the ids of the alerts it raises inside a sender's source (a host down): the
// sender's own replace would clear them, and an update naming them could clear or forge them.
import { sourceReading } from "../codec/source-name.js";
import type { AlertUpdate } from "../codec/types.js";
import { HOST_DOWN_ALERT_ID } from "../policy/inhibit.js";

/**
 * The ids of the alerts AlertBot raises inside a sender's source. A new one must be added here, so
 * that no sender can name it or replace it away (a unit test holds the host-down alert to it).
 */
export const BOT_ALERT_IDS: ReadonlySet<string> = new Set([HOST_DOWN_ALERT_ID]);

/** Whether `alertId` is (letter case aside) one AlertBot raises inside a sender's source. */
export function isBotAlertId(alertId: string): boolean {
  return BOT_ALERT_IDS.has(alertId.toLowerCase());
}

/**
 * Why a sender may not speak for `source`, which is AlertBot's own (`ownSource`) or reads like it
 * (letter case, separators, characters drawn alike: sourceReading), or undefined when it may.
 */
export function ownSourceProblem(source: string, ownSource: string | undefined): string | undefined {
  if (ownSource === undefined || sourceReading(source) !== sourceReading(ownSource)) return undefined;
  return source === ownSource
    ? `source "${source}" is AlertBot's own: only AlertBot raises and clears its alerts`
    : `source ${JSON.stringify(source)} reads like AlertBot's own source "${ownSource}": only AlertBot speaks for it`;
}

/** Why a sender's update may not name the ids it names (AlertBot's own, see BOT_ALERT_IDS), or undefined. */
export function botAlertIdProblem(update: AlertUpdate): string | undefined {
  const named = update.alerts.find((a) => isBotAlertId(a.id));
  if (named === undefined) return undefined;
  return `alert id ${JSON.stringify(named.id)} is AlertBot's own (it raises it when a source's agent is gone): no sender may name it`;
}
