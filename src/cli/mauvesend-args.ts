// mauvesend's command line: Mauve's options as Mauve reads them, its time specs, and the help text.
import { blankAlert, type Alert } from "../codec/types.js";

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
  if (matches.length > 1)
    throw new Usage(`option \`${word}' is ambiguous between ${matches.map((o) => `--${o.long}`).join(", ")}`, true);
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
  const state = {
    source: null as string | null,
    replace: false,
    verbose: 0,
    config: null as string | null,
    timeoutSec: 30,
  };
  const info = { help: false, manual: false, version: false };
  const alerts: Alert[] = [];
  const destinations: string[] = [];

  // Mauve's handling of one option and its value (after GetoptLong found them).
  const apply = (opt: OptionSpec, value: string): void => {
    const name = opt.short ?? opt.long;
    if (value === "" && !MAY_BE_EMPTY.has(name)) throw new Usage(`${canonical(opt)} cannot be empty`);
    const current = alerts.at(-1);
    switch (name) {
      case "h":
        return void (info.help = true);
      case "m":
        return void (info.manual = true);
      case "V":
        return void (info.version = true);
      case "v":
        return void state.verbose++;
      case "p":
        return void (state.replace = true);
      case "config":
        return void (state.config = value);
      case "timeout": {
        const n = Number(value.replace(/s$/, ""));
        if (!Number.isInteger(n) || n < 1 || n > 3600)
          throw new Usage(`--timeout expects whole seconds between 1 and 3600, got "${value}"`);
        return void (state.timeoutSec = n);
      }
      case "o":
        if (state.source !== null) throw new Usage("Can only specify one source");
        return void (state.source = value);
      case "i":
        if (alerts.some((a) => a.id === value))
          throw new Usage(`Cannot specify the same ID twice in one update -- ID ${value}`);
        return void alerts.push(blankAlert(value));
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

/** mauvesend's --help text. */
export const MAUVESEND_HELP = `Usage: mauvesend [options] [destination ...]

Sends one Mauve AlertUpdate over XMPP: logs in, makes sure the source's node
mauve/alerts/<source> exists, publishes, and waits for the server to confirm.
The flags are Mauve's, so scripts written for Mauve's mauvesend keep working;
destinations (Mauve's UDP hosts) are accepted and ignored.

Every -i starts a new alert; -s, -u, -d, -r, -c and -e describe the alert
named by the -i before them.

  -o, --source SOURCE    the source (default: the config's source, or with
                         MAUVE_XMPP_JID set, this host's name)
  -p, --replace          replace all of the source's alerts: those not named
                         are cleared (with no -i, clears the whole source)
  -i, --id ID            the alert's id, unique within the source
  -s, --summary TEXT     a short line for pagers and SMS
  -u, --subject TEXT     what the alert is about (default: the source)
  -d, --detail HTML      more detail, an HTML fragment
  -r, --raise [TIME]     raise at TIME (default now)
  -c, --clear [TIME]     clear at TIME (default now); with neither -r nor -c
                         the alert is raised now
  -e, --suppress TIME    silence notifications until TIME
  -v, --verbose          say what is sent (twice: the whole update and the
                         XMPP log)
      --config FILE      the agent config to take the account from
      --timeout SECONDS  how long to wait for confirmation (default 30)
  -V, --version          print the version
  -h, --help             show this text
  -m, --manual           show this text (Mauve's prints its manual page)

TIME is "now", UNIX seconds ("1700000000"), or relative to now: a sign or a
unit s, m, h, d ("+10m", "-1h", "90s", "+30" = in 30 seconds); anything else
is an error. A value that starts with "-" must be attached: -r-1h or
--raise=-1h (as in Mauve, "-r -1h" reads -1 as an option). Long options may
be abbreviated as long as they stay unique (--sum), except --config and
--timeout.

SOURCE is made of ASCII letters, digits, ".", "-" and "_" (a host name);
AlertBot tells sources apart regardless of case.

The account: --config FILE (an agent config: xmpp.jid, the password and
xmpp.service/pubsub/bot); else MAUVE_XMPP_JID and MAUVE_XMPP_PASSWORD, with
MAUVE_XMPP_SERVICE (default xmpp://<domain>:5222), MAUVE_XMPP_PUBSUB and
MAUVE_XMPP_BOT optional; else /etc/mauve/agent.yaml.

Examples:
  mauvesend -o web9 -i disk -s "/ is 97% full" -r now
  mauvesend -o web9 -i disk -c
  mauvesend -i heartbeat -s "web9 is quiet" -c now -r +10m

Exit status, as Mauve's: 0 sent and confirmed by the server (or help or
version printed), 1 anything else: a bad command line or an update that could
not be sent, with the reason on stderr ("*** Error: ...").
`;
