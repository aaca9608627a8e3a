// Process hygiene for the private Prosody: no stale servers, no orphans, bounded stops.
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

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
