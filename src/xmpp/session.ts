// The typed face of an XMPP connection that the rest of mauve-xmpp sees.
// Protocol modules (pubsub, disco, ...) reach the internals through coreOf().
import type { Clock } from "../clock/clock.js";
import type { BackoffOptions } from "./backoff.js";
import type { Unsubscribe } from "./emitter.js";
import type { SessionCore } from "./session-core.js";

/** A c2s client (one account) or an XEP-0114 component. */
export type SessionKind = "client" | "component";

/** Events of a session and their payloads. */
export interface SessionEvents {
  /** A session is usable: after login, and after each reconnection. */
  online: {
    readonly jid: string;
    /**
     * True when XEP-0198 resumed the previous session (presence, subscriptions and
     * in-flight requests survived). False for a fresh session: send presence again.
     */
    readonly resumed: boolean;
  };
  /** The connection dropped; sends fail with XmppIoError("not-connected") until "online". */
  offline: { readonly reason: string; readonly willReconnect: boolean };
  /** A reconnection attempt is scheduled after `delayMs`. */
  reconnecting: { readonly attempt: number; readonly delayMs: number; readonly lastError: string };
  /** XmppIoError (connection trouble, lost stanzas) or XmppHandlerError (one of our handlers threw). */
  error: Error;
}

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

/** Options shared by clients and components. */
export interface SessionOptions {
  /** Receives every error of the session: I/O trouble and exceptions of our handlers. Default: a JSON line on stderr. */
  readonly onError?: (err: Error) => void;
  /** Reconnect backoff, or false to stay offline after a drop. Default DEFAULT_BACKOFF. */
  readonly reconnect?: BackoffOptions | false;
  /** How long an IQ request waits for its reply. Default 15 s. */
  readonly requestTimeoutMs?: number;
  /** How long one login may take before it is abandoned and retried. Default 20 s. */
  readonly connectTimeoutMs?: number;
  /** Timers for backoff and timeouts. Default: the system clock. */
  readonly clock?: Clock;
  /** Source of jitter in [0, 1). Default Math.random. */
  readonly random?: () => number;
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
