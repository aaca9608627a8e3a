// An XEP-0114 external component session over @xmpp/component 0.13.
// Components have no stream management and no roster: see presence.ts.
import { component, xml } from "@xmpp/component";
import { NS_PING } from "./namespaces.js";
import type { RawEntity } from "./raw-entity.js";
import { SessionCore } from "./session-core.js";
import { sessionFacade } from "./session.js";
import type { SessionOptions, XmppSession } from "./session.js";
import type { XmlFactory } from "./xml.js";

/** How to reach the server's component port. */
export interface ComponentOptions extends SessionOptions {
  /** e.g. "xmpp://127.0.0.1:5347". */
  readonly service: string;
  /** The component's JID, e.g. "alertbot.mauve.localhost". */
  readonly domain: string;
  /** The shared secret of XEP-0114 §3 (component_secret in Prosody). */
  readonly password: string;
}

/** Connects as component `domain`; resolves once the handshake succeeded, rejects if the first one fails. */
export async function connectComponent(options: ComponentOptions): Promise<XmppSession> {
  const entity = component({ service: options.service, domain: options.domain, password: options.password }) as RawEntity;
  const core = new SessionCore("component", { entity, xml: xml as XmlFactory }, options);
  // XEP-0199 §6: @xmpp/component, unlike @xmpp/client, does not answer pings.
  core.handleIq("get", NS_PING, "ping", "ping", () => ({ ok: true }));
  await core.start();
  return sessionFacade(core);
}
