import { FIELD_LIMITS } from "./types.js";
import { CodecError } from "../errors.js";

// The one rule for source names. A source is an identity (its alerts, its pubsub node, its owner),
// so two names a person cannot tell apart must never be two sources: the rule allows only ASCII
// letters, digits, ".", "-" and "_" (what real host names are made of), which leaves out spaces,
// zero-width characters and look-alike letters from other scripts; and a new source whose name
// differs from a known one only in letter case (`sourceKey`), or reads like it (`sourceReading`:
// the ASCII that fonts draw alike, "web1" and "webl"; separators easily missed, "web1-"), is refused where sources are claimed. Used by the agent's config, mauvesend, the
// pubsub node names, provisioning and ingest.

/** The rule in words, for error messages and docs. */
const SOURCE_NAME_RULE = 'ASCII letters, digits, ".", "-" and "_"';

const ALLOWED = /^[A-Za-z0-9._-]$/;

/**
 * Why `source` may not name a source, in words safe to log (the name is quoted as JSON and the
 * first offending character named by its code point), or undefined when it is fine.
 */
export function sourceNameProblem(source: string): string | undefined {
  if (source === "") return "a source name cannot be empty";
  const chars = Array.from(source);
  if (chars.length > FIELD_LIMITS.source)
    return `source name is ${chars.length} characters long (at most ${FIELD_LIMITS.source})`;
  const at = chars.findIndex((c) => !ALLOWED.test(c));
  if (at < 0) return undefined;
  const bad = chars[at] ?? "";
  const name = bad === " " ? "a space" : `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  return `source ${quoted(source)} has ${name} at character ${at + 1}: a source name is made of ${SOURCE_NAME_RULE} only`;
}

// Quoted with every character outside printable ASCII escaped, so that a look-alike shows as one.
function quoted(text: string): string {
  return JSON.stringify(text).replace(/[^\x20-\x7e]/gu, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Whether `source` follows the rule. */
function isSourceName(source: string): boolean {
  return sourceNameProblem(source) === undefined;
}

/** The key two spellings of one source share ("WEB1" and "web1"): sources are told apart case-blind. */
export function sourceKey(source: string): string {
  // ASCII only, like SQLite's lower(), so that the store can compare the same way.
  return source.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * What a source name reads as, to a person reading a notice on a phone at night: what common
 * fonts draw alike, after Unicode's confusables (UTS #39) within the characters the rule allows,
 * is made one: "1" and "I" read as "l", "0" and "O" as "o", "rn" as "m", "vv" as "w", "cl" as "d"
 * (letter case is folded on the way, ASCII only, like SQLite's lower()). A new source that reads
 * like a known one is refused, as one differing only in letter case is. Separators are easily
 * missed, so first those at either end are dropped ("web1." is DNS's absolute spelling of "web1";
 * "-web1", "web1_" and "-.web1" read as "web1") and a run of them reads as its first ("web--1" and
 * "web-.1" as "web-1"); one separator on its own is kept, so "web-1", "web_1" and "web.1" stay
 * apart. A lower-case "i" keeps its dot: "mail" and "mall" stay apart. The store keeps each
 * source's reading in an indexed column, worked out in SQL for the sources known before it
 * (SOURCE_READING_SQL in src/store/migrations.ts; a unit test holds the two equal): a change here
 * needs a migration that works them out again.
 */
export function sourceReading(source: string): string {
  const separated = source.replace(/^[._-]+|[._-]+$/g, "").replace(/([._-])[._-]+/g, "$1");
  return sourceKey(separated.replace(/[I1]/g, "l"))
    .replace(/0/g, "o")
    .replace(/rn/g, "m")
    .replace(/vv/g, "w")
    .replace(/cl/g, "d");
}

/** What sourceReading makes one, in words for a refusal. */
const READ_ALIKE =
  '"1", "I" and "l"; "0" and "O"; "rn" and "m"; "vv" and "w"; "cl" and "d"; ".", "-" and "_" at either end or one after another';

/**
 * Why a new `source` may not stand beside the known source `known` (same key, or same reading), in
 * words safe to log. Every such reason names "the known source" (see rejectionClass in src/http/metrics.ts).
 */
export function lookalikeReason(source: string, known: string): string {
  return sourceKey(source) === sourceKey(known)
    ? `source ${quoted(source)} differs only in letter case from the known source ${quoted(known)}`
    : `source ${quoted(source)} reads like the known source ${quoted(known)} (${READ_ALIKE} look alike)`;
}

// Where a source's updates live in pubsub: one node per source, under a fixed prefix.

/** The prefix of every alert node on the pubsub service; the source follows it verbatim. */
export const NODE_PREFIX = "mauve/alerts/";

/** Items an agent node retains, so a restarted bot can catch up (and replays of them can be told apart). */
export const AGENT_NODE_MAX_ITEMS = 20;

/** The pubsub node for a source: `mauve/alerts/<source>`. Throws CodecError for a name that breaks the source rule. */
export function sourceToNodeName(source: string): string {
  const problem = sourceNameProblem(source);
  if (problem !== undefined) throw new CodecError(`cannot name a pubsub node: ${problem}`);
  return NODE_PREFIX + source;
}

/** The source whose updates a node carries, or undefined when the node isn't one of ours (or its name breaks the source rule). */
export function nodeNameToSource(node: string): string | undefined {
  if (!node.startsWith(NODE_PREFIX)) return undefined;
  const source = node.slice(NODE_PREFIX.length);
  return isSourceName(source) ? source : undefined;
}
