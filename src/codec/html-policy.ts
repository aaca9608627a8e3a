// What survives in detail HTML: the element whitelist, the dropped elements and the URL rule,
// shared by the sanitiser and the plain-text renderer so that both see the same content.
import { decodeEntities } from "./html-entities.js";
import { RAW_TEXT_ELEMENTS, tokenizeHtml } from "./html-tokenizer.js";
import type { HtmlToken } from "./html-tokenizer.js";
import { stripControls } from "./text.js";

/** Elements kept in sanitised detail (with at most the attributes in `ALLOWED_ATTRIBUTES`). */
export const ALLOWED_ELEMENTS: ReadonlySet<string> = new Set([
  "a", "b", "i", "u", "s", "em", "strong", "small", "sub", "sup", "code", "kbd", "samp", "tt", "pre",
  "p", "div", "span", "br", "hr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
  "ul", "ol", "li", "dl", "dt", "dd",
  "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
]);

/** Elements that never have content or an end tag. */
export const VOID_ELEMENTS: ReadonlySet<string> = new Set(["br", "hr"]);

/** Attributes kept, per element; everything else (on*, style, src, ...) is dropped. */
export const ALLOWED_ATTRIBUTES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["a", new Set(["href", "title"])],
  ["td", new Set(["colspan", "rowspan"])],
  ["th", new Set(["colspan", "rowspan"])],
]);

/** Elements removed together with everything inside them: active or invisible content. */
export const DROPPED_WITH_CONTENT: ReadonlySet<string> = new Set([
  ...RAW_TEXT_ELEMENTS, "object", "applet", "svg", "math", "template", "frameset", "select", "head",
]);

/** Elements that break lines in plain text (a line break before and after them). */
export const BLOCK_ELEMENTS: ReadonlySet<string> = new Set([
  "p", "div", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
  "table", "caption", "tr", "hr",
]);

/**
 * The link target to keep, or undefined: only http, https and mailto survive. Browsers ignore tabs
 * and newlines inside a URL and control characters around it, so "java\tscript:" is checked as
 * "javascript:" here too.
 */
export function safeUrl(raw: string): string | undefined {
  const url = stripControls(decodeEntities(raw), false).trim();
  if (!/^(?:https?:\/\/[^\s/?#]|mailto:[^\s])/i.test(url)) return undefined;
  return url.replace(/\s/g, (c) => encodeURIComponent(c));
}

/**
 * The tokens of `html` that are visible content: the elements in `DROPPED_WITH_CONTENT` and
 * everything inside them are gone (an unclosed one hides the rest of the fragment).
 */
export function* visibleTokens(html: string): Generator<HtmlToken> {
  let hiding: { name: string; depth: number } | undefined;
  for (const token of tokenizeHtml(html)) {
    if (hiding !== undefined) {
      if (token.kind === "start" && token.name === hiding.name) hiding.depth++;
      if (token.kind === "end" && token.name === hiding.name && --hiding.depth === 0) hiding = undefined;
      continue;
    }
    if (token.kind === "rawtext") continue; // all raw-text elements are dropped with their content
    if (token.kind === "start" && DROPPED_WITH_CONTENT.has(token.name)) {
      // The tokenizer has already consumed a raw-text element's content and end tag.
      if (!RAW_TEXT_ELEMENTS.has(token.name)) hiding = { name: token.name, depth: 1 };
      continue;
    }
    yield token;
  }
}
