// The parts of an xmpp.js entity (client 0.14 or component 0.13) that we use,
// typed once, plus our fixes to it: the hardening every entity gets before its
// first connect, and the stream management counter fix for clients.
import { nodeSocketOf } from "./node-socket.js";
import type { XmlElement, XmlFactory } from "./xml.js";

type Listener = (...args: never[]) => void;

/** What an xmpp.js IQ callee handler receives. */
export interface RawIqContext {
  readonly stanza: XmlElement;
  readonly element: XmlElement;
  readonly from: { toString(): string } | null;
}

/** Minimal event emitter surface of xmpp.js objects. */
export interface RawEmitter {
  on(event: string, fn: Listener): unknown;
  removeListener(event: string, fn: Listener): unknown;
}

/** XEP-0198 state of @xmpp/client's stream management plugin. */
export interface RawStreamManagement extends RawEmitter {
  enabled: boolean;
  id: string;
  timeout: number;
  requestAckInterval: number;
}

/** An xmpp.js client or component entity, as far as src/xmpp relies on it. */
export interface RawEntity extends RawEmitter {
  status: string;
  jid: { toString(): string } | null;
  readonly options: { service?: string; readonly domain?: string; readonly lang?: string };
  socket: { setNoDelay?(noDelay?: boolean): unknown; destroy?(): unknown } | null;
  parser: unknown;
  /** How long xmpp.js waits for the server's stream header, and for its close (default 2 s). */
  timeout: number;
  _onData(data: Buffer): void;
  connect(service: string): Promise<unknown>;
  open(options: { domain?: string; lang?: string }): Promise<unknown>;
  disconnect(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(element: XmlElement): Promise<void>;
  readonly reconnect: { stop(): void };
  readonly iqCallee: {
    get(ns: string, name: string, handler: (ctx: RawIqContext) => unknown): void;
    set(ns: string, name: string, handler: (ctx: RawIqContext) => unknown): void;
  };
  readonly streamManagement?: RawStreamManagement;
}

/** An entity together with the `xml` factory of the same @xmpp/xml copy. */
export interface RawBundle {
  readonly entity: RawEntity;
  readonly xml: XmlFactory;
}

/**
 * Applies what every entity needs before it first connects:
 * - TCP_NODELAY on each new socket: Nagle's algorithm holds back the small writes XMPP is made of,
 *   delaying every event (Prosody needs `nagle = false` too; figures: docs/performance.md). On
 *   xmpps:// the socket is @xmpp/tls's wrapper, which has no setNoDelay: the TLS socket inside it
 *   has (after STARTTLS the plain socket underneath already had it set at its connect);
 * - a guard in `_onData`: @xmpp/connection detaches its parser when the stream closes, and
 *   bytes arriving after that made `this.parser.write` throw inside a socket listener,
 *   an uncaught exception that killed the process. Such bytes are now dropped, and any
 *   other parser exception is reported instead of thrown. Upstream: xmppjs/xmpp.js#860, fixed by
 *   xmppjs/xmpp.js#1100, which no release has yet (0.14.0 still throws); remove the guard once
 *   the @xmpp/connection we install has it.
 * - xmpp.js's own reconnect (a fixed 1 s, forever) is switched off: lifecycle.ts replaces it with
 *   backoff. Upstream: xmppjs/xmpp.js#1111 (back-off belongs in @xmpp/reconnect); keep ours
 *   until a release backs off and can be turned off when the client is made.
 */
export function hardenEntity(entity: RawEntity, report: (err: Error) => void): void {
  entity.reconnect.stop();
  entity.on("connect", () => {
    nodeSocketOf(entity.socket)?.setNoDelay?.(true);
  });
  const onData = entity._onData;
  entity._onData = function guardedOnData(this: RawEntity, data: Buffer): void {
    if (!this.parser) return;
    try {
      onData.call(this, data);
    } catch (err) {
      report(err instanceof Error ? err : new Error(String(err)));
    }
  };
}

// A fix for @xmpp/stream-management 0.14's inbound counter (XEP-0198 §4).
//
// The count of handled stanzas ('h') starts at <enabled/>. xmpp.js resets it in
// a promise continuation, i.e. after the rest of the TCP chunk holding <enabled/>
// has been parsed: stanzas in that chunk are counted, acknowledged if an <r/>
// follows them, then forgotten by the late reset. The next <a/> then carries a
// smaller h and Prosody kills the stream ("Client acknowledged less stanzas than
// already acknowledged"). A client that sends presence or IQs right after login
// hit this on roughly every other connection here. Not reported upstream when this was
// written (xmppjs/xmpp.js#822 and #823 are about a different race at <enable/>); remove the
// fix once @xmpp/stream-management resets `inbound` when it parses <enabled/>, and
// test/unit/xmpp-lifecycle.test.ts "xmpp stream-management counter fix" passes without it.
const NS_SM = "urn:xmpp:sm:3";

/** Resets the inbound counter when <enabled/> is parsed, and ignores xmpp.js's late reset. */
export function fixInboundCounter(entity: RawEntity): void {
  const sm = entity.streamManagement as (RawEntity["streamManagement"] & { inbound: number }) | undefined;
  if (!sm) return;
  let value = sm.inbound;
  let lateResetPending = false;
  Object.defineProperty(sm, "inbound", {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (next: number) => {
      if (lateResetPending && next === 0) {
        lateResetPending = false;
        return;
      }
      value = next;
    },
  });
  entity.on("nonza", (el: XmlElement) => {
    if (!el.is("enabled", NS_SM)) return;
    value = 0;
    lateResetPending = true;
  });
  entity.on("disconnect", () => {
    lateResetPending = false;
  });
}
