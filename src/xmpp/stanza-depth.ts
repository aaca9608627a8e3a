// Stanzas nested absurdly deep: refused before anything reads them. ltx walks elements
// recursively (serialising, and xmpp.js's IQ error reply echoes the payload), so an IQ a few
// thousand levels deep overflowed the stack: the sender got no answer and the log blamed the
// connection. No stanza we understand nests more than a dozen levels.
import { XmppBadInputError } from "./errors.js";
import { NS_STANZAS } from "./namespaces.js";
import type { RawEntity } from "./raw-entity.js";
import type { XmlElement, XmlFactory } from "./xml.js";

/** The deepest nesting accepted, the stanza itself being level 1. */
export const MAX_STANZA_DEPTH = 64;

/** Whether `el` nests deeper than `max` levels; walks with its own stack, so no depth overflows it. */
export function nestsDeeperThan(el: XmlElement, max: number): boolean {
  const stack: Array<[XmlElement, number]> = [[el, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (depth > max) return true;
    for (const child of node.children) if (typeof child !== "string") stack.push([child, depth + 1]);
  }
  return false;
}

type ElementHandler = (this: RawEntity, element: XmlElement) => void;

/**
 * Makes `entity` refuse stanzas nested deeper than MAX_STANZA_DEPTH before any handler sees them:
 * an IQ get/set or a message gets `bad-request` (RFC 6120 §8.3.3.1) without its payload echoed,
 * a presence is dropped; `refused` hears of each, as bad input from its sender. Must run before
 * the first connect (xmpp.js binds `_onElement` to the parser when the stream opens).
 */
export function refuseDeepStanzas(entity: RawEntity, xml: XmlFactory, refused: (err: XmppBadInputError) => void): void {
  const raw = entity as RawEntity & { _onElement?: ElementHandler };
  const onElement = raw._onElement;
  if (typeof onElement !== "function") return;
  raw._onElement = function guardedOnElement(this: RawEntity, element: XmlElement): void {
    const stanza = element.name === "iq" || element.name === "message" || element.name === "presence";
    if (!stanza || !nestsDeeperThan(element, MAX_STANZA_DEPTH)) return onElement.call(this, element);
    // XEP-0198: the stanza was handled (by refusing it); the server's count must still match ours.
    const sm = this.streamManagement as { enabled?: boolean; inbound?: number } | undefined;
    if (sm?.enabled === true && typeof sm.inbound === "number") sm.inbound += 1;
    const { from, id, type } = element.attrs;
    refused(
      new XmppBadInputError(
        from ?? "",
        `a <${element.name}> nested deeper than ${MAX_STANZA_DEPTH} elements, refused unread`,
      ),
    );
    const answers = element.name !== "presence" && type !== "error" && type !== "result" && from !== undefined;
    if (!answers) return;
    const error = xml(
      "error",
      { type: "modify" },
      xml("bad-request", { xmlns: NS_STANZAS }),
      xml("text", { xmlns: NS_STANZAS }, `nested deeper than ${MAX_STANZA_DEPTH} elements`),
    );
    this.send(xml(element.name, { to: from, id, type: "error" }, error)).catch(() => undefined);
  };
}
