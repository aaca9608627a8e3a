// The SMS gateway's request is written by the admin as templates with {to}, {text} and {from}
// placeholders; each value is escaped for where it lands, so a message can't break the request.

/** The placeholders a template may use. */
export type Placeholder = "to" | "text" | "from";

/** How values are escaped: inside a JSON string, a form-encoded body, or a URL. */
export type TemplateEncoding = "json" | "form" | "url";

/** The values a template is filled with. */
export type TemplateValues = Readonly<Record<Placeholder, string>>;

const PLACEHOLDER = /\{(to|text|from)\}/g;
// Anything word-like in braces is meant as a placeholder; JSON's own braces hold quotes or spaces.
const WORD_IN_BRACES = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
// Sample values with every character that needs escaping somewhere.
const SAMPLE: TemplateValues = { to: "+447700900123", text: 'a "b" & c\\d\n= é?#/%+', from: "Mau ve&=" };

/** Fills a template, escaping each value for `encoding`. */
export function renderTemplate(template: string, values: TemplateValues, encoding: TemplateEncoding): string {
  return template.replace(PLACEHOLDER, (_m, name: Placeholder) => escapeValue(values[name], encoding));
}

/** The placeholders a template uses. */
export function placeholdersIn(template: string): Set<string> {
  return new Set([...template.matchAll(WORD_IN_BRACES)].map((m) => m[1] ?? ""));
}

/**
 * What is wrong with a template, as sentences for a config error: unknown placeholders, ones
 * with no value (`{from}` without a sender), and for JSON a body that would not parse once filled.
 */
export function templateProblems(template: string, encoding: TemplateEncoding, available: ReadonlySet<Placeholder>): string[] {
  const problems: string[] = [];
  for (const name of placeholdersIn(template)) {
    if (!["to", "text", "from"].includes(name)) problems.push(`unknown placeholder {${name}} (expected {to}, {text} or {from})`);
    else if (!available.has(name as Placeholder)) problems.push(`{${name}} is used but no ${name} is configured`);
  }
  if (encoding === "json" && problems.length === 0) {
    try {
      JSON.parse(renderTemplate(template, SAMPLE, "json"));
    } catch {
      problems.push("expected JSON with each placeholder inside a string, like {\"to\": \"{to}\", \"text\": \"{text}\"}");
    }
  }
  return problems;
}

/** A URL template filled with sample values, for checking that the result is a valid URL. */
export function sampleUrl(template: string): string {
  return renderTemplate(template, SAMPLE, "url");
}

function escapeValue(value: string, encoding: TemplateEncoding): string {
  if (encoding === "json") return JSON.stringify(value).slice(1, -1);
  if (encoding === "form") return new URLSearchParams({ v: value }).toString().slice(2);
  return encodeURIComponent(value);
}
