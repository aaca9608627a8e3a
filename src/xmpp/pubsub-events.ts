// XEP-0060 §7.1.2.1 event notifications: <message><event><items node><item/>...
import type { Unsubscribe } from "./emitter.js";
import { bareJid, jidEquals } from "./jid.js";
import { NS_PUBSUB_EVENT } from "./namespaces.js";
import { readItem } from "./pubsub-entity.js";
import type { PubsubItem } from "./pubsub-entity.js";
import type { SessionCore } from "./session-core.js";
import type { XmlElement } from "./xml.js";

/** One published item as notified to a subscriber. */
export interface PubsubEvent extends PubsubItem {
  /** Bare JID of the pubsub service that sent the notification. */
  readonly service: string;
  readonly node: string;
}

/** Which notifications a handler gets. */
export interface PubsubEventOptions {
  /**
   * Accept notifications only from these services. Anyone can send us a message that
   * looks like a notification; only one from the service itself carries a publisher
   * we can trust. Without this option the handler must check `service` itself.
   */
  readonly services?: readonly string[];
}

/** Calls `handler` for every item notification, one call per item, in document order. */
export function onPubsubEvent(
  core: SessionCore,
  handler: (event: PubsubEvent) => void | Promise<void>,
  options: PubsubEventOptions = {},
): Unsubscribe {
  return core.onStanza("message", "pubsub event", (stanza) => {
    if (stanza.attrs.type === "error") return;
    const event = stanza.getChild("event", NS_PUBSUB_EVENT);
    if (!event) return;
    const service = bareJid(stanza.attrs.from ?? "");
    if (options.services && !options.services.some((s) => jidEquals(s, service, { bare: true }))) return;
    for (const e of readEvents(service, event)) core.guard("pubsub event", handler, e);
  });
}

function readEvents(service: string, event: XmlElement): PubsubEvent[] {
  const out: PubsubEvent[] = [];
  // Retractions, purges, deletions and configuration changes are not item publications: skipped.
  for (const items of event.getChildren("items", NS_PUBSUB_EVENT)) {
    const node = items.attrs.node;
    if (!node) continue;
    for (const item of items.getChildren("item", NS_PUBSUB_EVENT)) out.push({ service, node, ...readItem(item) });
  }
  return out;
}
