// How a bot that is not the active tells people something: it holds no chat of AlertBot's (the
// active has the JID) and runs no policy from a store, so it sends email and SMS, now and without
// storing them, to whoever is on call for one of AlertBot's own alerts, routed as that alert's id
// would be. Used for a standby cut off from its server (standby-link.ts) and for a standby that
// cannot follow an active of another version (pair-version.ts).
import type { Clock } from "../clock/clock.js";
import type { BotConfig } from "../config/bot-config.js";
import type { Logger } from "../log.js";
import type { Channel, ChannelKind } from "../notify/channel.js";
import { createEmailChannel } from "../notify/email-channel.js";
import type { NotificationMessage } from "../notify/message.js";
import { createSmsChannel } from "../notify/sms-channel.js";
import { storageAlarmRecipients } from "./storage-alarm.js";
import { tellUnstored } from "./unstored-notice.js";

/** What a standby's notices need. */
export interface StandbyNoticeDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** The configuration the standby runs with: people, policy, email and SMS. */
  readonly config: BotConfig;
  /** Email and SMS; made from the config when first needed unless given (tests). */
  readonly channels?: ReadonlyMap<ChannelKind, Channel>;
}

/** Tells the people on call for AlertBot's own alert `alertId`, by email and SMS; resolves once every channel was tried. */
export type StandbyTell = (alertId: string, message: NotificationMessage) => Promise<void>;

/** A teller for one standby process. */
export function standbyTeller(deps: StandbyNoticeDeps): StandbyTell {
  const { clock, log, config } = deps;
  let channels = deps.channels;
  return async (alertId, message) => {
    channels ??= channelsWithoutXmpp(config, clock);
    const usable = channels;
    // Who is on call for the alert, as a lone bot's would go; chat cannot reach anyone.
    const recipients = storageAlarmRecipients(config, () => "offline", config.xmpp.component, clock.now(), alertId).map(
      (r) => ({ ...r, channels: r.channels.filter((c) => c !== "xmpp") }),
    );
    await tellUnstored({ clock, log, channels: usable }, config.people, recipients, message, (kind) =>
      usable.has(kind),
    );
  };
}

/** Email and SMS as configured: what reaches people while AlertBot's chat is not this process's. */
function channelsWithoutXmpp(config: BotConfig, clock: Clock): Map<ChannelKind, Channel> {
  const channels = new Map<ChannelKind, Channel>();
  if (config.email) channels.set("email", createEmailChannel(config.email, { clock }));
  if (config.sms) channels.set("sms", createSmsChannel(config.sms, { clock }));
  return channels;
}
