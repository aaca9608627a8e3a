// AlertBot as an admin runs it (bots/alertbot.ts, its own process, a config file, the secret in the
// environment), with each JSON log line stamped on the bench's monotonic clock as it arrives: a
// takeover is timed from the kill to the line in which the standby says it took over.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { terminate, track } from "./children.js";
import { hrMs } from "./hrtime.js";
import { alertBotNodeFlags } from "./installed-flags.js";

/** One log line and when the bench read it (hrMs). */
export interface StampedLine {
  readonly at: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** How the process is started. */
export interface AlertBotLaunch {
  /** Names the process in progress lines and errors ("alertbot A"). */
  readonly label: string;
  readonly configFile: string;
  /** Added to the bench's environment (the component secret). */
  readonly env: Readonly<Record<string, string>>;
  /** Where stdout and stderr are appended. */
  readonly logFile: string;
  readonly repoDir: string;
  /** The compiled tree: run bots/alertbot.js there with plain node, as installed; null: the source under tsx. */
  readonly compiledDir: string | null;
}

/** A running (or ended) bots/alertbot.ts process. */
export class AlertBotProcess {
  readonly lines: StampedLine[] = [];
  /** Resolves with the exit code (null when a signal ended it) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private ended: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private partial = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => this.read(chunk));
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.ended = { code, signal };
        resolve(this.ended);
      });
    });
  }

  /** Spawns the entry point; tracked, so it dies with the bench however the bench ends. */
  static start(launch: AlertBotLaunch): AlertBotProcess {
    // With the flags its #! line gives it: spawned with node, not run as a file.
    const args = [
      ...alertBotNodeFlags(launch.repoDir),
      ...(launch.compiledDir
        ? [join(launch.compiledDir, "bots", "alertbot.js")]
        : ["--import", "tsx", join(launch.repoDir, "bots", "alertbot.ts")]),
    ];
    const child = track(
      spawn(process.execPath, [...args, "--config", launch.configFile], {
        cwd: launch.repoDir,
        env: { ...process.env, ...launch.env },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    const log = createWriteStream(launch.logFile, { flags: "a" });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new AlertBotProcess(child, launch.label);
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** How it ended, or null while it runs. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.ended;
  }

  /** The first line from index `from` on whose message is `msg`. */
  find(msg: string, from = 0): StampedLine | undefined {
    for (let i = from; i < this.lines.length; i++) if (this.lines[i]!.fields["msg"] === msg) return this.lines[i];
    return undefined;
  }

  /**
   * Waits for a line with message `msg` (from index `from` on); rejects when the process ends first,
   * when a line with a message in `failOn` comes first, or after `timeoutMs`.
   */
  async waitFor(msg: string, timeoutMs: number, from = 0, failOn: readonly string[] = []): Promise<StampedLine> {
    const deadline = hrMs() + timeoutMs;
    for (;;) {
      const line = this.find(msg, from);
      if (line) return line;
      const bad = failOn.map((m) => this.find(m, from)).find((l) => l !== undefined);
      if (bad) throw new Error(`${this.label} logged "${String(bad.fields["msg"])}" before "${msg}"`);
      if (this.ended)
        throw new Error(`${this.label} exited (${this.ended.signal ?? `code ${this.ended.code}`}) before "${msg}"`);
      if (hrMs() > deadline) throw new Error(`${this.label} did not log "${msg}" within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends a signal (SIGKILL: a crash; SIGSTOP / SIGCONT: a frozen process). */
  signal(sig: NodeJS.Signals): void {
    if (!this.ended) this.child.kill(sig);
  }

  /** SIGTERM, SIGKILL after a while: a clean stop at the end of the phase. */
  stop(): Promise<void> {
    return terminate(this.child, 10_000);
  }

  private read(chunk: string): void {
    const at = hrMs();
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      try {
        this.lines.push({ at, fields: JSON.parse(line) as Record<string, unknown> });
      } catch {
        // A line that merely starts with a brace: in the log file only.
      }
    }
  }
}
