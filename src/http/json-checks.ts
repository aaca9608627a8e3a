// Small checks for JSON bodies: each answers with a value or a problem that names the field.

/** A checked value, or what is wrong with it (in words for a 400 answer). */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** A plain JSON object (not null, not a list). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An object whose values are all strings (Prometheus labels and annotations). */
export function stringMap(value: unknown, at: string): Checked<Record<string, string>> {
  if (!isObject(value)) return { ok: false, problem: `${at}: expected an object of strings` };
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") return { ok: false, problem: `${at}.${k}: expected a string` };
  }
  return { ok: true, value: value as Record<string, string> };
}

/** Parses a JSON body; the problem says where parsing stopped. */
export function parseJson(body: Buffer): Checked<unknown> {
  try {
    return { ok: true, value: JSON.parse(body.toString("utf8")) as unknown };
  } catch (err) {
    return { ok: false, problem: `the body is not JSON (${(err as Error).message})` };
  }
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text made safe to put inside HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
