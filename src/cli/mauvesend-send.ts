import { ensureNode } from "../xmpp/ensure-node.js";
import type { Clock } from "../clock/clock.js";
import { sourceToNodeName } from "../codec/source-name.js";
import { wrapPayload } from "../codec/payload.js";
import type { AlertUpdate } from "../codec/types.js";
import type { Logger } from "../log.js";
import { connectClient, createProvisioning, createPubsub, jidDomain, jidLocal, type XmppSession } from "../xmpp/index.js";
import type { MauvesendTarget } from "./mauvesend-target.js";

/** What became of one send: confirmed by the server, or why not, in words for a shell script's log. */
export type SendOutcome = { ok: true; itemId: string } | { ok: false; reason: string };

/**
 * Sends one update and waits for the server to confirm it: logs in (no reconnecting), makes sure
 * the source's node exists (as the agent does), publishes, and logs out. Gives up after `timeoutMs`.
 */
export async function sendUpdate(update: AlertUpdate, target: MauvesendTarget, deps: { clock: Clock; log: Logger; timeoutMs: number }): Promise<SendOutcome> {
  let session: XmppSession | undefined;
  let timer: { cancel(): void } | undefined;
  const deadline = new Promise<SendOutcome>((resolve) => {
    timer = deps.clock.setTimer(deps.timeoutMs, () => resolve({ ok: false, reason: `no confirmation from ${target.service} within ${deps.timeoutMs / 1000}s` }));
  });
  const attempt = async (): Promise<SendOutcome> => {
    try {
      session = await connectClient({
        service: target.service,
        domain: jidDomain(target.jid),
        username: jidLocal(target.jid),
        password: target.password,
        // A resource of its own, so it never replaces the agent's session on the same account.
        resource: `mauvesend-${update.transmissionId.toString(36)}`,
        clock: deps.clock,
        reconnect: false,
        connectTimeoutMs: deps.timeoutMs,
        onError: (err) => deps.log.debug("xmpp", { err }),
      });
    } catch (err) {
      return { ok: false, reason: `cannot log in to ${target.service} as ${target.jid}: ${err instanceof Error ? err.message : String(err)}` };
    }
    const pubsub = createPubsub(session);
    const node = sourceToNodeName(update.source);
    const ready = await ensureNode(pubsub, createProvisioning(session), { service: target.pubsub, node, source: update.source, bot: target.bot }, deps.log);
    if (!ready.ok) return { ok: false, reason: `node ${node} on ${target.pubsub} is not available (${ready.condition}${ready.text ? `: ${ready.text}` : ""})` };
    const published = await pubsub.publish(target.pubsub, node, wrapPayload(update));
    if (!published.ok) return { ok: false, reason: `${target.pubsub} refused the update (${published.condition}${published.text ? `: ${published.text}` : ""})` };
    return { ok: true, itemId: published.itemId };
  };
  try {
    return await Promise.race([
      attempt().catch((err: unknown): SendOutcome => ({ ok: false, reason: err instanceof Error ? err.message : String(err) })),
      deadline,
    ]);
  } finally {
    timer?.cancel();
    await session?.stop().catch(() => undefined);
  }
}
