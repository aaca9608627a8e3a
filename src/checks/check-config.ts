// A check: what it is (a Nagios-compatible command, its schedule, importance and damping), how
// the agent config and remote pushes spell it (the readers below), and what one run comes to.
import { list, maybe, object, optional, transform, check, mapOf } from "../schema/combinators.js";
import { expected, type Reader } from "../schema/reader.js";
import { duration, int, str } from "../schema/scalars.js";
import { agentAlertIdProblem } from "../codec/agent-alert-ids.js";

/** A Nagios plugin's verdict: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export type CheckStatus = "ok" | "warning" | "critical" | "unknown";

/** The statuses that raise an alert, each with its own importance. */
export type FailingStatus = Exclude<CheckStatus, "ok">;

/** k-of-n damping: raise when `raise` of the last `of` runs failed; clear after `clear` passes in a row. */
export interface Damping {
  readonly raise: number;
  readonly of: number;
  readonly clear: number;
}

/** One check as configured: a Nagios-compatible command run every `intervalMs`. */
export interface CheckSpec {
  /** The alert id it raises and clears. */
  readonly id: string;
  /** A shell command line (run with /bin/sh -c) or an argument vector run directly. */
  readonly command: string | readonly string[];
  readonly intervalMs: number;
  /** After this long the whole process group is killed and the run counts as CRITICAL. */
  readonly timeoutMs: number;
  /** Added to the checks' minimal environment (PATH, LANG=C). */
  readonly env: Readonly<Record<string, string>>;
  /** The alert's subject; null leaves it to the bot (the source). */
  readonly subject: string | null;
  readonly importance: Readonly<Record<FailingStatus, number>>;
  readonly damping: Damping;
}

/** What one run of a check came to. */
export interface CheckRun {
  readonly status: CheckStatus;
  /** The first line of output without performance data (or why there is none). */
  readonly summary: string;
  /** The remaining lines of output, plain text. */
  readonly detail: string;
  /** Null when the process was killed or never started. */
  readonly exitCode: number | null;
  readonly timedOut: boolean;
}

/** How checks run on this host as a whole. */
export interface CheckRunnerConfig {
  /** At most this many checks run at once. */
  readonly maxConcurrent: number;
}

const SECOND = 1_000;
const DAY = 86_400_000;
const IMPORTANCE = int(0, 4_294_967_295);

// A shell line (one string) or an argument vector (a list of strings), as in systemd and Docker.
const command: Reader<string | readonly string[]> = (value, path, ctx) => {
  if (typeof value === "string") return str({ what: "a command line or a list of arguments" })(value, path, ctx);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string") && value[0] !== "")
    return value;
  return expected('a command line like "check_disk -w 10% -p /" or a list of arguments', value, path, ctx);
};

const envValue: Reader<string> = (value, path, ctx) =>
  typeof value === "string" ? value : expected("a string (quote numbers)", value, path, ctx);

const damping = check(
  object({ raise: optional(int(1, 100), 1), of: optional(int(1, 100), 1), clear: optional(int(1, 100), 1) }),
  (d, problem) => {
    if (d.raise > d.of) problem("raise", `expected at most of (${d.of}), got ${d.raise}`);
  },
);

const rawCheck = object({
  id: str({ max: 256, pattern: /^[^\s]+$/, what: "an alert id without spaces like disk-root" }),
  command,
  interval: optional(duration({ min: SECOND, max: DAY }), "1m"),
  timeout: optional(duration({ min: SECOND, max: 3_600_000 }), "30s"),
  env: optional(mapOf(envValue, { pattern: /^[A-Za-z_][A-Za-z0-9_]*$/, what: "LC_ALL" }), {}),
  subject: maybe(str({ max: 512 })),
  importance: optional(
    object({
      warning: optional(IMPORTANCE, 40),
      critical: optional(IMPORTANCE, 80),
      unknown: optional(IMPORTANCE, 50),
    }),
    {},
  ),
  damping: optional(damping, {}),
});

/** Reads one check definition (Nagios-plugin compatible command, schedule, importance, damping). */
export const checkSpec: Reader<CheckSpec> = transform(rawCheck, (c) => ({
  id: c.id,
  command: c.command,
  intervalMs: c.interval,
  timeoutMs: c.timeout,
  env: c.env,
  subject: c.subject,
  importance: c.importance,
  damping: c.damping,
}));

/** Reads a list of checks with unique ids, none of them one of the agent's own alerts. */
export const checksList: Reader<readonly CheckSpec[]> = check(
  list(checkSpec, { unique: [{ key: "id", of: (c) => c.id }] }),
  (checks, problem) => {
    checks.forEach((c, i) => {
      const taken = agentAlertIdProblem(c.id);
      if (taken !== undefined) problem(`[${i}].id`, taken);
    });
  },
);

/** Reads `check_runner: { max_concurrent }`. */
export const checkRunnerSection: Reader<CheckRunnerConfig> = optional(
  object({ max_concurrent: optional(int(1, 256), 4) }),
  {},
);
