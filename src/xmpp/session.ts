// The typed face of an XMPP connection that the rest of mauve-xmpp sees.
// Protocol modules (pubsub, disco, ...) reach the internals through coreOf().
import type { Unsubscribe } from "./emitter.js";
import type { SessionCore } from "./session-core.js";
import type { SessionEvents, SessionKind } from "./session-types.js";

export type { SessionEvents, SessionKind, SessionOptions } from "./session-types.js";

/** One XMPP connection, reconnecting by itself until stopped. */
export interface XmppSession {
  readonly kind: SessionKind;
  /** Our address: the bound full JID of a client ("" before login), the domain of a component. */
  readonly jid: string;
  /** Whether a stream is authenticated and usable right now. */
  readonly isOnline: boolean;
  /** Subscribes to a session event; returns the unsubscribe function. */
  on<K extends keyof SessionEvents>(event: K, listener: (payload: SessionEvents[K]) => void): Unsubscribe;
  /** Closes the stream, stops reconnecting and fails outstanding requests with XmppIoError("stopped"). */
  stop(): Promise<void>;
}

const cores = new WeakMap<XmppSession, SessionCore>();

/** Wraps a core in its public face. */
export function sessionFacade(core: SessionCore): XmppSession {
  const session: XmppSession = Object.freeze({
    get kind() {
      return core.kind;
    },
    get jid() {
      return core.jid;
    },
    get isOnline() {
      return core.isOnline;
    },
    on: <K extends keyof SessionEvents>(event: K, listener: (payload: SessionEvents[K]) => void) =>
      core.events.on(event, listener),
    stop: () => core.stop(),
  });
  cores.set(session, core);
  return session;
}

/** The internals of a session made by connectClient/connectComponent. */
export function coreOf(session: XmppSession): SessionCore {
  const core = cores.get(session);
  if (!core) throw new TypeError("not a session made by connectClient() or connectComponent()");
  return core;
}
