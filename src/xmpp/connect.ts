// Opening a session: a c2s client (RFC 6120) over @xmpp/client 0.14, with XEP-0198 stream
// management and our native SCRAM-SHA-1, or an XEP-0114 external component over
// @xmpp/component 0.13. Components have no stream management and no roster: see presence.ts.
// The two stay one minor apart because 0.13.1 is @xmpp/component's newest release; move it to
// 0.14 when one is published (vendor.d.ts declares both).
import { client, xml as rawClientXml } from "@xmpp/client";
import { DEFAULT_KEEPALIVE } from "./keepalive.js";
import { NS_PING } from "./namespaces.js";
import { fixInboundCounter } from "./raw-entity.js";
import type { RawEntity } from "./raw-entity.js";
import { NATIVE_SCRAM_SHA1, NativeScramSha1 } from "./scram-sha1.js";
import type { ScramCache } from "./scram-sha1.js";
import { SessionCore, sessionFacade } from "./session.js";
import type { SessionOptions, XmppSession } from "./session.js";
import type { XmlFactory } from "./xml.js";

/** How to reach and log in to the server as one account. */
export interface ClientOptions extends SessionOptions {
  /**
   * e.g. "xmpp://127.0.0.1:5222" (plain TCP, STARTTLS if offered) or "xmpps://host:5223"; or the
   * addresses of several nodes of one cluster, tried in turn (see LifecycleOptions.services).
   */
  readonly service: string | readonly string[];
  readonly domain: string;
  readonly username: string;
  readonly password: string;
  /** Resource to bind; the server picks one when absent. */
  readonly resource?: string;
  /** Hash SCRAM-SHA-1 with node:crypto instead of xmpp.js's WebCrypto loop, which makes each login slow. Default true. */
  readonly nativeScram?: boolean;
  /** XEP-0198 keepalive: ask for an ack after this much quiet (default 30 s) and drop the link if none comes within `ackTimeoutMs` (default 60 s). */
  readonly streamManagement?: { readonly requestAckIntervalMs?: number; readonly ackTimeoutMs?: number };
}

interface RawClient extends RawEntity {
  readonly saslFactory: { use(name: string, mech: new () => unknown): unknown };
  isSecure(): boolean;
}

/** The `xml` factory of @xmpp/client's copy of ltx (for unit tests of XML code in src/xmpp). */
export const clientXml = rawClientXml as XmlFactory;

type Authenticate = (credentials: Record<string, unknown>, mechanism: string) => Promise<void>;

/** Logs in as `username@domain`; resolves once online, rejects if the first login fails. */
export async function connectClient(options: ClientOptions): Promise<XmppSession> {
  const scramCache: ScramCache = {};
  const credentials = { username: options.username, password: options.password, scramCache };
  const native = options.nativeScram ?? true;
  const services = serviceList(options.service);
  const entity = client({
    service: services[0],
    domain: options.domain,
    username: options.username,
    ...(options.resource ? { resource: options.resource } : {}),
    // A function here lets us pick the mechanism (RFC 6120 §6.3.3) for both SASL and SASL2.
    credentials: (authenticate: Authenticate, mechanisms: string[]) =>
      authenticate(credentials, chooseMechanism(mechanisms, native, raw.isSecure())),
  });
  const raw = entity as RawClient;
  if (native) raw.saslFactory.use(NATIVE_SCRAM_SHA1, NativeScramSha1);
  fixInboundCounter(raw);
  const sm = raw.streamManagement;
  if (sm && options.streamManagement?.requestAckIntervalMs !== undefined)
    sm.requestAckInterval = options.streamManagement.requestAckIntervalMs;
  if (sm && options.streamManagement?.ackTimeoutMs !== undefined) sm.timeout = options.streamManagement.ackTimeoutMs;
  // XEP-0198 acks do not notice a link that loses what we send while the server's stanzas still
  // arrive: xmpp.js clears its ack timeout at any incoming element. The pings do.
  const keepAlive = options.keepAlive ?? DEFAULT_KEEPALIVE;
  const core = new SessionCore("client", { entity: raw, xml: clientXml }, { ...options, services, keepAlive });
  await core.start();
  return sessionFacade(core);
}

// Never PLAIN over an unencrypted stream, never ANONYMOUS for an account.
function chooseMechanism(offered: readonly string[], native: boolean, secure: boolean): string {
  if (native && offered.includes("SCRAM-SHA-1")) return NATIVE_SCRAM_SHA1;
  const usable = offered.filter((m) => m !== "ANONYMOUS" && (secure || m !== "PLAIN"));
  const chosen = usable[0];
  if (!chosen) throw new Error(`SASL: no acceptable mechanism among ${offered.join(", ") || "none"}`);
  return chosen;
}

/** How to reach the server's component port. */
export interface ComponentOptions extends SessionOptions {
  /** e.g. "xmpp://127.0.0.1:5347"; or the component ports of several cluster nodes, tried in turn. */
  readonly service: string | readonly string[];
  /** The component's JID, e.g. "alertbot.mauve.localhost". */
  readonly domain: string;
  /** The shared secret of XEP-0114 §3 (component_secret in Prosody). */
  readonly password: string;
  /**
   * When the first handshake fails, resolve with the session offline (`offlineReason` says why)
   * and keep retrying as after a drop, instead of rejecting. Needs `reconnect` (the default).
   */
  readonly keepTrying?: boolean;
}

/**
 * Connects as component `domain`; resolves once the handshake succeeded, rejects if the first one
 * fails (unless `keepTrying`).
 */
export async function connectComponent(options: ComponentOptions): Promise<XmppSession> {
  const services = serviceList(options.service);
  // Loaded here, not with this module: agents and other clients never need it.
  const { component, xml: rawComponentXml } = await import("@xmpp/component");
  const entity = component({
    service: services[0],
    domain: options.domain,
    password: options.password,
  }) as RawEntity;
  // No XEP-0198 acks on a component link: without pings a frozen server was never noticed.
  const keepAlive = options.keepAlive ?? DEFAULT_KEEPALIVE;
  const core = new SessionCore(
    "component",
    { entity, xml: rawComponentXml as XmlFactory },
    { ...options, services, keepAlive },
  );
  // XEP-0199 §6: @xmpp/component, unlike @xmpp/client, does not answer pings.
  core.handleIq("get", NS_PING, "ping", "ping", () => ({ ok: true }));
  await core.start(options.keepTrying ?? false);
  return sessionFacade(core);
}

function serviceList(service: string | readonly string[]): readonly string[] {
  const list = typeof service === "string" ? [service] : service;
  if (list.length === 0) throw new Error("no XMPP service address given");
  return list;
}
