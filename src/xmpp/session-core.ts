// The internals behind an XmppSession: lifecycle, IQ plumbing, stanza dispatch
// and the one error channel every handler failure ends in.
import { createLogger } from "../log.js";
import { systemClock } from "../clock/clock.js";
import { DEFAULT_BACKOFF } from "../util/backoff.js";
import { TypedEmitter, type Unsubscribe } from "./emitter.js";
import { XmppHandlerError, XmppIoError, toError } from "./errors.js";
import { IqHandlers, IqRequests, type IqHandlerResult, type IqReply, type IqRequest } from "./iq.js";
import { Lifecycle } from "./lifecycle.js";
import { hardenEntity, type RawBundle, type RawEntity } from "./raw-entity.js";
import type { SessionEvents, SessionKind, SessionOptions } from "./session-types.js";
import type { XmlElement, XmlFactory } from "./xml.js";

type StanzaHandler = (stanza: XmlElement) => void | Promise<void>;

const defaultOnError = (err: Error): void => createLogger().error("xmpp", { err, cause: err.cause });

/** Everything protocol modules need from a session. */
export class SessionCore {
  readonly events: TypedEmitter<SessionEvents>;
  readonly entity: RawEntity;
  readonly xml: XmlFactory;
  private readonly requests: IqRequests;
  private readonly iqHandlers: IqHandlers;
  private readonly lifecycle: Lifecycle;
  private readonly stanzaHandlers = new Map<string, Set<{ label: string; fn: StanzaHandler }>>();
  private readonly requestTimeoutMs: number;
  private boundJid: string;

  constructor(
    readonly kind: SessionKind,
    bundle: RawBundle,
    options: SessionOptions,
  ) {
    this.entity = bundle.entity;
    this.xml = bundle.xml;
    const clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.boundJid = kind === "component" ? (this.entity.options.domain ?? "") : "";
    this.events = new TypedEmitter<SessionEvents>((err, event) =>
      event === "error" ? undefined : this.report(new XmppHandlerError(`session "${String(event)}" listener`, { cause: err })),
    );
    this.events.on("error", options.onError ?? defaultOnError);
    hardenEntity(this.entity, (err) => this.report(new XmppIoError("connection", `xmpp input: ${err.message}`, { cause: err })));
    this.requests = new IqRequests((el) => this.send(el), () => this.jid, clock);
    this.iqHandlers = new IqHandlers(this.entity, this.xml, (err) => this.report(err));
    this.lifecycle = new Lifecycle(
      this.entity,
      {
        clock,
        random: options.random ?? Math.random,
        backoff: options.reconnect ?? DEFAULT_BACKOFF,
        connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
      },
      {
        online: (resumed) => this.onOnline(resumed),
        offline: (reason, willReconnect) => this.onOffline(reason, willReconnect),
        reconnecting: (attempt, delayMs, lastError) => this.events.emit("reconnecting", { attempt, delayMs, lastError }),
        error: (err) => this.report(err),
      },
    );
    this.entity.on("stanza", (stanza: XmlElement) => this.dispatch(stanza));
    // XEP-0198 §4: stanzas the server never acknowledged before the session was lost.
    this.entity.streamManagement?.on("fail", (stanza: XmlElement) => {
      if (this.lifecycle.isStopped || stanza.name === "iq") return; // IQ callers get session-lost instead
      this.report(new XmppIoError("session-lost", `a <${stanza.name}> to ${stanza.attrs.to ?? "?"} was never acknowledged and may be lost`));
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

  /** Logs in; rejects if the first login fails. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Ends the session for good. */
  async stop(): Promise<void> {
    const wasOnline = this.isOnline;
    await this.lifecycle.stop();
    this.requests.failAll(new XmppIoError("stopped", "the XMPP session was stopped"));
    if (wasOnline) this.events.emit("offline", { reason: "stopped", willReconnect: false });
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

  /** Sends an IQ get/set and waits for its reply; stanza errors come back as values. */
  request(iq: XmlElement, what: string, timeoutMs = this.requestTimeoutMs): Promise<IqReply> {
    return this.requests.request(iq, what, timeoutMs);
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
    if (!resumed) this.requests.failAll(new XmppIoError("session-lost", "the XMPP session was replaced before the reply came"));
    this.events.emit("online", { jid: this.boundJid, resumed });
  }

  private onOffline(reason: string, willReconnect: boolean): void {
    // Without stream management nothing survives a drop.
    if (!this.entity.streamManagement) this.requests.failAll(new XmppIoError("session-lost", `connection lost: ${reason}`));
    this.events.emit("offline", { reason, willReconnect });
  }
}
