// XEP-0199 §4.2 and §4.3: asking another entity, or our own server, whether it answers. Failover
// (docs/failover.md) rests on two of these: the active's lease (the server answers it) and the
// standby's watch on the active (the active's component answers it).
import { NS_PING } from "./namespaces.js";
import { coreOf } from "./session.js";
import type { XmppSession } from "./session.js";

/** What a ping came to: answered, refused by the way (the entity is not there), or no answer in time. */
export type PingOutcome = "answered" | "unavailable" | "no-answer";

/**
 * Pings `to` (a server's domain, a component's JID, an agent's full JID) and waits at most
 * `timeoutMs`, on the network clock with `onNetworkTime` (the session's clock otherwise). An error
 * reply means the server answered for an entity that is not connected, or the entity does not do
 * pings ("unavailable"); a dropped connection or silence is "no-answer". Never rejects.
 */
export async function ping(
  session: XmppSession,
  to: string,
  timeoutMs: number,
  options: { readonly onNetworkTime?: boolean } = {},
): Promise<PingOutcome> {
  const core = coreOf(session);
  const { xml } = core;
  try {
    const reply = await core.request(
      xml("iq", { type: "get", to }, xml("ping", { xmlns: NS_PING })),
      "ping",
      timeoutMs,
      options.onNetworkTime ?? false,
    );
    return reply.ok ? "answered" : "unavailable";
  } catch {
    return "no-answer";
  }
}
