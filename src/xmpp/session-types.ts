// What a session is and is told, shared by its public face (session.ts) and its internals
// (session-core.ts) so that neither imports the other's module for types.
import type { Clock } from "../clock/clock.js";
import type { BackoffOptions } from "../util/backoff.js";

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
