// Runs an entry point (bots/alertbot.ts, agents/mauve-agent.ts) as a real child process, the way
// systemd would, so tests can SIGKILL it, send it SIGHUP, and read every line it logged.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait-for.js";

/** The repository root: entry points are spawned from there so `--import tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** How a child process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running entry point: its output as lines (JSON log lines parsed), signals, and its exit. */
export class ChildRun {
  /** Every child that has not closed yet: what a failed test left running is killed at the end of the run. */
  private static readonly running = new Set<ChildRun>();

  /** Every stderr line that parsed as a JSON object (the structured log). */
  readonly logs: Array<Record<string, unknown>> = [];
  /** Raw stdout and stderr, for "never appears" scans and failure reports. */
  stdout = "";
  stderr = "";
  readonly exited: Promise<ChildExit>;
  private exit: ChildExit | null = null;
  private partial = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (s: string) => (this.stdout += s));
    child.stderr?.setEncoding("utf8").on("data", (s: string) => this.onStderr(s));
    // A command that cannot start (not installed, not executable): "close" still follows, with
    // a negative code; without a listener the error would be thrown at the whole test run.
    child.on("error", (err) => (this.stderr += `cannot start ${label}: ${err.message}\n`));
    // "close", not "exit": at "exit" the pipes may still hold the last lines (the reason it
    // stopped among them), and a test reading them then would race the process.
    ChildRun.running.add(this);
    this.exited = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        ChildRun.running.delete(this);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Spawns `node --import tsx <entry> ...args` from the repository root with `env` added to ours. */
  static start(
    entry: string,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
    label = entry,
  ): ChildRun {
    const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new ChildRun(child, label);
  }

  /**
   * Runs an installed command (`mauve-alertbot` from a global install, found on `env.PATH`) as
   * a user's shell would: no tsx, its own `#!` line, from `cwd` (outside the repository, so
   * nothing resolves from the source tree or its node_modules).
   */
  static command(
    command: string,
    args: readonly string[],
    cwd: string,
    env: Readonly<Record<string, string>>,
    label = command,
  ): ChildRun {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    return new ChildRun(child, label);
  }

  /**
   * SIGKILLs every child still running and waits for them: the run's last hook. A test that failed
   * before stopping what it started left it running, and its pipes kept mocha from ever exiting.
   * Returns their labels and pids.
   */
  static async killLeftRunning(): Promise<string[]> {
    const left = [...ChildRun.running];
    await Promise.all(left.map((run) => run.crash()));
    return left.map((run) => `${run.label} (pid ${run.pid})`);
  }

  /**
   * Waits for the process to end by itself; after `timeoutMs` kills it and fails with the end of
   * its output, so a test that expected an exit neither leaves it running nor hides why.
   */
  async waitForExit(what: string, timeoutMs = 60_000): Promise<ChildExit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), timeoutMs)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome !== "late") return outcome;
    await this.crash();
    throw new Error(
      `timed out waiting for ${what} (${timeoutMs} ms); killed it. Its stderr ended:\n${this.stderr.slice(-4000)}`,
    );
  }

  /** The process id (for logs of a failed test). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.exit !== null;
  }

  /** How it ended, or null while it runs. */
  get exitStatus(): ChildExit | null {
    return this.exit;
  }

  /** Log lines whose message is `msg`. */
  withMsg(msg: string): Array<Record<string, unknown>> {
    return this.logs.filter((l) => l["msg"] === msg);
  }

  /** The messages of the warnings and errors logged from line `mark` on. */
  loudSince(mark: number): string[] {
    return this.logs
      .slice(mark)
      .filter((l) => l["level"] === "warn" || l["level"] === "error")
      .map((l) => String(l["msg"]));
  }

  /**
   * Waits for a log line matching `pred` (at or after line `from`); fails early, with the output, if
   * the process exits first.
   */
  waitForLog(
    what: string,
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
    from = 0,
  ): Promise<Record<string, unknown>> {
    let next = from; // lines before it were checked: a long log is not scanned again at every poll
    return waitFor(
      what,
      () => {
        let line: Record<string, unknown> | undefined;
        for (; next < this.logs.length && !line; next++) if (pred(this.logs[next]!)) line = this.logs[next];
        if (line) return line;
        if (this.exit)
          throw new Error(
            `${this.label} exited (${JSON.stringify(this.exit)}) before ${what}:\n${this.stderr.slice(-4000)}`,
          );
        return undefined;
      },
      timeoutMs,
    );
  }

  /** Closes the read ends of its stdout and stderr, as a log reader that went away would. */
  closeOutput(): void {
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  /** Sends a signal (SIGKILL for a crash, SIGHUP for a reload). */
  signal(sig: NodeJS.Signals): void {
    if (!this.exit) this.child.kill(sig);
  }

  /** SIGKILL, then waits for the exit: a crash with no chance to clean up. */
  async crash(): Promise<ChildExit> {
    this.signal("SIGKILL");
    return this.exited;
  }

  /** SIGTERM (a clean stop), SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<ChildExit> {
    if (this.exit) return this.exit;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  private onStderr(chunk: string): void {
    this.stderr += chunk;
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      try {
        this.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line cut short by SIGKILL, or one that merely starts with a brace: kept in `stderr` only.
      }
    }
  }
}
