// Process hygiene for the private servers (Prosody, ejabberd): no stale servers, no orphans, bounded stops.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { open, readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { waitForStreams } from "./ports.js";
import type { StreamProbe } from "./ports.js";

const live = new Set<ChildProcess>();
let hooked = false;

/** Tracks a child so that it is sent SIGTERM when this Node process exits, however it exits normally. */
export function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (hooked) return;
  hooked = true;
  // 'exit' handlers must be synchronous: a signal is all we can do, and all Prosody needs.
  process.on("exit", () => {
    for (const c of live) c.kill("SIGTERM");
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Sends SIGTERM, waits up to `timeoutMs` for the child to exit, then SIGKILLs it. */
export async function terminate(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = sleep(timeoutMs).then(() => "timeout" as const);
  if ((await Promise.race([exited, timer])) === "timeout") {
    child.kill("SIGKILL");
    await exited;
  }
}

/**
 * Kills a Prosody left by an earlier run in the same directory, found through its pid file.
 * On Linux the pid must belong to a process started with our config file, so a recycled
 * pid of an unrelated process is never touched.
 */
export async function killStale(pidFile: string, configFile: string, timeoutMs: number): Promise<void> {
  const pid = Number.parseInt(await readFile(pidFile, "utf8").catch(() => ""), 10);
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
  if (cmdline !== undefined && !cmdline.split("\0").includes(configFile)) return;
  process.kill(pid, "SIGTERM");
  if (await waitGone(pid, timeoutMs)) return;
  process.kill(pid, "SIGKILL");
  if (!(await waitGone(pid, timeoutMs))) throw new Error(`stale Prosody (pid ${pid}) survived SIGKILL`);
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** How to start one private XMPP server (Prosody or ejabberd) and tell that it is up. */
export interface ServerRun {
  /** The server's name in messages ("Prosody", "ejabberd"). */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where the child's stdout and stderr go (truncated at each start). */
  readonly consoleFile: string;
  /** The server's own log, appended to across restarts. */
  readonly logFile: string;
  /** A line of the log written since this start that means the start failed. */
  readonly failureLine: RegExp;
  /** Streams that must answer before the server counts as up. */
  readonly probes: readonly StreamProbe[];
  readonly readyTimeoutMs: number;
  readonly stopTimeoutMs: number;
}

/**
 * Starts the server in the foreground (the child is the server, so its exit is ours to see) and
 * resolves once every probe's stream answers. An early exit, a failure line in the log or the
 * timeout stops it and rejects with the ends of its log and console.
 */
export async function startServer(run: ServerRun): Promise<ChildProcess> {
  const logOffset = (await stat(run.logFile).catch(() => ({ size: 0 }))).size;
  const out = await open(run.consoleFile, "w");
  const child = spawn(run.command, run.args, { cwd: run.cwd, env: run.env, stdio: ["ignore", out.fd, out.fd] });
  // Listening before the first await: a missing binary's 'error' comes on the next tick.
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `${run.name} exited early (${signal ?? `code ${code}`})`));
  child.once("error", (err) => (exited = `cannot run ${run.command}: ${err.message}`));
  killOnExit(child);
  await out.close();
  const failure = async (): Promise<string | undefined> => {
    if (exited !== undefined) return exited;
    const log = await readFile(run.logFile).catch(() => Buffer.alloc(0));
    const lines = log.subarray(logOffset).toString("utf8").split("\n");
    return lines.find((l) => run.failureLine.test(l))?.trim();
  };
  try {
    await waitForStreams([...run.probes], run.readyTimeoutMs, failure);
  } catch (err) {
    await terminate(child, run.stopTimeoutMs);
    throw new Error(`${(err as Error).message}\n${await serverTail(run)}`, { cause: err });
  }
  return child;
}

async function serverTail(run: ServerRun, lines = 40): Promise<string> {
  const log = (await readFile(run.logFile, "utf8").catch(() => "")).split("\n").slice(-lines).join("\n");
  const out = (await readFile(run.consoleFile, "utf8").catch(() => "")).trim();
  return `--- ${run.logFile} (last ${lines} lines) ---\n${log}\n--- ${run.command} stdout/stderr ---\n${out}`;
}

/** How a private server starts, less what the handle knows already (its probes, log, stop timeout). */
export type ServerStart = Omit<ServerRun, "probes" | "logFile" | "stopTimeoutMs">;

/**
 * A private server's lifecycle, the same for Prosody and ejabberd: started with its own run and
 * counted up when its c2s port (and the bot's component port, if any) answer a stream; stopped
 * with SIGTERM, then SIGKILL after a timeout; restarted with the same ports and data.
 */
export abstract class PrivateServer {
  readonly pubsubJid: string;
  readonly mucJid: string;
  private child: ChildProcess | undefined;

  constructor(
    readonly domain: string,
    /** "" without a bot component. */
    readonly botJid: string,
    readonly c2sPort: number,
    readonly componentPort: number,
    readonly logFile: string,
    private readonly stopTimeoutMs: number,
  ) {
    this.pubsubJid = `pubsub.${domain}`;
    this.mucJid = `rooms.${domain}`;
  }

  /** What this server runs, made ready for a start (files it must not find left over, say). */
  protected abstract prepareStart(): Promise<ServerStart>;

  async start(): Promise<void> {
    const run = await this.prepareStart();
    this.child = await startServer({
      ...run,
      logFile: this.logFile,
      probes: this.probes(),
      stopTimeoutMs: this.stopTimeoutMs,
    });
  }

  private probes(): StreamProbe[] {
    const probes: StreamProbe[] = [{ port: this.c2sPort, xmlns: "jabber:client", to: this.domain }];
    if (this.botJid !== "")
      probes.push({ port: this.componentPort, xmlns: "jabber:component:accept", to: this.botJid });
    return probes;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await terminate(child, this.stopTimeoutMs);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async readLog(): Promise<string> {
    return readFile(this.logFile, "utf8").catch(() => "");
  }
}
