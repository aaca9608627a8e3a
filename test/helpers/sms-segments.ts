// Measuring an SMS as a phone network bills it, for tests.
import assert from "node:assert/strict";

// 3GPP TS 23.038 §6.2.1 and §6.2.1.1, written out again here rather than imported, so the tests
// measure with the spec and not with the code under test.
export const BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
export const EXTENSION = "\f^{}\\[~]|€";

/** Segments as a phone network bills them. */
export function segments(text: string): { encoding: string; units: number; count: number } {
  const chars = [...text];
  if (chars.every((c) => BASIC.includes(c) || EXTENSION.includes(c))) {
    const units = chars.reduce((n, c) => n + (EXTENSION.includes(c) ? 2 : 1), 0);
    return { encoding: "GSM-7", units, count: units <= 160 ? 1 : Math.ceil(units / 153) };
  }
  return { encoding: "UCS-2", units: text.length, count: text.length <= 70 ? 1 : Math.ceil(text.length / 67) };
}

export function oneSegment(text: string): void {
  const s = segments(text);
  assert.equal(s.count, 1, `${s.encoding}, ${s.units} units: ${text}`);
}

/** Every grapheme of `part` is one of `whole`'s, so no cut went through a character. */
export function cutBetweenGraphemes(part: string, whole: string): void {
  const split = (t: string): string[] =>
    Array.from(new Intl.Segmenter("und", { granularity: "grapheme" }).segment(t), (g) => g.segment);
  const all = new Set(split(whole));
  for (const g of split(part)) assert.ok(all.has(g), `${JSON.stringify(g)} is not a character of the original`);
  assert.doesNotMatch(part, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
}
