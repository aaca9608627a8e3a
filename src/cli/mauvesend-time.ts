// Mauve's time specs, as its mauvesend reads them: "now", epoch seconds, or [+|-]N[s|m|h|d] from now.
const RELATIVE = /^([+-])?(\d+)([smhd])?$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** Whether `text` reads as a time spec (so an option's optional argument may take it). */
export function isTimeSpec(text: string): boolean {
  return text === "now" || text === "" || RELATIVE.test(text);
}

/**
 * UNIX seconds for a Mauve time spec at `nowSec`, or null if it is not one. As in Mauve, bare
 * digits are an absolute time ("1700000000") while a sign or a unit makes it relative ("+10",
 * "10m", "-1h"); "" and "now" are now.
 */
export function parseTimeSpec(text: string, nowSec: number): number | null {
  if (text === "" || text === "now") return nowSec;
  if (/^\d+$/.test(text)) return Number(text);
  const m = RELATIVE.exec(text);
  if (!m) return null;
  const seconds = Number(m[2]) * (UNIT_SECONDS[m[3] ?? "s"] ?? 1);
  return Math.max(0, nowSec + (m[1] === "-" ? -seconds : seconds));
}
