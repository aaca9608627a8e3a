// Node provisioning, our own IQ (namespace urn:mauve-xmpp:agent:1):
//   agent -> bot: <iq type="set"><provision xmlns="urn:mauve-xmpp:agent:1" node="mauve/alerts/web1"/></iq>
//   bot -> agent: an empty result once the node exists and the agent owns it, or a stanza error.
// Needed where only service admins may create nodes (Prosody); the bot is one.
import type { Unsubscribe } from "./emitter.js";
import type { HandlerFailure, XmppResult } from "./errors.js";
import { NS_MAUVE_AGENT } from "./namespaces.js";
import { coreOf } from "./session.js";
import type { XmppSession } from "./session.js";
import { attr } from "./xml.js";

/** A request from an agent for its node. */
export interface ProvisionRequest {
  /** Full JID of the agent, as stamped by its server. */
  readonly from: string;
  readonly node: string;
}

/** The bot's decision: done, or a refusal named after a stanza error condition. */
export type ProvisionDecision = { readonly ok: true } | HandlerFailure;

/** Both sides of provisioning on one session. */
export interface Provisioning {
  /** Agent side: asks `botJid` to create `node` and make us its owner. */
  requestNodeProvisioning(botJid: string, node: string): Promise<XmppResult>;
  /** Bot side: decides provisioning requests; a throw becomes internal-server-error (and an error report). */
  onProvisionRequest(handler: (req: ProvisionRequest) => Promise<ProvisionDecision>): Unsubscribe;
}

/** Provisioning over `session`. */
export function createProvisioning(session: XmppSession): Provisioning {
  const core = coreOf(session);
  const { xml } = core;
  return {
    async requestNodeProvisioning(botJid, node) {
      const iq = xml("iq", { type: "set", to: botJid }, xml("provision", { xmlns: NS_MAUVE_AGENT, node }));
      const reply = await core.request(iq, `provisioning of ${node}`);
      return reply.ok ? { ok: true } : reply;
    },
    onProvisionRequest: (handler) =>
      core.handleIq("set", NS_MAUVE_AGENT, "provision", "provision request", async (req) => {
        const node = attr(req.element, "node");
        if (!node) return { ok: false, condition: "bad-request", text: "provision needs a node attribute" };
        return handler({ from: req.from, node });
      }),
  };
}
