import type { AlertRecord } from "../alerts/types.js";
import { LEVELS } from "../policy/types.js";
import { ago, alertLine, hasLiveAck } from "./format.js";
import { silencedUntil } from "../policy/matcher.js";
import { FirstInOrder } from "../util/first-in-order.js";
import type { AlertGrade, ArgsResult, Command, CommandContext, ShowFilter } from "./types.js";

/** What `show` was asked to list, and how many lines at most. */
export interface ShowArgs {
  readonly filter: ShowFilter;
  readonly limit: number;
}

/** A chat message longer than this scrolls off a phone screen; the rest is summarised as a count. */
export const SHOW_MAX_LINES = 30;
/** The most lines anyone may ask for with `show all 100`. */
export const SHOW_LIMIT_MAX = 100;

const USAGE = "show [raised|acked|silenced|all] [N]";
const WORDS: Readonly<Record<string, ShowFilter>> = {
  raised: "raised",
  open: "raised",
  acked: "acked",
  acknowledged: "acked",
  silenced: "silenced",
  muted: "silenced",
  all: "all",
  everything: "all",
};
const EMPTY: Readonly<Record<ShowFilter, string>> = {
  raised: "No raised alerts.",
  acked: "No acknowledged alerts.",
  silenced: "No silenced alerts.",
  all: "No alerts.",
};

function parseShow(rest: string): ArgsResult<ShowArgs> {
  let filter: ShowFilter | undefined;
  let limit: number | undefined;
  for (const word of rest
    .trim()
    .toLowerCase()
    .split(/[\s,]+/)
    .filter((w) => w !== "")) {
    const named = Object.hasOwn(WORDS, word) ? WORDS[word] : undefined; // "constructor" is no filter
    if (named !== undefined && filter === undefined) filter = named;
    else if (/^\d{1,4}$/.test(word) && limit === undefined && Number(word) > 0)
      limit = Math.min(Number(word), SHOW_LIMIT_MAX);
    else {
      const hint = word === "silences" ? ' To list the silences themselves, say "silences".' : "";
      return {
        ok: false,
        humanMessage: `I can show raised, acked, silenced or all alerts, and a number of them, not "${word}".${hint} Usage: ${USAGE}`,
      };
    }
  }
  return { ok: true, args: { filter: filter ?? "raised", limit: limit ?? SHOW_MAX_LINES } };
}

// Raised before cleared, then by the policy's level, then by importance; among equals, the
// longest-standing first, then by number.
function byLevelThenUrgency(grade: (a: AlertRecord) => AlertGrade | null): (a: AlertRecord, b: AlertRecord) => number {
  const rank = (a: AlertRecord): number => {
    const g = grade(a);
    return g === null ? 0 : LEVELS.indexOf(g.level);
  };
  return (a, b) => {
    const cleared = Number(a.status === "cleared") - Number(b.status === "cleared");
    return (
      cleared ||
      rank(a) - rank(b) ||
      b.importance - a.importance ||
      (a.raisedAt ?? Infinity) - (b.raisedAt ?? Infinity) ||
      a.shortId - b.shortId
    );
  };
}

/**
 * The `limit` most urgent of `alerts` that pass `keep`, and how many pass in all, holding at most
 * twice `limit` at a time: a silence may cover 100,000 alerts, and every one must be counted.
 */
export async function mostUrgent(
  alerts: Iterable<AlertRecord> | AsyncIterable<AlertRecord>,
  keep: (a: AlertRecord) => boolean,
  limit: number,
  order: (a: AlertRecord, b: AlertRecord) => number,
): Promise<{ alerts: AlertRecord[]; total: number }> {
  const top = new FirstInOrder(limit, order);
  let total = 0;
  for await (const a of alerts) {
    if (!keep(a)) continue;
    total++;
    top.add(a);
  }
  return { alerts: top.first(), total };
}

async function handleShow(args: ShowArgs, ctx: CommandContext): Promise<string> {
  // AlertBot's own trouble that no alert records comes first: while its database cannot be
  // written, the list below is not what the agents say, and "No raised alerts." would be a lie.
  const troubles = (ctx.troubles ?? []).map((t) => `⚠ ${t.text} (since ${ago(t.since, ctx.now)})`);
  const list = await listAlerts(args, ctx);
  return troubles.length === 0 ? list : [...troubles, list].join("\n");
}

async function listAlerts(args: ShowArgs, ctx: CommandContext): Promise<string> {
  const silences = ctx.silences?.list(ctx.now) ?? [];
  const until = (a: AlertRecord): number | null => silencedUntil(a, silences, ctx.now);
  // Graded once each; weakly held, as a listing may pass over 100,000 alerts.
  const grades = new WeakMap<AlertRecord, AlertGrade | null>();
  const grade = (a: AlertRecord): AlertGrade | null => {
    if (!grades.has(a)) grades.set(a, ctx.gradeOf?.(a) ?? null);
    return grades.get(a) ?? null;
  };
  const order = byLevelThenUrgency(grade);
  // Whether an alert is silenced is the silences' matchers' call, and its level the rules': both are
  // worked out here, over every alert, holding only a page at a time.
  const { alerts, total } =
    args.filter === "silenced"
      ? await mostUrgent(ctx.alerts.list("raised"), (a) => until(a) !== null, args.limit, order)
      : // A store's "acked" may include acks past their end, about to expire: don't list them as acked.
        await mostUrgent(
          ctx.alerts.list(args.filter),
          (a) => args.filter !== "acked" || hasLiveAck(a, ctx.now),
          args.limit,
          order,
        );
  if (total === 0) return EMPTY[args.filter];
  const lines = alerts.map((a) => alertLine(a, ctx.now, until(a), grade(a)));
  if (total > alerts.length) lines.push(restLine(total - alerts.length, total, args, ctx));
  return lines.join("\n");
}

/**
 * The line below a list cut short: how many were left out and how to see them, since a person
 * reading the list must never take it for all there is. Chat lists `SHOW_LIMIT_MAX` at most (a
 * longer message would not fit the server's stanza limit, nor a screen); the board lists every one.
 */
function restLine(left: number, total: number, args: ShowArgs, ctx: CommandContext): string {
  const more = `…and ${left} more (${total} in all)`;
  const board =
    ctx.webSignIn === undefined
      ? "the web board would list them all (an admin can turn it on: http.board, docs/web.md)"
      : 'the web board lists them all (say "web" to me in a direct chat for a link)';
  if (args.limit >= SHOW_LIMIT_MAX) return `${more}: chat lists ${SHOW_LIMIT_MAX} at most; ${board}`;
  const again = `"${args.filter === "raised" ? "show" : `show ${args.filter}`} ${SHOW_LIMIT_MAX}"`;
  if (total <= SHOW_LIMIT_MAX) return `${more}: say ${again} to list them all`;
  return `${more}: say ${again} for the first ${SHOW_LIMIT_MAX}; ${board}`;
}

/** `show`: lists alerts compactly, one per line, most important first. */
export const showCommand: Command<ShowArgs> = {
  name: "show",
  effects: [],
  aliases: ["list", "ls", "status"],
  usage: USAGE,
  summary: "list alerts, most important first (raised ones unless you say acked, silenced or all)",
  example: "show all 10",
  parse: parseShow,
  handler: handleShow,
};
