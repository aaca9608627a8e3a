// RFC 6121 §5 one-to-one chat: send and receive <message type="chat"> bodies,
// and see the error bounces of what we sent.
import type { Unsubscribe } from "./emitter.js";
import { parseStanzaError } from "./errors.js";
import type { StanzaErrorCondition } from "./errors.js";
import { coreOf } from "./session.js";
import type { XmppSession } from "./session.js";
import { sentAtOf } from "./delay.js";
import { attr } from "./xml.js";

/** A chat line someone sent us. */
export interface ChatMessage {
  /** Full JID of the sender. */
  readonly from: string;
  readonly to: string;
  readonly body: string;
  /** "chat" or "normal" (RFC 6121 §5.2.2). */
  readonly type: "chat" | "normal";
  readonly thread?: string;
  /**
   * When it was sent, in ms, when the message carries a XEP-0203 delay stamp (typed offline, held
   * back by a client or a server): the earliest stamp it carries.
   */
  readonly sentAt?: number;
}

/** A message of ours that came back as an error (RFC 6120 §8.3). */
export interface ChatBounce {
  /** The JID we had sent to. */
  readonly from: string;
  readonly condition: StanzaErrorCondition;
  readonly text?: string;
  /** Our body, if the server echoed it. */
  readonly body?: string;
}

/** Chat on one session. */
export interface Chat {
  /** Sends a `type="chat"` message. */
  sendChat(to: string, body: string, options?: { readonly thread?: string }): Promise<void>;
  /** Messages with a body, of type chat or normal; groupchat, headline and errors are not delivered here. */
  onChat(handler: (message: ChatMessage) => void | Promise<void>): Unsubscribe;
  /** Error bounces of messages we sent (e.g. recipient offline on a component-only route). */
  onBounce(handler: (bounce: ChatBounce) => void | Promise<void>): Unsubscribe;
}

/** Chat over `session`. */
export function createChat(session: XmppSession): Chat {
  const core = coreOf(session);
  const { xml } = core;
  return {
    async sendChat(to, body, options = {}) {
      await core.send(
        xml(
          "message",
          { to, type: "chat" },
          xml("body", {}, body),
          options.thread && xml("thread", {}, options.thread),
        ),
      );
    },
    onChat: (handler) =>
      core.onStanza("message", "chat", (stanza) => {
        const type = stanza.attrs.type ?? "normal";
        if (type !== "chat" && type !== "normal") return;
        const body = stanza.getChildText("body");
        if (body === null || body === "") return;
        const thread = stanza.getChildText("thread") ?? undefined;
        const sentAt = sentAtOf(stanza);
        return handler({
          from: attr(stanza, "from") ?? "",
          to: attr(stanza, "to") ?? "",
          body,
          type,
          ...(thread ? { thread } : {}),
          ...(sentAt !== undefined ? { sentAt } : {}),
        });
      }),
    onBounce: (handler) =>
      core.onStanza("message", "chat bounce", (stanza) => {
        if (stanza.attrs.type !== "error") return;
        const { condition, text } = parseStanzaError(stanza);
        const body = stanza.getChildText("body") ?? undefined;
        return handler({
          from: attr(stanza, "from") ?? "",
          condition,
          ...(text ? { text } : {}),
          ...(body !== undefined ? { body } : {}),
        });
      }),
  };
}
