/** Milliseconds in each duration unit, by every spelling we accept ("m", "min", "minutes"...). */
const UNIT_MS: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  const add = (ms: number, ...names: string[]): void => names.forEach((n) => (table[n] = ms));
  add(1_000, "s", "sec", "secs", "second", "seconds");
  add(60_000, "m", "min", "mins", "minute", "minutes");
  add(3_600_000, "h", "hr", "hrs", "hour", "hours");
  add(86_400_000, "d", "day", "days");
  add(604_800_000, "w", "wk", "wks", "week", "weeks");
  return table;
})();

// One "<number><unit>" term; terms may be glued ("1h30m") or spaced ("1 hour 30 minutes").
const TERM = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*(?:,\s*|and\s+)?/;

/**
 * Reads a duration such as "90s", "5m", "2h", "1d", "1h30m" or "2 hours" into milliseconds;
 * returns null for anything else. A bare number is rejected because its unit would be a guess.
 */
export function parseDuration(text: string): number | null {
  let rest = text.trim().toLowerCase().replace(/^an?\s+(?=[a-z])/, "1 ");
  if (rest === "") return null;
  let total = 0;
  while (rest !== "") {
    const m = TERM.exec(rest);
    const unit = m?.[2] === undefined ? undefined : UNIT_MS[m[2]];
    if (m === null || unit === undefined) return null;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return Number.isSafeInteger(Math.round(total)) ? Math.round(total) : null;
}

const FORMAT_UNITS: ReadonlyArray<readonly [string, number]> = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
];

/** Writes milliseconds compactly with at most two units ("1h30m", "7d", "45s"), rounding down to the second. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000) * 1000);
  const parts: string[] = [];
  for (const [name, size] of FORMAT_UNITS) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    // Once the largest unit is written, a zero in the next one ends the text ("2d", not "2d0h").
    if (n > 0) parts.push(`${n}${name}`);
    else if (parts.length > 0) break;
    rest -= n * size;
  }
  return parts.length > 0 ? parts.join("") : "0s";
}
