import type { Alert } from "../codec/types.js";
import { parseTimeSpec } from "./mauvesend-time.js";

/** What a mauvesend command line asks for. */
export interface MauvesendRequest {
  readonly kind: "send";
  /** Null: the default (the config's source, or the host name). */
  readonly source: string | null;
  readonly replace: boolean;
  readonly alerts: readonly Alert[];
  readonly verbose: number;
  readonly config: string | null;
  /** How long to wait for the server's confirmation, in seconds. */
  readonly timeoutSec: number;
  /** Mauve's UDP destinations: accepted for compatibility, not used (we go by XMPP). */
  readonly destinations: readonly string[];
}

/** A parsed command line: a request, a plea for help, the manual or the version, or a usage error. */
export type MauvesendArgs =
  | MauvesendRequest
  | { readonly kind: "info"; readonly help: boolean; readonly manual: boolean; readonly version: boolean }
  | {
      readonly kind: "usage";
      readonly message: string;
      /** Found by the option parser itself (Mauve's GetoptLong), which also prints `mauvesend: <message>`. */
      readonly fromParser: boolean;
    };

type ArgKind = "none" | "optional" | "required";
interface OptionSpec {
  readonly short?: string;
  readonly long: string;
  readonly arg: ArgKind;
}

// Mauve's bin/mauvesend options, in its order (which its "ambiguous" message follows). It declares every
// value as optional and then refuses an empty one itself, except for these flags and -c/-r (empty = now).
const MAUVE_OPTIONS: readonly OptionSpec[] = [
  { short: "h", long: "help", arg: "none" },
  { short: "m", long: "manual", arg: "none" },
  { short: "V", long: "version", arg: "none" },
  { short: "o", long: "source", arg: "optional" },
  { short: "p", long: "replace", arg: "none" },
  { short: "i", long: "id", arg: "optional" },
  { short: "s", long: "summary", arg: "optional" },
  { short: "u", long: "subject", arg: "optional" },
  { short: "c", long: "clear", arg: "optional" },
  { short: "r", long: "raise", arg: "optional" },
  { short: "e", long: "suppress", arg: "optional" },
  { short: "d", long: "detail", arg: "optional" },
  { short: "v", long: "verbose", arg: "none" },
];
// Ours: long only, and never abbreviated, so that every abbreviation means what it means in Mauve.
const OUR_OPTIONS: readonly OptionSpec[] = [
  { long: "config", arg: "required" },
  { long: "timeout", arg: "required" },
];
const MAY_BE_EMPTY = new Set(["h", "m", "V", "p", "v", "c", "r"]);
const BY_SHORT = new Map(MAUVE_OPTIONS.map((o) => [o.short, o]));

class Usage extends Error {
  constructor(
    message: string,
    readonly fromParser = false,
  ) {
    super(message);
  }
}

/** How Mauve names an option in its messages: the short form when there is one. */
const canonical = (o: OptionSpec): string => (o.short ? `-${o.short}` : `--${o.long}`);
// GetoptLong's test for "this word is an option, not a value": a dash and at least one more character.
const isOptionWord = (word: string): boolean => /^-./su.test(word);

/** An exact long name, or a unique abbreviation of one of Mauve's. */
function longOption(name: string, word: string): OptionSpec {
  const exact = [...MAUVE_OPTIONS, ...OUR_OPTIONS].find((o) => o.long === name);
  if (exact) return exact;
  const matches = MAUVE_OPTIONS.filter((o) => o.long.startsWith(name));
  if (matches.length > 1) throw new Usage(`option \`${word}' is ambiguous between ${matches.map((o) => `--${o.long}`).join(", ")}`, true);
  if (matches.length === 0) throw new Usage(`unrecognized option \`${word}'`, true);
  return matches[0]!;
}

/**
 * Reads mauvesend's command line exactly as Mauve's does (Ruby's GetoptLong, then Mauve's checks),
 * stopping at the first problem: every `-i` starts a new alert that the following `-s -u -d -r -c -e`
 * describe; an option's value is the rest of its word (`-r+5m`, `--raise=+5m`) or else the next word
 * unless that looks like an option (`-r -1h` is the option `-1`); an empty value is refused except
 * for `-r` and `-c` (now); an unrecognised time is refused; other words are destinations.
 */
export function parseMauvesendArgs(argv: readonly string[], nowSec: number): MauvesendArgs {
  const state = { source: null as string | null, replace: false, verbose: 0, config: null as string | null, timeoutSec: 30 };
  const info = { help: false, manual: false, version: false };
  const alerts: Alert[] = [];
  const destinations: string[] = [];

  // Mauve's handling of one option and its value (after GetoptLong found them).
  const apply = (opt: OptionSpec, value: string): void => {
    const name = opt.short ?? opt.long;
    if (value === "" && !MAY_BE_EMPTY.has(name)) throw new Usage(`${canonical(opt)} cannot be empty`);
    const current = alerts.at(-1);
    switch (name) {
      case "h": return void (info.help = true);
      case "m": return void (info.manual = true);
      case "V": return void (info.version = true);
      case "v": return void state.verbose++;
      case "p": return void (state.replace = true);
      case "config": return void (state.config = value);
      case "timeout": {
        const n = Number(value.replace(/s$/, ""));
        if (!Number.isInteger(n) || n < 1 || n > 3600) throw new Usage(`--timeout expects whole seconds between 1 and 3600, got "${value}"`);
        return void (state.timeoutSec = n);
      }
      case "o":
        if (state.source !== null) throw new Usage("Can only specify one source");
        return void (state.source = value);
      case "i":
        if (alerts.some((a) => a.id === value)) throw new Usage(`Cannot specify the same ID twice in one update -- ID ${value}`);
        return void alerts.push({ id: value, raiseTimeS: 0, clearTimeS: 0, subject: "", summary: "", detail: "", importance: 0, suppressUntilS: 0 });
    }
    if (!current) throw new Usage("Must specify --id before message");
    if (name === "s") current.summary = value;
    else if (name === "u") current.subject = value;
    else if (name === "d") current.detail = value;
    else {
      const at = parseTimeSpec(value, nowSec);
      if (at === null) throw new Usage(`Unrecognised time format ${JSON.stringify(value)}`);
      if (name === "r") current.raiseTimeS = at;
      else if (name === "c") current.clearTimeS = at;
      else current.suppressUntilS = at;
    }
  };

  try {
    let i = 0;
    let bundle = ""; // the rest of a word of bundled short options ("-pv": "v")
    const following = (): string | undefined => (i < argv.length && !isOptionWord(argv[i]!) ? argv[i++] : undefined);
    for (;;) {
      let word: string;
      if (bundle !== "") {
        word = `-${bundle}`;
      } else {
        while (i < argv.length && !isOptionWord(argv[i]!)) destinations.push(argv[i++]!);
        if (i >= argv.length) break;
        word = argv[i++]!;
        if (word === "--") {
          destinations.push(...argv.slice(i));
          break;
        }
      }
      const long = bundle === "" ? /^--([^=]+)/su.exec(word) : null;
      if (long) {
        const opt = longOption(long[1]!, word);
        const eq = word.indexOf("=");
        const attached = eq >= 0 ? word.slice(eq + 1) : undefined;
        if (opt.arg === "none") {
          if (attached !== undefined) throw new Usage(`option \`--${opt.long}' doesn't allow an argument`, true);
          apply(opt, "");
        } else if (opt.arg === "optional") {
          apply(opt, attached ?? following() ?? "");
        } else {
          // Unlike GetoptLong's required values, ours never swallow the next option (`--config -i x`).
          const value = attached ?? following();
          if (value === undefined) throw new Usage(`option \`${word}' requires an argument`, true);
          apply(opt, value);
        }
        continue;
      }
      const [ch = "", ...rest] = Array.from(word.slice(1));
      bundle = rest.join("");
      const opt = BY_SHORT.get(ch);
      if (!opt) throw new Usage(`invalid option -- ${ch}`, true);
      if (opt.arg === "none") {
        apply(opt, "");
      } else {
        const value = bundle !== "" ? bundle : (following() ?? "");
        bundle = "";
        apply(opt, value);
      }
    }
    if (info.help || info.manual || info.version) return { kind: "info", ...info };
    if (alerts.length === 0 && !state.replace) throw new Usage("No alerts specified");
  } catch (err) {
    if (err instanceof Usage) return { kind: "usage", message: err.message, fromParser: err.fromParser };
    throw err;
  }
  // Mauve's sender: an alert with neither time is raised now.
  for (const a of alerts) if (a.raiseTimeS === 0 && a.clearTimeS === 0) a.raiseTimeS = nowSec;
  return { kind: "send", ...state, alerts, destinations };
}
