// The slice of ltx's Element that src/xmpp uses, typed. Elements come from two
// copies of ltx (ESM for @xmpp/client, CommonJS for @xmpp/component), so code
// here reads them only through these methods and never with `instanceof`.
// Nothing outside src/xmpp sees these types.

/** An XML element as built and parsed by @xmpp/xml (ltx). */
export interface XmlElement {
  name: string;
  attrs: Record<string, string | undefined>;
  children: Array<XmlElement | string>;
  parent?: XmlElement | null;
  is(name: string, ns?: string): boolean;
  getNS(): string | undefined;
  getName(): string;
  getChild(name: string, ns?: string): XmlElement | undefined;
  getChildren(name: string, ns?: string): XmlElement[];
  getChildElements(): XmlElement[];
  getChildText(name: string, ns?: string): string | null;
  text(): string;
  append(...children: Array<XmlElement | string>): XmlElement;
  toString(): string;
}

/** A child accepted by `XmlFactory`: falsy values are skipped, arrays flattened. */
export type XmlChild = XmlElement | string | undefined | null | false | readonly XmlChild[];

/** `xml(name, attrs, ...children)` of the session's own copy of @xmpp/xml. */
export type XmlFactory = (
  name: string,
  attrs?: Record<string, string | number | undefined> | null,
  ...children: XmlChild[]
) => XmlElement;

/** Clark notation (`{namespace}name`) of an element, for logs and "unknown payload" reports. */
export function clarkName(el: XmlElement): string {
  return `{${el.getNS() ?? ""}}${el.getName()}`;
}

/** An attribute value, or undefined when absent or empty. */
export function attr(el: XmlElement, name: string): string | undefined {
  const v = el.attrs[name];
  return v === undefined || v === "" ? undefined : v;
}
