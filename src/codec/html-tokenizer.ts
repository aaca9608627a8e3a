// A small HTML tokenizer for alert details. It follows the HTML5 tokenizer where that decides
// what is a tag (quoted attribute values, comments, raw-text elements), but it never has to be
// exact to be safe: the sanitiser re-serialises only whitelisted tags and escapes all text.

/** One lexical piece of an HTML fragment; text and attribute values are still entity-encoded. */
export type HtmlToken =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "start"; readonly name: string; readonly attrs: ReadonlyArray<readonly [string, string]> }
  | { readonly kind: "end"; readonly name: string }
  | { readonly kind: "rawtext"; readonly name: string; readonly text: string };

/** Elements whose content is not markup: it runs to the matching end tag (or to the end). */
export const RAW_TEXT_ELEMENTS: ReadonlySet<string> = new Set([
  "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext",
]);

const WHITESPACE = /[\t\n\f\r ]/;
const NAME_START = /[a-zA-Z]/;

interface Markup {
  readonly token?: HtmlToken;
  readonly end: number;
}

function isSpace(html: string, i: number): boolean {
  return i < html.length && WHITESPACE.test(html.charAt(i));
}

// Reads a tag name or attribute name starting at `i`; stops at whitespace, "/", ">" (and "=").
function readName(html: string, i: number, stopAtEquals: boolean): number {
  let j = i + 1; // the first character is taken whatever it is, as HTML does with a leading "="
  while (j < html.length) {
    const c = html.charAt(j);
    if (c === ">" || c === "/" || WHITESPACE.test(c) || (stopAtEquals && c === "=")) break;
    j++;
  }
  return j;
}

// Reads attributes up to and including the closing ">"; undefined when the input ends first,
// which HTML treats as a dropped tag.
function readAttributes(html: string, i: number): { attrs: [string, string][]; end: number } | undefined {
  const attrs: [string, string][] = [];
  for (;;) {
    while (isSpace(html, i) || html.charAt(i) === "/") i++;
    if (i >= html.length) return undefined;
    if (html.charAt(i) === ">") return { attrs, end: i + 1 };
    const nameEnd = readName(html, i, true);
    const name = html.slice(i, nameEnd).toLowerCase();
    i = nameEnd;
    while (isSpace(html, i)) i++;
    let value = "";
    if (html.charAt(i) === "=") {
      i++;
      while (isSpace(html, i)) i++;
      const quote = html.charAt(i);
      if (quote === '"' || quote === "'") {
        const close = html.indexOf(quote, i + 1);
        if (close < 0) return undefined;
        value = html.slice(i + 1, close);
        i = close + 1;
      } else {
        const start = i;
        while (i < html.length && html.charAt(i) !== ">" && !isSpace(html, i)) i++;
        value = html.slice(start, i);
      }
    }
    attrs.push([name, value]);
  }
}

// Interprets the markup starting with "<" at `lt`; undefined means the "<" is plain text.
function readMarkup(html: string, lt: number): Markup | undefined {
  const next = html.charAt(lt + 1);
  if (html.startsWith("<!--", lt)) {
    const close = html.indexOf("-->", lt + 2);
    return { end: close < 0 ? html.length : close + 3 };
  }
  if (next === "!" || next === "?" || (next === "/" && !NAME_START.test(html.charAt(lt + 2)))) {
    // Doctypes, processing instructions and "</ ...>" are bogus comments to HTML: dropped.
    const close = html.indexOf(">", lt + 2);
    return { end: close < 0 ? html.length : close + 1 };
  }
  const isEnd = next === "/";
  const nameStart = isEnd ? lt + 2 : lt + 1;
  if (!NAME_START.test(html.charAt(nameStart))) return undefined;
  const nameEnd = readName(html, nameStart, false);
  const name = html.slice(nameStart, nameEnd).toLowerCase();
  const rest = readAttributes(html, nameEnd);
  if (rest === undefined) return { end: html.length };
  return { token: isEnd ? { kind: "end", name } : { kind: "start", name, attrs: rest.attrs }, end: rest.end };
}

// Finds where a raw-text element's content stops and where its end tag finishes.
function rawTextEnd(html: string, name: string, from: number): { contentEnd: number; end: number } {
  const closer = new RegExp(`</${name}[\\t\\n\\f\\r />]`, "ig");
  closer.lastIndex = from;
  const found = name === "plaintext" ? null : closer.exec(html);
  if (found === null) return { contentEnd: html.length, end: html.length };
  const gt = html.indexOf(">", found.index);
  return { contentEnd: found.index, end: gt < 0 ? html.length : gt + 1 };
}

/** Splits an HTML fragment into tokens, dropping comments, doctypes and unterminated tags. */
export function tokenizeHtml(html: string): HtmlToken[] {
  const tokens: HtmlToken[] = [];
  let textStart = 0;
  let pos = 0;
  const flushText = (end: number): void => {
    if (end > textStart) tokens.push({ kind: "text", text: html.slice(textStart, end) });
  };
  while (pos < html.length) {
    const lt = html.indexOf("<", pos);
    if (lt < 0) break;
    const markup = readMarkup(html, lt);
    if (markup === undefined) {
      pos = lt + 1;
      continue;
    }
    flushText(lt);
    pos = textStart = markup.end;
    const token = markup.token;
    if (token === undefined) continue;
    tokens.push(token);
    if (token.kind === "start" && RAW_TEXT_ELEMENTS.has(token.name)) {
      const raw = rawTextEnd(html, token.name, pos);
      tokens.push({ kind: "rawtext", name: token.name, text: html.slice(pos, raw.contentEnd) });
      pos = textStart = raw.end;
    }
  }
  flushText(html.length);
  return tokens;
}
