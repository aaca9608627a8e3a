// Running a check: a Nagios plugin in its own process group, with a timeout, and its verdict
// read as the Nagios plugin guidelines say (exit code, first line, long text, perfdata).
import { spawn } from "node:child_process";
import type { Clock, TimerHandle } from "../clock/clock.js";
import { AGENT_DETAIL_MAX_BYTES } from "../codec/fit-update.js";
import { utf8Bytes } from "../codec/text.js";
import { formatDuration } from "../util/duration.js";
import type { CheckRun, CheckSpec, CheckStatus } from "./check-config.js";

// Plugins print a line or a few; more than this is kept out of memory (and out of the alert).
const MAX_STDOUT_BYTES = 64 * 1024;
const MAX_STDERR_BYTES = 4 * 1024;
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The environment every check starts from: PATH and LANG=C (so output is parseable) and nothing of
 * the agent's own, which may hold its XMPP password (`password_env`).
 */
export function baseCheckEnv(agentEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return { PATH: agentEnv["PATH"] ?? DEFAULT_PATH, LANG: "C" };
}

/**
 * Runs one check command in its own process group and reads its verdict. At the timeout the whole
 * group is killed (plugins often fork: `sh -c` → plugin → ssh), and the run counts as CRITICAL,
 * Nagios's default for a timed-out service check. An abort (the agent stopping) kills the group
 * too. Never rejects.
 */
export function runCheckCommand(
  spec: Pick<CheckSpec, "command" | "timeoutMs" | "env">,
  clock: Clock,
  baseEnv: Readonly<Record<string, string>>,
  signal?: AbortSignal,
): Promise<CheckRun> {
  const [file, args] =
    typeof spec.command === "string"
      ? ["/bin/sh", ["-c", spec.command]]
      : [spec.command[0] ?? "", spec.command.slice(1)];
  return new Promise((resolve) => {
    let settled = false;
    let timer: TimerHandle | undefined;
    const finish = (run: CheckRun): void => {
      if (settled) return;
      settled = true;
      timer?.cancel();
      resolve(run);
    };
    const child = spawn(file, args, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...baseEnv, ...spec.env },
    });
    const stdout = collect(child.stdout, MAX_STDOUT_BYTES);
    const stderr = collect(child.stderr, MAX_STDERR_BYTES);
    let timedOut = false;
    const finishTimedOut = (): void => {
      child.stdout.destroy();
      child.stderr.destroy();
      const { summary, detail } = parsePluginOutput(stdout());
      const why = `check timed out after ${formatDuration(spec.timeoutMs)}`;
      finish({
        status: "critical",
        summary: summary === "" ? why : `${why}: ${summary}`,
        detail,
        exitCode: null,
        timedOut: true,
      });
    };
    timer = clock.setTimer(spec.timeoutMs, () => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid);
      // What the check printed before it was killed may still be in the pipe (read at the close
      // that follows the kill); a descendant that left the group could hold the pipe open, so the
      // wait is short. Real time, not the clock's: this waits for the kernel, not for policy.
      // eslint-disable-next-line no-restricted-globals -- a kernel pipe drain, not policy time (above)
      setTimeout(finishTimedOut, DRAIN_MS).unref();
    });
    const abort = (): void => {
      if (child.pid !== undefined) killGroup(child.pid);
    };
    if (signal?.aborted) abort();
    signal?.addEventListener("abort", abort, { once: true });
    child.on("close", () => signal?.removeEventListener("abort", abort));
    child.on("error", (err) => {
      finish({
        status: "unknown",
        summary: `cannot run the check: ${err.message}`,
        detail: "",
        exitCode: null,
        timedOut: false,
      });
    });
    child.on("close", (code, signal) => {
      // A plugin that left background processes behind (output redirected, so the close came)
      // would leak one set per run: its group goes with it.
      if (child.pid !== undefined) killGroup(child.pid);
      if (timedOut) return finishTimedOut();
      if (code === null) {
        const summary = `check killed by ${signal ?? "a signal"}`;
        return finish({ status: "unknown", summary, detail: stderr().trim(), exitCode: null, timedOut: false });
      }
      finish(verdict(code, stdout(), stderr()));
    });
  });
}

/** How long a timed-out check's pipes may take to give up what it printed before the kill. */
const DRAIN_MS = 1_000;

function verdict(code: number, stdout: string, stderr: string): CheckRun {
  const { summary, detail } = parsePluginOutput(stdout);
  const status = statusOfExitCode(code);
  // Nagios's own wording for these, so admins recognise them.
  let shown = summary;
  if (code < 0 || code > 3)
    shown = `(Return code of ${code} is out of bounds${code === 126 || code === 127 ? " - plugin may be missing" : ""})`;
  if (shown === "")
    shown = "(No output on stdout)" + (stderr.trim() !== "" ? ` stderr: ${stderr.trim().split("\n")[0]}` : "");
  const extra = shown === summary ? detail : [summary, detail, stderr.trim()].filter((s) => s !== "").join("\n");
  return { status, summary: shown.slice(0, 1024), detail: extra, exitCode: code, timedOut: false };
}

// A negative pid signals the whole process group (the child leads its own: spawned detached).
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone.
  }
}

function collect(stream: NodeJS.ReadableStream, max: number): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on("data", (chunk: Buffer) => {
    if (size >= max) return;
    chunks.push(chunk.subarray(0, max - size));
    size += Math.min(chunk.length, max - size);
  });
  stream.on("error", () => undefined);
  return () => Buffer.concat(chunks).toString("utf8");
}

// Mauve's field limits: summary 1024 characters, detail 65,535.
const SUMMARY_MAX = 1024;
// The plain text kept before escaping: escaping only grows it, so more could never fit in the
// detail's bound, which is applied after escaping (see detailHtml).
const DETAIL_MAX = AGENT_DETAIL_MAX_BYTES;

/** The status a Nagios plugin's exit code means; out-of-range codes are UNKNOWN, as in Nagios. */
export function statusOfExitCode(code: number): CheckStatus {
  switch (code) {
    case 0:
      return "ok";
    case 1:
      return "warning";
    case 2:
      return "critical";
    default:
      return "unknown";
  }
}

/**
 * Splits plugin output per the Nagios plugin guidelines: `TEXT | perfdata` on the first line,
 * optional long text after it, where the first `|` starts more perfdata that runs to the end.
 * The summary is the first line's text; the detail is the long text; perfdata is dropped.
 */
export function parsePluginOutput(stdout: string): { summary: string; detail: string } {
  const text = stdout.replace(/\r\n?/g, "\n").replace(/\n+$/, "");
  const newline = text.indexOf("\n");
  const first = newline < 0 ? text : text.slice(0, newline);
  const rest = newline < 0 ? "" : text.slice(newline + 1);
  const summary = beforePipe(first).trim();
  const detail = beforePipe(rest).replace(/\s+$/, "");
  return { summary: clip(summary, SUMMARY_MAX), detail: clip(detail, DETAIL_MAX) };
}

const PRE_BYTES = "<pre></pre>".length;
const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/**
 * Plain output as a detail HTML fragment: escaped and kept preformatted, since plugins align
 * columns; within `maxBytes` of UTF-8 once escaped (escaping can make text six times longer), cut
 * between characters and ending in "…" when cut.
 */
export function detailHtml(text: string, maxBytes: number = AGENT_DETAIL_MAX_BYTES): string {
  if (text === "") return "";
  const escaped = text.replace(/[&<>"]/g, (c) => ESCAPES[c] ?? c);
  if (utf8Bytes(escaped) + PRE_BYTES <= maxBytes) return `<pre>${escaped}</pre>`;
  const budget = maxBytes - PRE_BYTES - utf8Bytes("…");
  let used = 0;
  let cut = "";
  for (const ch of text) {
    const piece = ESCAPES[ch] ?? ch;
    used += utf8Bytes(piece);
    if (used > budget) break;
    cut += piece;
  }
  return `<pre>${cut}…</pre>`;
}

function beforePipe(text: string): string {
  const bar = text.indexOf("|");
  return bar < 0 ? text : text.slice(0, bar);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
