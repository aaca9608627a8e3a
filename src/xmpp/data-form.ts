// XEP-0004 data forms: the submit forms of pubsub node and room configuration, and the
// forms of ad-hoc commands, both the ones we show and the ones we fill in.
import { NS_DATA_FORMS } from "./namespaces.js";
import type { XmlElement, XmlFactory } from "./xml.js";
import { attr } from "./xml.js";

/** A field value: booleans become "1"/"0", numbers decimal text, arrays several <value/>s. */
export type FormValue = string | number | boolean | readonly string[];

/** XEP-0004 §3.3 field types. */
export type FormFieldType =
  | "boolean"
  | "fixed"
  | "hidden"
  | "jid-multi"
  | "jid-single"
  | "list-multi"
  | "list-single"
  | "text-multi"
  | "text-private"
  | "text-single";

/** One field of a form we show (XEP-0004 §3.2). */
export interface FormField {
  readonly var: string;
  readonly type?: FormFieldType;
  readonly label?: string;
  readonly desc?: string;
  readonly required?: boolean;
  /** Default or current values; a text-multi's lines are separate values. */
  readonly values?: readonly string[];
  readonly options?: ReadonlyArray<{ readonly value: string; readonly label?: string }>;
}

/** A form to fill in, as plain data. */
export interface FormSpec {
  readonly title?: string;
  readonly instructions?: string;
  readonly fields: readonly FormField[];
}

/** A field of a form we received, with every value it carried. */
export interface ReceivedField {
  readonly var: string;
  readonly type?: string;
  readonly label?: string;
  readonly required: boolean;
  readonly values: readonly string[];
  readonly options: ReadonlyArray<{ readonly value: string; readonly label?: string }>;
}

/** A form we received: "form" to fill in, "submit" filled in, "result", or "cancel". */
export interface ReceivedForm {
  readonly type: string;
  readonly title?: string;
  readonly instructions?: string;
  readonly fields: readonly ReceivedField[];
}

/** XEP-0004 §3.1: a form of type "submit" carrying FORM_TYPE (when given) and the given fields. */
export function buildSubmitForm(
  xml: XmlFactory,
  formType: string | null,
  fields: ReadonlyMap<string, FormValue>,
): XmlElement {
  const field = (name: string, value: FormValue, type?: string): XmlElement =>
    xml("field", { var: name, ...(type ? { type } : {}) }, ...valuesOf(value).map((v) => xml("value", {}, v)));
  return xml(
    "x",
    { xmlns: NS_DATA_FORMS, type: "submit" },
    formType === null ? undefined : field("FORM_TYPE", formType, "hidden"),
    ...[...fields].map(([name, value]) => field(name, value)),
  );
}

/** XEP-0004 §3.1: a form of type "form" (to fill in) or "result", from its plain description. */
export function buildForm(xml: XmlFactory, spec: FormSpec, type: "form" | "result" = "form"): XmlElement {
  return xml(
    "x",
    { xmlns: NS_DATA_FORMS, type },
    spec.title === undefined ? undefined : xml("title", {}, spec.title),
    spec.instructions === undefined ? undefined : xml("instructions", {}, spec.instructions),
    ...spec.fields.map((f) =>
      xml(
        "field",
        { var: f.var, type: f.type, label: f.label },
        f.desc === undefined ? undefined : xml("desc", {}, f.desc),
        f.required ? xml("required", {}) : undefined,
        ...(f.options ?? []).map((o) => xml("option", { label: o.label }, xml("value", {}, o.value))),
        ...(f.values ?? []).map((v) => xml("value", {}, v)),
      ),
    ),
  );
}

/** Reads a whole form (XEP-0004 §3.1–3.2): its type, title, instructions and fields in order. */
export function parseForm(x: XmlElement): ReceivedForm {
  const fields: ReceivedField[] = [];
  for (const f of x.getChildren("field", NS_DATA_FORMS)) {
    const name = attr(f, "var");
    if (name === undefined) continue; // a "fixed" field without var is a label, not a value
    const type = attr(f, "type");
    const label = attr(f, "label");
    fields.push({
      var: name,
      ...(type === undefined ? {} : { type }),
      ...(label === undefined ? {} : { label }),
      required: f.getChild("required", NS_DATA_FORMS) !== undefined,
      values: f.getChildren("value", NS_DATA_FORMS).map((v) => v.text()),
      options: f.getChildren("option", NS_DATA_FORMS).map((o) => {
        const optionLabel = attr(o, "label");
        return {
          value: o.getChildText("value", NS_DATA_FORMS) ?? "",
          ...(optionLabel === undefined ? {} : { label: optionLabel }),
        };
      }),
    });
  }
  const title = x.getChildText("title", NS_DATA_FORMS);
  const instructions = x
    .getChildren("instructions", NS_DATA_FORMS)
    .map((i) => i.text())
    .join("\n");
  return { type: x.attrs.type ?? "", ...(title ? { title } : {}), ...(instructions ? { instructions } : {}), fields };
}

/** Reads the values of a form's fields by `var` (XEP-0004 §3.2), first the FORM_TYPE. */
export function readForm(x: XmlElement): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of x.getChildren("field", NS_DATA_FORMS)) {
    const name = f.attrs.var;
    if (name)
      out.set(
        name,
        f.getChildren("value", NS_DATA_FORMS).map((v) => v.text()),
      );
  }
  return out;
}

function valuesOf(value: FormValue): string[] {
  if (typeof value === "boolean") return [value ? "1" : "0"];
  if (typeof value === "number") return [String(value)];
  if (typeof value === "string") return [value];
  return [...value];
}
