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
