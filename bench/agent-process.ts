// A real mauve-agent process, started as an admin would, for its memory and CPU.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { terminate, track } from "./children.js";

/** A started agent and where its output goes. */
export interface AgentProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves once the agent logged "mauve-agent running" (its node is ready); rejects if it exits first. */
  readonly running: Promise<void>;
  stop(): Promise<void>;
}

/** Starts `node <nodeArgs...> --config <configFile>` in `cwd`, logging to `logFile`. */
export function startAgentProcess(
  nodeArgs: readonly string[],
  configFile: string,
  cwd: string,
  logFile: string,
): AgentProcess {
  const child = track(
    spawn(process.execPath, [...nodeArgs, "--config", configFile], { cwd, stdio: ["ignore", "pipe", "pipe"] }),
  );
  const log = createWriteStream(logFile, { flags: "a" });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const running = new Promise<void>((resolve, reject) => {
    let buffered = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      if (buffered.includes('"msg":"mauve-agent running"')) resolve();
      if (buffered.length > 100_000) buffered = buffered.slice(-1_000);
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`agent exited before running (${signal ?? `code ${code}`}); see ${logFile}`)),
    );
  });
  running.catch(() => undefined); // observed by the caller; never an unhandled rejection here
  return { child, pid: child.pid ?? -1, running, stop: () => terminate(child) };
}

/** Every descendant of `pid` (e.g. an esbuild service under tsx, or a check that is running). */
export async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const tid of tasks) {
    const text = await readFile(`/proc/${pid}/task/${tid}/children`, "utf8").catch(() => "");
    for (const c of text.split(/\s+/).filter(Boolean).map(Number)) out.push(c, ...(await descendants(c)));
  }
  return out;
}
