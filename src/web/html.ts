import { escapeUTF8 } from "entities";

const RAW: unique symbol = Symbol("html");

/** Markup that is already safe: built by {@link html} from escaped parts, or sanitised. */
export interface Html {
  readonly [RAW]: string;
}

/** A value a template may hold: text (escaped), numbers, safe markup, lists of those, or nothing. */
export type HtmlPart = Html | string | number | null | undefined | false | readonly HtmlPart[];

function render(part: HtmlPart): string {
  if (part === null || part === undefined || part === false) return "";
  if (typeof part === "string") return escapeUTF8(part);
  if (typeof part === "number") return String(part);
  if (Array.isArray(part)) return (part as readonly HtmlPart[]).map(render).join("");
  return (part as Html)[RAW];
}

/**
 * The one way pages are built: every interpolated string is escaped (text and attribute values
 * alike: `& < > " '`), so a source, subject or note cannot inject markup. Only markup made here,
 * or passed through {@link trusted} after sanitising, goes in as is.
 */
export function html(strings: TemplateStringsArray, ...parts: readonly HtmlPart[]): Html {
  let out = strings[0] ?? "";
  parts.forEach((part, i) => {
    out += render(part) + (strings[i + 1] ?? "");
  });
  return { [RAW]: out };
}

/** Markup known to be safe already (the codec's sanitised alert detail, our own SVG). */
export function trusted(markup: string): Html {
  return { [RAW]: markup };
}

/** The markup as a string, for the response body. */
export function toText(markup: Html): string {
  return markup[RAW];
}
