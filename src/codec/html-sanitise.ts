// Detail HTML reaches browsers, mail clients and XHTML-IM: keep a small inert subset, escape the rest.
import { decodeEntities, escapeHtml } from "./html-entities.js";
import { ALLOWED_ATTRIBUTES, ALLOWED_ELEMENTS, VOID_ELEMENTS, safeUrl, visibleTokens } from "./html-policy.js";
import type { HtmlToken } from "./html-tokenizer.js";
import { charCount, stripControls, truncateChars } from "./text.js";

/** Deepest element nesting kept; deeper tags are dropped (their text stays). */
export const MAX_HTML_DEPTH = 32;

// Room for closing every open element after a cut: MAX_HTML_DEPTH times "</blockquote>", and "…".
const CLOSING_RESERVE = 512;

// A new one of these closes an open one of the same name, as in HTML ("<li>a<li>b").
const SELF_CLOSING_SIBLINGS: ReadonlySet<string> = new Set(["li", "p", "tr", "td", "th", "dt", "dd"]);

function cleanText(raw: string): string {
  return escapeHtml(stripControls(decodeEntities(raw)));
}

function renderAttributes(name: string, attrs: ReadonlyArray<readonly [string, string]>): string | undefined {
  const allowed = ALLOWED_ATTRIBUTES.get(name);
  const kept = new Map<string, string>();
  const seen = new Set<string>();
  for (const [attr, value] of attrs) {
    if (seen.has(attr)) continue; // browsers take the first of duplicate attributes
    seen.add(attr);
    if (allowed?.has(attr) !== true) continue;
    if (attr === "href") {
      const url = safeUrl(value);
      if (url !== undefined) kept.set(attr, url);
    } else if (attr === "colspan" || attr === "rowspan") {
      if (/^\s*[1-9][0-9]{0,2}\s*$/.test(value)) kept.set(attr, value.trim());
    } else {
      kept.set(attr, stripControls(decodeEntities(value)));
    }
  }
  // A link without a safe target is just its text; a kept one must not reach back to the page.
  if (name === "a") {
    if (!kept.has("href")) return undefined;
    kept.set("rel", "nofollow noopener noreferrer");
  }
  const order = ["href", "title", "colspan", "rowspan", "rel"].filter((a) => kept.has(a));
  return order.map((a) => ` ${a}="${escapeHtml(kept.get(a) ?? "")}"`).join("");
}

/**
 * Returns a safe HTML fragment: whitelisted elements with checked attributes, balanced and
 * re-serialised; scripts, styles, frames and objects removed with their content; all other
 * markup dropped and all text escaped. Idempotent: sanitising the result changes nothing.
 */
export function sanitiseHtml(html: string): string {
  const out: string[] = [];
  const open: string[] = [];
  const close = (depth: number): void => {
    while (open.length > depth) out.push(`</${open.pop() ?? ""}>`);
  };
  for (const token of visibleTokens(html)) {
    if (token.kind === "text") out.push(cleanText(token.text));
    else if (token.kind === "end") {
      const at = open.lastIndexOf(token.name);
      if (at >= 0) close(at); // closing an outer element closes what is still open inside it
    } else if (token.kind === "start") renderStart(token, open, out, close);
  }
  close(0);
  return out.join("");
}

function renderStart(
  token: Extract<HtmlToken, { kind: "start" }>,
  open: string[],
  out: string[],
  close: (depth: number) => void,
): void {
  const { name } = token;
  if (!ALLOWED_ELEMENTS.has(name)) return;
  if (SELF_CLOSING_SIBLINGS.has(name) && open.at(-1) === name) close(open.length - 1);
  if (open.length >= MAX_HTML_DEPTH) return;
  const attrs = renderAttributes(name, token.attrs);
  if (attrs === undefined) return;
  out.push(`<${name}${attrs}>`);
  if (!VOID_ELEMENTS.has(name)) open.push(name);
}

/**
 * Sanitises detail HTML and bounds it to `maxChars` code points; a cut never splits a tag or a
 * character reference, ends in "…", and still leaves every element closed.
 */
export function sanitiseDetail(html: string, maxChars: number): { html: string; truncated: boolean } {
  const clean = sanitiseHtml(html);
  if (charCount(clean) <= maxChars) return { html: clean, truncated: false };
  let cut = truncateChars(clean, Math.max(0, maxChars - CLOSING_RESERVE));
  // In sanitised HTML every "<" opens a tag and every "&" opens a reference ending in ";".
  const lt = cut.lastIndexOf("<");
  if (lt > cut.lastIndexOf(">")) cut = cut.slice(0, lt);
  const amp = cut.lastIndexOf("&");
  if (amp > cut.lastIndexOf(";")) cut = cut.slice(0, amp);
  return { html: sanitiseHtml(`${cut}…`), truncated: true };
}
