// Expected failures are values named after RFC 6120 stanza error conditions;
// exceptions are for I/O (no connection, no reply) and for bugs in handlers.
import { ellipsize, oneLine } from "../codec/text.js";
import { errorText } from "../errors.js";
import { NS_PUBSUB_ERRORS, NS_STANZAS } from "./namespaces.js";
import type { XmlElement, XmlFactory } from "./xml.js";

/** RFC 6120 §8.3.3 defined conditions. */
export type StanzaErrorCondition =
  | "bad-request"
  | "conflict"
  | "feature-not-implemented"
  | "forbidden"
  | "gone"
  | "internal-server-error"
  | "item-not-found"
  | "jid-malformed"
  | "not-acceptable"
  | "not-allowed"
  | "not-authorized"
  | "policy-violation"
  | "recipient-unavailable"
  | "redirect"
  | "registration-required"
  | "remote-server-not-found"
  | "remote-server-timeout"
  | "resource-constraint"
  | "service-unavailable"
  | "subscription-required"
  | "undefined-condition"
  | "unexpected-request";

/** RFC 6120 §8.3.2 error types: what the requester may do about it. */
export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/** A refused request: `condition` as the server sent it, plus details when present. */
export interface XmppFailure {
  readonly ok: false;
  readonly condition: StanzaErrorCondition;
  readonly type?: StanzaErrorType;
  readonly text?: string;
  /** XEP-0060 §7 application condition, e.g. "precondition-not-met", "invalid-jid". */
  readonly pubsubCondition?: string;
}

/**
 * Conditions that say the server will never take this payload as it is (too big, malformed, against
 * a rule): a publisher that retries it holds everything queued behind it forever. `modify` is the
 * type a server gives what the sender must change before trying again.
 */
/** A server's words about a refusal, as far as they are repeated in a log line, an alert or a feed. */
const REFUSAL_TEXT_CHARS = 200;

const REFUSED_FOR_GOOD = new Set([
  "bad-request",
  "not-acceptable",
  "policy-violation",
  "payload-too-big",
  "invalid-payload",
]);

/** True when a refusal is for good: the payload must be changed or dropped, not sent again as it is. */
export function isRefusedForGood(failure: { readonly condition: string }): boolean {
  return REFUSED_FOR_GOOD.has(failure.condition);
}

/** A refusal in words a person reads: its condition, and the server's own words (folded, cut) when it gave any. */
export function refusalWords(failure: {
  readonly condition: string;
  readonly text?: string;
  readonly pubsubCondition?: string;
}): string {
  const more = oneLine(failure.pubsubCondition ?? failure.text ?? "");
  return more ? `${failure.condition}: ${ellipsize(more, REFUSAL_TEXT_CHARS)}` : failure.condition;
}

/** A failure to hand back from our own IQ handlers (provisioning); `type` defaults per condition. */
export interface HandlerFailure {
  readonly ok: false;
  readonly condition: StanzaErrorCondition;
  readonly text?: string;
}

// RFC 6120 §8.3.3: the type each condition is usually sent with.
const DEFAULT_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  "bad-request": "modify",
  conflict: "cancel",
  "feature-not-implemented": "cancel",
  forbidden: "auth",
  gone: "cancel",
  "internal-server-error": "cancel",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  redirect: "modify",
  "registration-required": "auth",
  "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "subscription-required": "auth",
  "undefined-condition": "cancel",
  "unexpected-request": "wait",
};

const TYPES = new Set<string>(["auth", "cancel", "continue", "modify", "wait"]);

/** Whether a string is one of the RFC 6120 conditions. */
export function isStanzaErrorCondition(name: string): name is StanzaErrorCondition {
  return Object.hasOwn(DEFAULT_TYPE, name);
}

/** Reads the `<error/>` child of an error stanza (RFC 6120 §8.3.2). */
export function parseStanzaError(stanza: XmlElement): XmppFailure {
  const error = stanza.getChild("error");
  if (!error) return { ok: false, condition: "undefined-condition", text: "error stanza without <error/>" };
  let condition: StanzaErrorCondition = "undefined-condition";
  let text: string | undefined;
  let pubsubCondition: string | undefined;
  for (const child of error.getChildElements()) {
    const ns = child.getNS();
    if (ns === NS_STANZAS && child.name === "text") text = child.text();
    else if (ns === NS_STANZAS && isStanzaErrorCondition(child.name)) condition = child.name;
    else if (ns === NS_PUBSUB_ERRORS) pubsubCondition = child.name;
  }
  const type = error.attrs.type;
  return {
    ok: false,
    condition,
    ...(type && TYPES.has(type) ? { type: type as StanzaErrorType } : {}),
    ...(text ? { text } : {}),
    ...(pubsubCondition ? { pubsubCondition } : {}),
  };
}

/** Builds an `<error/>` element for a reply (RFC 6120 §8.3.2). */
export function buildStanzaError(xml: XmlFactory, failure: HandlerFailure): XmlElement {
  return xml(
    "error",
    { type: DEFAULT_TYPE[failure.condition] },
    xml(failure.condition, { xmlns: NS_STANZAS }),
    failure.text ? xml("text", { xmlns: NS_STANZAS }, failure.text) : undefined,
  );
}

/** Why an XMPP operation could not complete at all (as opposed to being refused). */
export type XmppIoErrorKind = "not-connected" | "timeout" | "session-lost" | "stopped" | "connection" | "replaced";

/** An I/O failure: no connection, no reply in time, or the session was replaced before the reply came. */
export class XmppIoError extends Error {
  override readonly name = "XmppIoError";
  constructor(
    readonly kind: XmppIoErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A handler we called (event, chat, presence, IQ) threw or rejected; `cause` holds the original. */
export class XmppHandlerError extends Error {
  override readonly name = "XmppHandlerError";
  constructor(
    readonly handler: string,
    options: { cause: unknown },
  ) {
    super(`${handler} handler failed: ${describe(options.cause)}`, options);
  }
}

/** Something a peer sent that we refused unread (a stanza nested absurdly deep): its sender's fault, not the connection's. */
export class XmppBadInputError extends Error {
  override readonly name = "XmppBadInputError";
  constructor(
    /** The sender's JID, as the server stamped it ("" when absent). */
    readonly from: string,
    message: string,
  ) {
    super(message);
  }
}

/** Turns anything thrown into an Error without losing it. */
export function toError(value: unknown): Error {
  if (!(value instanceof Error)) return new Error(describe(value));
  // xmpp.js's own timeouts carry no message: the error goes on with a sentence, the original as cause.
  if (value.message === "")
    return new XmppIoError(value.name === "TimeoutError" ? "timeout" : "connection", errorText(value), {
      cause: value,
    });
  return value;
}

function describe(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}

/** Success with fields `T`, or a refusal as a value. */
export type XmppResult<T extends object = object> = ({ readonly ok: true } & T) | XmppFailure;
