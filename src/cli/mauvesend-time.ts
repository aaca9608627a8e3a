// Mauve's time specs, as its mauvesend reads them: "now" (or nothing), epoch seconds, or
// [+|-]N[s|m|h|d] from now. Anything else is refused, never guessed at.
const RELATIVE = /^([+-])?(\d+)([smhd])?$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/**
 * UNIX seconds for a Mauve time spec at `nowSec`, or null if it is not one. As in Mauve, bare
 * digits are an absolute time ("1700000000") while a sign or a unit makes it relative ("+10",
 * "10m", "-1h"); "" and "now" are now. Beyond what a double holds exactly is not a time either.
 */
export function parseTimeSpec(text: string, nowSec: number): number | null {
  if (text === "" || text === "now") return nowSec;
  const m = RELATIVE.exec(text);
  if (!m) return null;
  const n = Number(m[2]);
  if (m[1] === undefined && m[3] === undefined) return Number.isSafeInteger(n) ? n : null;
  const seconds = n * (UNIT_SECONDS[m[3] ?? "s"] ?? 1);
  if (!Number.isSafeInteger(seconds)) return null;
  return Math.max(0, nowSec + (m[1] === "-" ? -seconds : seconds));
}
