import type { Alert } from "../codec/types.js";
import { isTimeSpec, parseTimeSpec } from "./mauvesend-time.js";

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

/** A parsed command line: a request, a plea for help or the version, or a usage error. */
export type MauvesendArgs =
  | MauvesendRequest
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "usage"; readonly message: string };

type Opt = { name: string; arg: "none" | "required" | "time" };
const OPTIONS: Readonly<Record<string, Opt>> = {
  o: { name: "source", arg: "required" },
  p: { name: "replace", arg: "none" },
  i: { name: "id", arg: "required" },
  s: { name: "summary", arg: "required" },
  u: { name: "subject", arg: "required" },
  d: { name: "detail", arg: "required" },
  r: { name: "raise", arg: "time" },
  c: { name: "clear", arg: "time" },
  e: { name: "suppress", arg: "time" },
  v: { name: "verbose", arg: "none" },
  h: { name: "help", arg: "none" },
  V: { name: "version", arg: "none" },
};
const LONG: Readonly<Record<string, Opt>> = {
  ...Object.fromEntries(Object.values(OPTIONS).map((o) => [o.name, o])),
  config: { name: "config", arg: "required" },
  timeout: { name: "timeout", arg: "required" },
};

class Usage extends Error {}

/**
 * Reads mauvesend's command line the way Mauve's does: every `-i` starts a new alert and the
 * following `-s -u -d -r -c -e` describe it; `-r`, `-c` and `-e` take an optional time (default
 * now); an alert with neither raise nor clear time is raised now. Short options may be bundled.
 */
export function parseMauvesendArgs(argv: readonly string[], nowSec: number): MauvesendArgs {
  const state = { source: null as string | null, replace: false, verbose: 0, config: null as string | null, timeoutSec: 30 };
  const alerts: Alert[] = [];
  const destinations: string[] = [];
  let help = false;
  let version = false;
  const apply = (opt: Opt, value: string): void => {
    if (opt.arg === "required" && value === "") throw new Usage(`--${opt.name} cannot be empty`);
    const current = alerts.at(-1);
    switch (opt.name) {
      case "help": return void (help = true);
      case "version": return void (version = true);
      case "verbose": return void state.verbose++;
      case "replace": return void (state.replace = true);
      case "config": return void (state.config = value);
      case "timeout": {
        const n = Number(value.replace(/s$/, ""));
        if (!Number.isInteger(n) || n < 1 || n > 3600) throw new Usage(`--timeout expects whole seconds between 1 and 3600, got "${value}"`);
        return void (state.timeoutSec = n);
      }
      case "source":
        if (state.source !== null) throw new Usage("Can only specify one source");
        return void (state.source = value);
      case "id":
        if (alerts.some((a) => a.id === value)) throw new Usage(`Cannot specify the same ID twice in one update -- ID ${value}`);
        return void alerts.push({ id: value, raiseTime: 0, clearTime: 0, subject: "", summary: "", detail: "", importance: 0, suppressUntil: 0 });
    }
    if (!current) throw new Usage(`Must specify --id before --${opt.name}`);
    if (opt.arg === "time") {
      const at = parseTimeSpec(value, nowSec);
      if (at === null) throw new Usage(`Unrecognised time format "${value}" for --${opt.name} (try now, +5m, -1h or epoch seconds)`);
      if (opt.name === "raise") current.raiseTime = at;
      else if (opt.name === "clear") current.clearTime = at;
      else current.suppressUntil = at;
      return;
    }
    if (opt.name === "summary") current.summary = value;
    else if (opt.name === "subject") current.subject = value;
    else current.detail = value;
  };
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const next = (opt: Opt, attached: string | undefined): string => {
        if (attached !== undefined || opt.arg === "none") return attached ?? "";
        const following = argv[i + 1];
        if (opt.arg === "time") return following !== undefined && isTimeSpec(following) ? (i++, following) : "now";
        if (following === undefined) throw new Usage(`--${opt.name} needs a value`);
        i++;
        return following;
      };
      if (arg === "--") {
        destinations.push(...argv.slice(i + 1));
        break;
      }
      if (arg.startsWith("--")) {
        const [name = "", ...rest] = arg.slice(2).split("=");
        const opt = LONG[name];
        if (!opt) throw new Usage(`Unknown option --${name}`);
        if (opt.arg === "none" && rest.length > 0) throw new Usage(`--${name} takes no value`);
        apply(opt, next(opt, rest.length > 0 ? rest.join("=") : undefined));
      } else if (arg.startsWith("-") && arg.length > 1) {
        for (let j = 1; j < arg.length; j++) {
          const opt = OPTIONS[arg[j]!];
          if (!opt) throw new Usage(`Unknown option -${arg[j]}`);
          if (opt.arg === "none") {
            apply(opt, "");
            continue;
          }
          const attached = arg.slice(j + 1);
          apply(opt, next(opt, attached === "" ? undefined : attached));
          break;
        }
      } else {
        destinations.push(arg);
      }
    }
    if (help) return { kind: "help" };
    if (version) return { kind: "version" };
    if (alerts.length === 0 && !state.replace) throw new Usage("No alerts specified");
  } catch (err) {
    if (err instanceof Usage) return { kind: "usage", message: err.message };
    throw err;
  }
  // Mauve's sender: an alert with neither time is raised now.
  for (const a of alerts) if (a.raiseTime === 0 && a.clearTime === 0) a.raiseTime = nowSec;
  return { kind: "send", ...state, alerts, destinations };
}
