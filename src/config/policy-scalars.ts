import { patternReader } from "../policy/pattern-reader.js";
import type { ChannelName, ChannelTier, ImportanceRange, Weekday } from "../policy/types.js";
import { parseDate } from "../policy/zoned-time.js";
import { parseDuration } from "../util/duration.js";
import { describe, expected, INVALID } from "../schema/reader.js";
import type { Reader } from "../schema/reader.js";

// YAML readers for the policy's small values: hours, days, dates, patterns, ranges, rates, channels.

const HOURS = /^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/;

/** Reads local hours like "08:00-20:00" (an end at or before the start runs into the next day; "24:00" ends at midnight). */
export function hours(): Reader<{ from: number; until: number }> {
  return (value, path, ctx) => {
    const m = typeof value === "string" ? HOURS.exec(value.trim()) : null;
    const [h1, m1, h2, m2] = (m?.slice(1) ?? []).map(Number);
    const from = h1 === undefined || m1 === undefined ? NaN : h1 * 60 + m1;
    const until = h2 === undefined || m2 === undefined ? NaN : h2 * 60 + m2;
    const ok = (m1 ?? 60) < 60 && (m2 ?? 60) < 60 && from >= 0 && from < 1440 && until > 0 && until <= 1440;
    return ok ? { from, until } : expected('hours like "08:00-20:00" (24-hour clock)', value, path, ctx);
  };
}

const DAY_NAMES: Readonly<Record<string, Weekday>> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

const FULL_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

function dayOf(word: string): Weekday | undefined {
  const lower = word.trim().toLowerCase();
  const key = FULL_NAMES.includes(lower) ? lower.slice(0, 3) : lower;
  return Object.hasOwn(DAY_NAMES, key) ? DAY_NAMES[key] : undefined;
}

/** Reads days of the week: "mon-fri", "sat,sun" or a list of names and ranges; ranges may wrap ("fri-mon"). */
export function weekdays(): Reader<readonly Weekday[]> {
  return (value, path, ctx) => {
    const words = typeof value === "string" ? value.split(",") : Array.isArray(value) ? value : null;
    const days = new Set<Weekday>();
    for (const word of words ?? [null]) {
      const [a, b, extra] = typeof word === "string" ? word.split("-").map(dayOf) : [];
      if (
        a === undefined ||
        extra !== undefined ||
        (typeof word === "string" && word.includes("-") && b === undefined)
      ) {
        return expected("days of the week like mon-fri or [mon, wed, fri]", value, path, ctx);
      }
      for (let d = a; ; d = ((d % 7) + 1) as Weekday) {
        days.add(d);
        if (d === (b ?? a)) break;
      }
    }
    if (days.size === 0) return expected("days of the week like mon-fri or [mon, wed, fri]", value, path, ctx);
    return [...days].sort((x, y) => x - y);
  };
}

/** Reads a calendar date "YYYY-MM-DD", checking that it exists. */
export function localDate(): Reader<string> {
  return (value, path, ctx) => {
    const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
    return typeof text === "string" && parseDate(text) !== null
      ? text
      : expected("a date like 2026-12-25", value, path, ctx);
  };
}

/** Reads a pattern: a glob like "web*" or a "/regex/flags". */
export function pattern(): Reader<string> {
  return patternReader('a glob like "web*" or a regex like "/^db[0-9]+$/"');
}

/** Reads one pattern or a list of them (any may match). */
export function patterns(): Reader<readonly string[]> {
  const one = pattern();
  return (value, path, ctx) => {
    if (!Array.isArray(value)) {
      const read = one(value, path, ctx);
      return read === INVALID ? INVALID : [read];
    }
    if (value.length === 0) return expected("a pattern or a list of at least one", "an empty list", path, ctx);
    const read = value.map((v, i) => one(v, `${path}[${i}]`, ctx));
    return read.includes(INVALID) ? INVALID : (read as string[]);
  };
}

const RANGE = /^\s*(\d*)\s*\.\.\s*(\d*)\s*$/;

/** Reads an importance: one number, or an inclusive range "50..99", "100.." or "..49". */
export function importanceRange(): Reader<ImportanceRange> {
  const what = 'an importance like 100, or a range like "50..99", "100.." or "..49"';
  return (value, path, ctx) => {
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) return { min: value, max: value };
    const m = typeof value === "string" ? RANGE.exec(value) : null;
    if (m === null || (m[1] === "" && m[2] === "")) return expected(what, value, path, ctx);
    const range = { ...(m[1] ? { min: Number(m[1]) } : {}), ...(m[2] ? { max: Number(m[2]) } : {}) };
    if (range.min !== undefined && range.max !== undefined && range.min > range.max)
      return expected(`${what}, low end first`, value, path, ctx);
    return range;
  };
}

/** Reads a rate like "5 per 10m" into a count and a period (ms). */
export function rate(): Reader<{ count: number; per: number }> {
  return (value, path, ctx) => {
    const m = typeof value === "string" ? /^\s*(\d+)\s*(?:per|\/)\s*(.+)$/.exec(value) : null;
    const count = Number(m?.[1]);
    const per = m?.[2] === undefined ? null : parseDuration(m[2]);
    return count >= 1 && count <= 10_000 && per !== null && per >= 1000
      ? { count, per }
      : expected('a rate like "5 per 10m"', value, path, ctx);
  };
}

const CHANNELS: readonly ChannelName[] = ["xmpp", "email", "sms", "email_digest"];

/** Reads channel preferences: a list, best first, of channels or channels joined with "+" to use together. */
export function channelTiers(): Reader<readonly ChannelTier[]> {
  const what = `channels, best first, among ${CHANNELS.join(", ")} (join with + to use together, like xmpp+sms)`;
  return (value, path, ctx) => {
    const items = typeof value === "string" ? [value] : Array.isArray(value) && value.length > 0 ? value : null;
    if (items === null) return expected(what, value, path, ctx);
    let ok = true;
    const tiers = items.map((item, i) => {
      const names = typeof item === "string" ? item.split("+").map((s) => s.trim()) : [];
      const bad = names.length === 0 || names.some((n) => !(CHANNELS as readonly string[]).includes(n));
      if (bad) {
        ctx.report(
          Array.isArray(value) ? `${path}[${i}]` : path,
          `expected one of ${CHANNELS.join(", ")} (or several joined with +), got ${describe(item)}`,
        );
        ok = false;
      }
      return [...new Set(names)] as ChannelName[];
    });
    return ok ? tiers : INVALID;
  };
}
