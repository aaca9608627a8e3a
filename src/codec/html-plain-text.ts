// Detail HTML as readable text, for chat messages, SMS and the plain part of mail.
import { decodeEntities } from "./html-entities.js";
import { BLOCK_ELEMENTS, safeUrl, visibleTokens } from "./html-policy.js";
import { stripControls } from "./text.js";

/**
 * Renders an HTML fragment as plain text: tags removed (scripts and styles with their content),
 * entities decoded, block elements and <br> as line breaks, list items as "- ", and a link's
 * target shown in <...> after its text when the text doesn't already say it.
 */
export function toPlainText(html: string): string {
  const parts: string[] = [];
  const links: { href: string | undefined; from: number }[] = [];
  for (const token of visibleTokens(html)) {
    if (token.kind === "text") parts.push(decodeEntities(token.text));
    else if (token.kind === "start") {
      if (token.name === "br") parts.push("\n");
      else if (token.name === "li") parts.push("\n- ");
      else if (token.name === "td" || token.name === "th") parts.push(" ");
      else if (BLOCK_ELEMENTS.has(token.name)) parts.push("\n");
      if (token.name === "a") {
        const href = token.attrs.find(([name]) => name === "href");
        links.push({ href: href && safeUrl(href[1]), from: parts.length });
      }
    } else if (token.kind === "end") {
      if (BLOCK_ELEMENTS.has(token.name) && token.name !== "li") parts.push("\n"); // the next "- " breaks
      if (token.name === "a") {
        const link = links.pop();
        const text = link ? parts.slice(link.from).join("").trim() : "";
        if (link?.href !== undefined && !text.includes(link.href.replace(/^mailto:/i, ""))) {
          parts.push(text === "" ? link.href : ` <${link.href}>`);
        }
      }
    }
  }
  return tidy(parts.join(""));
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
