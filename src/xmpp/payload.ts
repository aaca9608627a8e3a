// The payload of a Mauve pubsub item:
//   <update xmlns="urn:mauve-xmpp:update:1"><data>BASE64 protobuf</data><text>readable line</text></update>
// src/codec produces and consumes the plain { data, text }; this file is the XML side.
import { NS_MAUVE_UPDATE, type UpdatePayload } from "../codec/payload.js";
import { clarkName } from "./xml.js";
import type { XmlElement, XmlFactory } from "./xml.js";

/** Any other element, as plain data (for tests and interop: a payload we do not define). */
export interface PlainElement {
  readonly name: string;
  readonly ns: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly children?: ReadonlyArray<PlainElement | string>;
}

/** What an item carried: our payload, or the Clark name (`{ns}name`) of something else, or nothing. */
export interface ItemContent {
  readonly payload?: UpdatePayload;
  readonly unknownPayload?: string;
  /** For something else: its text, element by element, one per line (an Atom entry's title, summary…). */
  readonly text?: string;
  /** For something else: the attributes of its element (xmlns apart). */
  readonly attrs?: Readonly<Record<string, string>>;
}

/** Builds the `<update/>` element. */
export function buildUpdate(xml: XmlFactory, payload: UpdatePayload): XmlElement {
  return xml("update", { xmlns: NS_MAUVE_UPDATE }, xml("data", {}, payload.data), xml("text", {}, payload.text));
}

/** Builds an arbitrary element from plain data. */
export function buildPlain(xml: XmlFactory, el: PlainElement): XmlElement {
  const children = (el.children ?? []).map((c) => (typeof c === "string" ? c : buildPlain(xml, c)));
  return xml(el.name, { ...el.attrs, xmlns: el.ns }, ...children);
}

/** Reads the single payload of an `<item/>` (XEP-0060 §7.1.2). */
export function readItemContent(item: XmlElement): ItemContent {
  const child = item.getChildElements()[0];
  if (!child) return {};
  if (!child.is("update", NS_MAUVE_UPDATE)) {
    const text = textOf(child);
    const { xmlns: _ns, ...attrs } = child.attrs as Record<string, string>;
    return {
      unknownPayload: clarkName(child),
      ...(text ? { text } : {}),
      ...(Object.keys(attrs).length > 0 ? { attrs } : {}),
    };
  }
  const data = child.getChild("data", NS_MAUVE_UPDATE);
  if (!data) return { unknownPayload: `${clarkName(child)} without <data/>` };
  return { payload: { data: data.text().trim(), text: child.getChildText("text", NS_MAUVE_UPDATE) ?? "" } };
}

/** The text inside an element, each element's own text on its own line. */
function textOf(el: XmlElement): string {
  const own = el.text().trim();
  const nested = el
    .getChildElements()
    .map(textOf)
    .filter((t) => t !== "");
  return [own, ...nested].filter((t) => t !== "").join("\n");
}
