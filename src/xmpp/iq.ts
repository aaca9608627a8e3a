// RFC 6120 §8.2.3 IQ semantics: our requests (with timeouts and errors as
// values) and our handlers (one per payload, answered with a result or an error).
import { randomBytes } from "node:crypto";
import type { Clock, TimerHandle } from "../clock/clock.js";
import { buildStanzaError, parseStanzaError, XmppHandlerError, XmppIoError, toError } from "./errors.js";
import type { HandlerFailure, XmppFailure } from "./errors.js";
import type { Unsubscribe } from "./emitter.js";
import { bareJid, jidEquals } from "./jid.js";
import type { RawEntity, RawIqContext } from "./raw-entity.js";
import type { XmlElement, XmlFactory } from "./xml.js";

/** The answer to one of our IQ requests: the result stanza, or the error as a value. */
export type IqReply = { readonly ok: true; readonly stanza: XmlElement } | XmppFailure;

/** What a handler of incoming IQs returns: an optional payload for the result, or a failure. */
export type IqHandlerResult = { readonly ok: true; readonly payload?: XmlElement } | HandlerFailure;

/** An incoming IQ get/set, as our handlers see it. */
export interface IqRequest {
  /** Full JID of the requester, as stamped by the server. */
  readonly from: string;
  readonly to: string;
  /** The single payload child. */
  readonly element: XmlElement;
}

interface Pending {
  readonly to: string | undefined;
  readonly resolve: (reply: IqReply) => void;
  readonly reject: (err: Error) => void;
  readonly timer: TimerHandle;
}

/** Our outstanding IQ requests, matched to replies by id and sender. */
export class IqRequests {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = randomBytes(4).toString("hex");
  private seq = 0;

  constructor(
    private readonly send: (el: XmlElement) => Promise<void>,
    private readonly ownJid: () => string,
    private readonly clock: Clock,
  ) {}

  /**
   * Sends `iq`; resolves with the reply, rejects with XmppIoError on no connection or no reply in
   * time, as `clock` counts it (the session's unless told).
   */
  request(iq: XmlElement, what: string, timeoutMs: number, clock: Clock = this.clock): Promise<IqReply> {
    const id = `${this.prefix}-${++this.seq}`;
    iq.attrs.id = id;
    const to = iq.attrs.to;
    return new Promise<IqReply>((resolve, reject) => {
      const timer = clock.setTimer(timeoutMs, () => {
        this.pending.delete(id);
        reject(new XmppIoError("timeout", `no reply to ${what} from ${to ?? "our server"} within ${timeoutMs} ms`));
      });
      this.pending.set(id, { to, resolve, reject, timer });
      this.send(iq).catch((err: unknown) => {
        if (!this.pending.delete(id)) return;
        timer.cancel();
        reject(
          err instanceof XmppIoError ? err : new XmppIoError("not-connected", `${what}: send failed`, { cause: err }),
        );
      });
    });
  }

  /** Takes an incoming IQ result/error; returns false if it answers none of our requests. */
  accept(stanza: XmlElement): boolean {
    const type = stanza.attrs.type;
    if (type !== "result" && type !== "error") return false;
    const id = stanza.attrs.id ?? "";
    const entry = this.pending.get(id);
    if (!entry) return false;
    // RFC 6120 §8.1.2.1: a reply to a request without `to` comes from our own account.
    const own = bareJid(this.ownJid());
    if (!jidEquals(stanza.attrs.from ?? own, entry.to ?? own)) return false;
    this.pending.delete(id);
    entry.timer.cancel();
    entry.resolve(type === "result" ? { ok: true, stanza } : parseStanzaError(stanza));
    return true;
  }

  /** Rejects every outstanding request, e.g. when a new session replaced the one they were sent on. */
  failAll(err: XmppIoError): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      entry.timer.cancel();
      entry.reject(err);
    }
  }
}

type Handler = (req: IqRequest) => Promise<IqHandlerResult> | IqHandlerResult;

/** Routes incoming IQ get/set by payload to at most one handler each; unhandled ones get service-unavailable. */
export class IqHandlers {
  private readonly handlers = new Map<string, { label: string; fn: Handler }>();
  private readonly registered = new Set<string>();

  constructor(
    private readonly entity: RawEntity,
    private readonly xml: XmlFactory,
    private readonly report: (err: Error) => void,
  ) {}

  /** Handles `type` IQs whose payload is `{ns}name`; replaces a previous handler of the same payload. */
  handle(type: "get" | "set", ns: string, name: string, label: string, fn: Handler): Unsubscribe {
    const key = `${type} {${ns}}${name}`;
    if (!this.registered.has(key)) {
      this.registered.add(key);
      this.entity.iqCallee[type](ns, name, (ctx) => this.dispatch(key, ctx));
    }
    const entry = { label, fn };
    this.handlers.set(key, entry);
    return () => {
      if (this.handlers.get(key) === entry) this.handlers.delete(key);
    };
  }

  // xmpp.js's callee turns an element into a result, an <error/> element into an error reply,
  // `true` into an empty result and undefined into service-unavailable.
  private async dispatch(key: string, ctx: RawIqContext): Promise<XmlElement | true | undefined> {
    const entry = this.handlers.get(key);
    if (!entry) return undefined;
    try {
      const result = await entry.fn({
        from: ctx.stanza.attrs.from ?? "",
        to: ctx.stanza.attrs.to ?? "",
        element: ctx.element,
      });
      if (!result.ok) return buildStanzaError(this.xml, result);
      return result.payload ?? true;
    } catch (err) {
      this.report(new XmppHandlerError(entry.label, { cause: toError(err) }));
      return buildStanzaError(this.xml, { ok: false, condition: "internal-server-error" });
    }
  }
}
