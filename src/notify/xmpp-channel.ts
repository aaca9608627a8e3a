import { ellipsize, oneLine } from "../codec/text.js";
import { delivered, failed, noAddress, type Channel, type DeliveryOutcome } from "./channel.js";

/** How the channel hands a chat line to the XMPP edge (the bot's ChatPort fits). */
export interface ChatSender {
  /** Resolves once the server has the message; rejects when it could not be sent. */
  send(toJid: string, body: string): Promise<void>;
}

/**
 * The chat channel: the message's text to the person's JID. A send that fails (the bot is
 * disconnected, say) is recoverable. Whether the person is online is the policy's business.
 */
export function createXmppChannel(chat: ChatSender): Channel {
  return {
    name: "xmpp",
    async send(recipient, message): Promise<DeliveryOutcome> {
      if (!recipient.jid) return noAddress("xmpp", recipient);
      try {
        await chat.send(recipient.jid, message.text);
        return delivered(`chat to ${recipient.jid}`);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return failed(true, ellipsize(oneLine(`chat to ${recipient.jid} failed: ${why}`), 300));
      }
    },
  };
}
