// One XMPP connection: the typed face the rest of mauve-xmpp sees (XmppSession, its events and
// options), and the internals behind it (SessionCore: lifecycle, IQ plumbing, stanza dispatch
// and the one error channel every handler failure ends in). Protocol modules (pubsub, disco, ...)
// reach the internals through coreOf().
import type { Clock } from "../clock/clock.js";
import { systemClock } from "../clock/clock.js";
import { createLogger, type Logger } from "../log.js";
import { DEFAULT_BACKOFF, DEFAULT_CONNECT_TIMEOUT_MS } from "../util/backoff.js";
import type { BackoffOptions } from "../util/backoff.js";
import { TypedEmitter } from "./emitter.js";
import type { Unsubscribe } from "./emitter.js";
import { XmppBadInputError, XmppHandlerError, XmppIoError, toError } from "./errors.js";
import { IqHandlers, IqRequests } from "./iq.js";
import type { IqHandlerResult, IqReply, IqRequest } from "./iq.js";
import { KeepAlive } from "./keepalive.js";
import type { KeepAliveOptions } from "./keepalive.js";
import { Lifecycle } from "./lifecycle.js";
import { NS_PING } from "./namespaces.js";
import { hardenEntity } from "./raw-entity.js";
import { refuseDeepStanzas } from "./stanza-depth.js";
import type { RawBundle, RawEntity } from "./raw-entity.js";
import type { XmlElement, XmlFactory } from "./xml.js";

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
  offline: {
    readonly reason: string;
    readonly willReconnect: boolean;
    /**
     * How many times in a row another login with this address took the session over (server stream
     * error conflict); 0 when it ended for another reason. The reconnection waits longer each time.
     */
    readonly replacedStreak: number;
    /** True when it ended because this process stopped the session (`stop()`), not by a failure. */
    readonly stopped?: boolean;
  };
  /** A reconnection attempt is scheduled after `delayMs`. */
  reconnecting: { readonly attempt: number; readonly delayMs: number; readonly lastError: string };
  /**
   * XmppIoError (connection trouble, lost stanzas), XmppHandlerError (one of our handlers threw) or
   * XmppBadInputError (a peer sent what we refused unread: log it as theirs).
   */
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
  /**
   * Pings the server every `intervalMs` and drops the connection when it does not answer
   * (keepalive.ts): a frozen server or a black-holed path is noticed. Default: off here; connect.ts
   * turns it on (DEFAULT_KEEPALIVE) for clients and components alike.
   */
  readonly keepAlive?: KeepAliveOptions | false;
  /** Timers for backoff and timeouts. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * The clock the keepalive judges the server by. Default: the system clock, even where `clock`
   * is a simulated one: a leap of simulated time (hours of policy run in a test) says nothing of
   * whether the server answers, and was taken for a dead link.
   */
  readonly networkClock?: Clock;
  /** Source of jitter in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/** What connect.ts adds for the lifecycle: every address of the server, tried in turn. */
export interface SessionCoreOptions extends SessionOptions {
  readonly services?: readonly string[];
}

/** One XMPP connection, reconnecting by itself until stopped. */
export interface XmppSession {
  readonly kind: SessionKind;
  /** Our address: the bound full JID of a client ("" before login), the domain of a component. */
  readonly jid: string;
  /** Whether a stream is authenticated and usable right now. */
  readonly isOnline: boolean;
  /** Why the session is offline now (the last "offline" event's reason); null while online or before the first login. */
  readonly offlineReason: string | null;
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
    get offlineReason() {
      return core.offlineReason;
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

type StanzaHandler = (stanza: XmlElement) => void | Promise<void>;

const defaultOnError = (err: Error): void => createLogger().error("xmpp", { err, cause: err.cause });

/**
 * A session's `onError` that logs to `log`: a peer's bad input as a warning saying it was refused;
 * a connection that failed (reset, refused) as a warning with its reason and no stack, since the
 * session's own line (disconnected, will retry) follows and says what happens next; anything else
 * as an error. Logged as an error with a stack, each drop read as a crash in the log.
 */
export function logSessionErrors(log: Logger): (err: Error) => void {
  return (err) => {
    if (err instanceof XmppBadInputError)
      log.warn("bad input from a peer, refused", { from: err.from, why: err.message });
    else if (err instanceof XmppIoError && err.kind === "connection")
      log.warn("xmpp connection failed", { reason: err.message });
    else log.error("xmpp", { err });
  };
}

/** Everything protocol modules need from a session. */
export class SessionCore {
  readonly events: TypedEmitter<SessionEvents>;
  readonly entity: RawEntity;
  readonly xml: XmlFactory;
  private readonly requests: IqRequests;
  private readonly iqHandlers: IqHandlers;
  private readonly lifecycle: Lifecycle;
  private readonly keepAlive: KeepAlive | null;
  private readonly stanzaHandlers = new Map<string, Set<{ label: string; fn: StanzaHandler }>>();
  private readonly requestTimeoutMs: number;
  private readonly networkClock: Clock;
  private boundJid: string;
  /** See XmppSession.offlineReason. */
  offlineReason: string | null = null;

  constructor(
    readonly kind: SessionKind,
    bundle: RawBundle,
    options: SessionCoreOptions,
  ) {
    this.entity = bundle.entity;
    this.xml = bundle.xml;
    const clock = options.clock ?? systemClock;
    this.networkClock = options.networkClock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.boundJid = kind === "component" ? (this.entity.options.domain ?? "") : "";
    this.events = new TypedEmitter<SessionEvents>((err, event) =>
      event === "error"
        ? undefined
        : this.report(new XmppHandlerError(`session "${String(event)}" listener`, { cause: err })),
    );
    this.events.on("error", options.onError ?? defaultOnError);
    hardenEntity(this.entity, (err) =>
      this.report(new XmppIoError("connection", `xmpp input: ${err.message}`, { cause: err })),
    );
    refuseDeepStanzas(this.entity, this.xml, (err) => this.report(err));
    this.requests = new IqRequests(
      (el) => this.send(el),
      () => this.jid,
      clock,
    );
    this.iqHandlers = new IqHandlers(this.entity, this.xml, (err) => this.report(err));
    this.lifecycle = new Lifecycle(
      this.entity,
      {
        clock,
        random: options.random ?? Math.random,
        backoff: options.reconnect ?? DEFAULT_BACKOFF,
        connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        ...(options.services ? { services: options.services } : {}),
      },
      {
        online: (resumed) => this.onOnline(resumed),
        offline: (reason, willReconnect, replacedStreak) => this.onOffline(reason, willReconnect, replacedStreak),
        reconnecting: (attempt, delayMs, lastError) =>
          this.events.emit("reconnecting", { attempt, delayMs, lastError }),
        error: (err) => this.report(err),
      },
    );
    const keepAlive = options.keepAlive;
    this.keepAlive = keepAlive
      ? new KeepAlive({
          clock: this.networkClock,
          options: keepAlive,
          ping: (timeoutMs) => this.pingServer(timeoutMs),
          drop: (reason) => {
            this.report(new XmppIoError("timeout", `xmpp connection: ${reason}; dropping it`));
            this.lifecycle.dropDead(reason);
          },
        })
      : null;
    if (this.keepAlive) {
      const watch = this.keepAlive;
      this.entity.on("element", () => watch.heard());
    }
    this.entity.on("stanza", (stanza: XmlElement) => this.dispatch(stanza));
    // XEP-0198 §4: stanzas the server never acknowledged before the session was lost.
    this.entity.streamManagement?.on("fail", (stanza: XmlElement) => {
      if (this.lifecycle.isStopped || stanza.name === "iq") return; // IQ callers get session-lost instead
      this.report(
        new XmppIoError(
          "session-lost",
          `a <${stanza.name}> to ${stanza.attrs.to ?? "?"} was never acknowledged and may be lost`,
        ),
      );
    });
  }

  /** Our own address (see XmppSession.jid). */
  get jid(): string {
    return this.boundJid;
  }

  /** Whether a stream is up. */
  get isOnline(): boolean {
    return this.lifecycle.isOnline;
  }

  /** Logs in; rejects if the first login fails, unless `keepTrying` (see Lifecycle.start): then resolves whether online. */
  start(keepTrying = false): Promise<boolean> {
    return this.lifecycle.start(keepTrying);
  }

  /** Ends the session for good. */
  async stop(): Promise<void> {
    this.keepAlive?.stop();
    const wasOnline = this.isOnline;
    await this.lifecycle.stop();
    this.requests.failAll(new XmppIoError("stopped", "the XMPP session was stopped"));
    this.offlineReason = "stopped";
    if (wasOnline)
      this.events.emit("offline", { reason: "stopped", willReconnect: false, replacedStreak: 0, stopped: true });
  }

  /** Sends a stanza; rejects with XmppIoError("not-connected") while offline. */
  async send(stanza: XmlElement): Promise<void> {
    if (!this.isOnline) throw new XmppIoError("not-connected", `cannot send <${stanza.name}>: not connected`);
    try {
      await this.entity.send(stanza);
    } catch (err) {
      throw new XmppIoError("not-connected", `sending <${stanza.name}> failed`, { cause: err });
    }
  }

  /**
   * Sends an IQ get/set and waits for its reply; stanza errors come back as values. `onNetworkTime`
   * times the wait on the network clock: for a question whose answer is whether someone answers
   * (see `networkClock`).
   */
  request(iq: XmlElement, what: string, timeoutMs = this.requestTimeoutMs, onNetworkTime = false): Promise<IqReply> {
    return this.requests.request(iq, what, timeoutMs, onNetworkTime ? this.networkClock : undefined);
  }

  /** Calls `fn` for each incoming <message/> or <presence/>; its errors go to the error channel. */
  onStanza(name: "message" | "presence", label: string, fn: StanzaHandler): Unsubscribe {
    let set = this.stanzaHandlers.get(name);
    if (!set) {
      set = new Set();
      this.stanzaHandlers.set(name, set);
    }
    const entry = { label, fn };
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Answers incoming IQs with payload `{ns}name` (one handler per payload). */
  handleIq(
    type: "get" | "set",
    ns: string,
    name: string,
    label: string,
    fn: (req: IqRequest) => Promise<IqHandlerResult> | IqHandlerResult,
  ): Unsubscribe {
    return this.iqHandlers.handle(type, ns, name, label, fn);
  }

  /** Sends an error to the session's error channel. */
  report(err: Error): void {
    this.events.emit("error", err);
  }

  /** Runs a handler so that neither a throw nor a rejection escapes. */
  guard<T>(label: string, fn: (arg: T) => unknown, arg: T): void {
    const fail = (err: unknown): void => this.report(new XmppHandlerError(label, { cause: toError(err) }));
    try {
      const result = fn(arg);
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private dispatch(stanza: XmlElement): void {
    if (stanza.name === "iq") {
      this.requests.accept(stanza);
      return;
    }
    for (const { label, fn } of [...(this.stanzaHandlers.get(stanza.name) ?? [])]) this.guard(label, fn, stanza);
  }

  private onOnline(resumed: boolean): void {
    const jid = this.entity.jid?.toString();
    if (jid) this.boundJid = jid;
    // Replies to requests of a replaced session will never come.
    if (!resumed)
      this.requests.failAll(new XmppIoError("session-lost", "the XMPP session was replaced before the reply came"));
    this.offlineReason = null;
    this.keepAlive?.start();
    this.events.emit("online", { jid: this.boundJid, resumed });
  }

  /**
   * XEP-0199 ping of the entity's domain: the server for a client; for a component its own JID, which
   * the server routes back to it (answered in connect.ts), so the answer proves the whole round trip.
   * Any reply, an error too, means the server answered.
   */
  private async pingServer(timeoutMs: number): Promise<boolean> {
    const to = this.entity.options.domain;
    if (!to) return true;
    try {
      await this.requests.request(
        this.xml("iq", { type: "get", to }, this.xml("ping", { xmlns: NS_PING })),
        "keepalive ping",
        timeoutMs,
        this.networkClock,
      );
      return true;
    } catch {
      return false;
    }
  }

  private onOffline(reason: string, willReconnect: boolean, replacedStreak: number): void {
    this.keepAlive?.stop();
    // Without stream management nothing survives a drop.
    if (!this.entity.streamManagement)
      this.requests.failAll(new XmppIoError("session-lost", `connection lost: ${reason}`));
    this.offlineReason = reason;
    this.events.emit("offline", { reason, willReconnect, replacedStreak });
  }
}
