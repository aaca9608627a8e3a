// What a text costs as an SMS: the GSM-7 alphabet (3GPP TS 23.038 §6.2.1, with its extension table
// §6.2.1.1) or, for any character outside it, UCS-2; and cutting a text to fit without splitting a
// character a reader sees as one.
//
// Our own rather than npm's sms-segments-calculator (Twilio's, sound, and used here to check these
// numbers by hand): it takes about a millisecond per text, as it splits graphemes with the
// unmaintained grapheme-splitter on every call, and fitting a digest measures dozens of candidate
// texts; it only measures (no cutting), and its transliteration table is not public API. The
// alphabet is two lines of the spec.

/** How an SMS is encoded: 7-bit GSM when every character is in its alphabet, else UCS-2 (UTF-16). */
export type SmsEncoding = "GSM-7" | "UCS-2";

/** An SMS text's encoding and its length in that encoding's units (septets or UTF-16 code units). */
export interface SmsLength {
  readonly encoding: SmsEncoding;
  readonly units: number;
}

/** Septets in one SMS (140 octets); UCS-2 fits 70 UTF-16 units in the same octets. */
export const SMS_SEPTETS = 160;
/** The most characters `sms.max_chars` allows: ten segments. */
export const SMS_MAX_CHARS = 1600;

// TS 23.038 §6.2.1, in table order (0x1B is the escape to the extension table, so absent).
const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
// §6.2.1.1: each is sent as the escape and itself, two septets.
const GSM7_EXTENSION = new Set("\f^{}\\[~]|€");

/** The encoding a gateway picks for `text` and how many of its units the text takes. */
export function smsLength(text: string): SmsLength {
  let septets = 0;
  for (const c of text) {
    if (GSM7_BASIC.has(c)) septets += 1;
    else if (GSM7_EXTENSION.has(c)) septets += 2;
    else return { encoding: "UCS-2", units: text.length };
  }
  return { encoding: "GSM-7", units: septets };
}

/**
 * Whether `text` fits in `septets` of GSM-7 payload: as GSM-7 when it can be, else as UCS-2 in the
 * same octets (7/16 as many UTF-16 units: 70 for 160).
 */
export function smsFits(text: string, septets: number = SMS_SEPTETS): boolean {
  const { encoding, units } = smsLength(text);
  return units <= (encoding === "GSM-7" ? septets : Math.floor((septets * 7) / 16));
}

// Punctuation that word processors and chat clients put in place of a GSM-7 character, spelled
// in GSM-7: one curly quote would otherwise make the whole SMS UCS-2, less than half as long.
// Letters are left alone (Cyrillic, ç, á): spelled otherwise they would be other names. Unicode
// spaces (no-break, thin, ideographic) need nothing here: oneLine already made them plain spaces.
const GSM7_SPELLING: ReadonlyArray<readonly [RegExp, string]> = [
  [/[‘’‚‛′`´]/g, "'"],
  [/[“”„‟″«»]/g, '"'],
  [/[‐‑‒–—―−]/g, "-"],
  [/…/g, "..."],
  [/•/g, "*"],
];

/** `text` with common typographic punctuation respelled in the GSM-7 alphabet. */
export function gsmSpelling(text: string): string {
  return GSM7_SPELLING.reduce((t, [from, to]) => t.replace(from, to), text);
}

const graphemes = new Intl.Segmenter("und", { granularity: "grapheme" });

/**
 * The longest start of `text` for which `fits` holds, cut between graphemes (never inside a
 * surrogate pair, a flag or an emoji sequence); `fits` must hold for every start of a start it holds
 * for, as it does for anything measured by {@link smsFits}.
 */
export function longestFitting(text: string, fits: (start: string) => boolean): string {
  if (fits(text)) return text;
  const ends = [0, ...Array.from(graphemes.segment(text), (g) => g.index + g.segment.length)];
  // ends[lo] fits (or is the empty start); ends[hi] does not.
  let lo = 0;
  let hi = ends.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(text.slice(0, ends[mid]))) lo = mid;
    else hi = mid;
  }
  return text.slice(0, ends[lo]);
}
