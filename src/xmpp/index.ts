// The public API of src/xmpp: plain typed data in and out, no XML.
export { connectClient } from "./client.js";
export type { ClientOptions } from "./client.js";
export { connectComponent } from "./component.js";
export type { ComponentOptions } from "./component.js";
export type { SessionEvents, SessionKind, SessionOptions, XmppSession } from "./session.js";
export type { Unsubscribe } from "./emitter.js";
export { DEFAULT_BACKOFF, backoffDelay } from "./backoff.js";
export type { BackoffOptions } from "./backoff.js";
export { XmppHandlerError, XmppIoError, isStanzaErrorCondition } from "./errors.js";
export type { HandlerFailure, StanzaErrorCondition, StanzaErrorType, XmppFailure, XmppIoErrorKind, XmppResult } from "./errors.js";
export { bareJid, isFullJid, jidDomain, jidEquals, jidLocal, jidResource, normalizeJid, parseJid } from "./jid.js";
export type { JidParts } from "./jid.js";
export * from "./namespaces.js";
