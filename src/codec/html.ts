// Detail HTML reaches browsers, mail clients and XHTML-IM: keep a small inert subset, escape the
// rest. Parsing, the allow-list and entity decoding are maintained libraries (sanitize-html on
// htmlparser2, html-to-text, entities): they follow the HTML spec's tokeniser and its full entity
// table, which a hand-written parser only approximates. The policy below is ours.
// The two parsers are loaded at their first use: an agent's alerts are plain text, which never
// reaches them.
import { decodeHTMLStrict, escapeText } from "entities";
import type { compile as compileText } from "html-to-text";
import type sanitizeHtml from "sanitize-html";
import { onFirstUse } from "../util/on-first-use.js";
import { charCount, stripControls, truncateChars, utf8Bytes } from "./text.js";

/** Deepest element nesting kept; deeper tags are dropped (their text stays). */
const MAX_HTML_DEPTH = 32;

// Room for closing every open element after a cut: MAX_HTML_DEPTH times "</blockquote>", and "…".
const CLOSING_RESERVE = 512;

const ALLOWED_ELEMENTS = [
  "a",
  "b",
  "i",
  "u",
  "s",
  "em",
  "strong",
  "small",
  "sub",
  "sup",
  "code",
  "kbd",
  "samp",
  "tt",
  "pre",
  "p",
  "div",
  "span",
  "br",
  "hr",
  "blockquote",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "ul",
  "ol",
  "li",
  "dl",
  "dt",
  "dd",
  "table",
  "caption",
  "thead",
  "tbody",
  "tfoot",
  "tr",
  "th",
  "td",
];

// Removed together with everything inside them: active or invisible content.
const DROPPED_WITH_CONTENT = [
  "script",
  "style",
  "textarea",
  "title",
  "xmp",
  "iframe",
  "noembed",
  "noframes",
  "noscript",
  "plaintext",
  "object",
  "applet",
  "svg",
  "math",
  "template",
  "frameset",
  "select",
  "option",
  "head",
];

// Not an element anyone writes: a link renamed to it is dropped and its text kept.
const UNWRAPPED = "mauve-unwrapped";

/**
 * The link target to keep, or undefined: only http, https and mailto survive. Browsers ignore tabs
 * and newlines inside a URL and control characters around it, so "java\tscript:" is checked as
 * "javascript:" here too. `raw` is an attribute value with its character references decoded.
 */
function safeUrl(raw: string): string | undefined {
  const url = stripControls(raw, false).trim();
  if (!/^(?:https?:\/\/[^\s/?#]|mailto:[^\s])/i.test(url)) return undefined;
  return url.replace(/\s/g, (c) => encodeURIComponent(c));
}

type Attributes = Record<string, string>;

const sanitizer = onFirstUse<typeof sanitizeHtml>("sanitize-html");
const sanitize = (html: string, options: sanitizeHtml.IOptions): string => sanitizer()(html, options);
const htmlToText = onFirstUse<{ compile: typeof compileText }>("html-to-text");

/**
 * Loads both parsers now: AlertBot renders HTML from its first notice on, and a broken install
 * should stop its start, not its first page.
 */
export function loadHtmlParsers(): void {
  sanitizer();
  htmlToText();
}

// A link without a safe target is just its text; a kept one must not reach back to the page.
function link(_name: string, attribs: Attributes): sanitizeHtml.Tag {
  const href = safeUrl(attribs.href ?? "");
  if (href === undefined) return { tagName: UNWRAPPED, attribs: {} };
  const title = attribs.title === undefined ? {} : { title: attribs.title };
  return { tagName: "a", attribs: { href, ...title, rel: "nofollow noopener noreferrer" } };
}

function cell(name: string, attribs: Attributes): sanitizeHtml.Tag {
  const kept: Attributes = {};
  for (const span of ["colspan", "rowspan"]) {
    const value = attribs[span];
    if (value !== undefined && /^\s*[1-9][0-9]{0,2}\s*$/.test(value)) kept[span] = value.trim();
  }
  return { tagName: name, attribs: kept };
}

// What makes text more than text to the sanitiser: markup, a reference, or a character it escapes.
const MARKUP_OR_ESCAPED = /[<>&]/;

const ALLOW_LIST: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_ELEMENTS,
  allowedAttributes: { a: ["href", "title", "rel"], td: ["colspan", "rowspan"], th: ["colspan", "rowspan"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  nonTextTags: DROPPED_WITH_CONTENT,
  transformTags: { a: link, td: cell, th: cell },
  // A stray "</p>" opens an empty paragraph in HTML; one without text adds nothing but space.
  exclusiveFilter: (frame) => (frame.tag === "p" && frame.text === "" ? "excludeTag" : false),
};

/**
 * Returns a safe HTML fragment: allowed elements with checked attributes, balanced and
 * re-serialised; scripts, styles, frames and objects removed with their content; all other
 * markup dropped and all text escaped. Idempotent: sanitising the result changes nothing.
 */
export function sanitiseHtml(html: string): string {
  // Without "<", ">" or "&" there is no markup to parse and nothing to escape: the sanitiser
  // gives back the text with its controls stripped. Most details are that, or empty, and two
  // passes of the parser over each of them were the larger part of decoding an update.
  if (!MARKUP_OR_ESCAPED.test(html)) return stripControls(html);
  // The nesting limit counts every element, dropped ones too, and a paragraph's text may be only
  // controls, so the limit is applied once only the kept elements and text remain: the result
  // then holds the same elements when sanitised again.
  const allowed = stripControls(sanitize(html, ALLOW_LIST));
  return sanitize(allowed, { ...ALLOW_LIST, nestingLimit: MAX_HTML_DEPTH });
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

/**
 * Detail HTML within `maxBytes` of UTF-8: as it is when it fits, else sanitised and cut as
 * {@link sanitiseDetail} cuts (tags and references whole, elements closed, "…" at the end).
 */
export function boundDetailBytes(html: string, maxBytes: number): string {
  if (utf8Bytes(html) <= maxBytes) return html;
  const clean = sanitiseHtml(html);
  let bytes = utf8Bytes(clean);
  // A code point takes 1 to 4 bytes: cut by characters, then tighten until the bytes fit.
  let chars = Math.min(charCount(clean), maxBytes);
  let bounded = clean;
  while (bytes > maxBytes) {
    if (chars <= 0) return "";
    bounded = sanitiseDetail(clean, chars).html;
    bytes = utf8Bytes(bounded);
    chars = Math.min(chars - 1, Math.floor((chars * maxBytes) / bytes));
  }
  return bounded;
}

const block = (selector: string): { selector: string; format: string } => ({ selector, format: "block" });

// Readable text for chat, SMS and the plain part of mail: blocks and <br> break lines, list items
// start with "- ", and a link's target follows its text in <...> unless the text already says it.
let renderer: ((html: string) => string) | undefined;
function renderText(html: string): string {
  renderer ??= htmlToText().compile({
    wordwrap: false,
    preserveNewlines: true,
    selectors: [
      { selector: "a", options: { linkBrackets: ["<", ">"], hideLinkHrefIfSameAsText: true } },
      { selector: "ul", options: { itemPrefix: "- " } },
      { selector: "ol", format: "unorderedList", options: { itemPrefix: "- " } },
      ...["h1", "h2", "h3", "h4", "h5", "h6"].map((h) => ({ selector: h, options: { uppercase: false } })),
      { selector: "table", format: "dataTable", options: { uppercaseHeaderCells: false } },
      block("blockquote"),
      block("hr"),
    ],
  });
  return renderer(html);
}

/**
 * Renders an HTML fragment as plain text: what the sanitiser keeps, tags removed, entities
 * decoded, block elements and <br> as line breaks, list items as "- ", and a link's target shown
 * in <...> after its text when the text doesn't already say it.
 */
export function toPlainText(html: string): string {
  return tidy(renderText(sanitiseHtml(html)));
}

// Collapses the whitespace HTML would collapse, but keeps line structure for readers.
function tidy(text: string): string {
  return stripControls(text)
    .replace(/\u00A0/g, " ")
    .replace(/[ \t\f\v]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/**
 * Decodes character references in plain text (subject, summary): every named reference HTML
 * knows, and numeric ones; only complete references with their ";", as text is not markup.
 */
export function decodeEntities(text: string): string {
  return text.includes("&") ? decodeHTMLStrict(text) : text;
}

/** Escapes plain text for an HTML text node. */
export function escapeHtml(text: string): string {
  return escapeText(text);
}
