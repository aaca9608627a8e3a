import { escapeHtml, sanitiseHtml } from "../codec/html.js";

/** The pieces of an alert message, already plain text except `detailHtml`. */
export interface HtmlParts {
  readonly lines: readonly string[];
  /** The alert's detail: sanitised when stored, and sanitised again here before it reaches a mail client. */
  readonly detailHtml: string;
  readonly facts: ReadonlyArray<readonly [string, string]>;
}

/** Renders an alert message as an HTML fragment; every piece of our own text is escaped. */
export function renderAlertHtml(parts: HtmlParts): string {
  const out = parts.lines.map((line, i) => (i === 0 ? `<p><strong>${escapeHtml(line)}</strong></p>` : `<p>${escapeHtml(line)}</p>`));
  const detail = parts.detailHtml ? sanitiseHtml(parts.detailHtml) : "";
  if (detail !== "") out.push(`<div>${detail}</div>`);
  if (parts.facts.length > 0) {
    const rows = parts.facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`);
    out.push(`<table>${rows.join("")}</table>`);
  }
  return out.join("\n");
}

/** Wraps a fragment in a minimal document, the shape mail clients render most predictably. */
export function htmlDocument(fragment: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n${fragment}\n</body></html>\n`;
}
