// XEP-0004 data forms, as far as pubsub node configuration needs them.
import { NS_DATA_FORMS } from "./namespaces.js";
import type { XmlElement, XmlFactory } from "./xml.js";

/** A field value: booleans become "1"/"0", numbers decimal text, arrays several <value/>s. */
export type FormValue = string | number | boolean | readonly string[];

/** XEP-0004 §3.1: a form of type "submit" carrying FORM_TYPE and the given fields. */
export function buildSubmitForm(xml: XmlFactory, formType: string, fields: ReadonlyMap<string, FormValue>): XmlElement {
  const field = (name: string, value: FormValue, type?: string): XmlElement =>
    xml("field", { var: name, ...(type ? { type } : {}) }, ...valuesOf(value).map((v) => xml("value", {}, v)));
  return xml(
    "x",
    { xmlns: NS_DATA_FORMS, type: "submit" },
    field("FORM_TYPE", formType, "hidden"),
    ...[...fields].map(([name, value]) => field(name, value)),
  );
}

/** Reads the values of a form's fields by `var` (XEP-0004 §3.2), first the FORM_TYPE. */
export function readForm(x: XmlElement): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of x.getChildren("field", NS_DATA_FORMS)) {
    const name = f.attrs.var;
    if (name) out.set(name, f.getChildren("value", NS_DATA_FORMS).map((v) => v.text()));
  }
  return out;
}

function valuesOf(value: FormValue): string[] {
  if (typeof value === "boolean") return [value ? "1" : "0"];
  if (typeof value === "number") return [String(value)];
  if (typeof value === "string") return [value];
  return [...value];
}
