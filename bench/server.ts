// The benchmark's private Prosody: a temporary run directory, free loopback ports, a random bot secret.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDirLayout, startProsody, type ProsodyHandle } from "../prosody/launcher.js";
import { createAccounts } from "./accounts.js";

/** Component name of the bot (and of the baseline's do-nothing subscriber, which stands in its place). */
export const BOT_NAME = "alertbot";

/** A running bench Prosody. */
export interface BenchServer {
  readonly prosody: ProsodyHandle;
  readonly secret: string;
  readonly storage: "internal" | "sql";
  /** Prosody's process id, from its pid file (the launcher's child is Prosody itself, run with -F). */
  pid(): Promise<number>;
  /** Creates accounts in bulk (see accounts.ts). */
  createAccounts(usernames: readonly string[], password: string): Promise<void>;
  /** Stops Prosody and removes its run directory (kept, with its log, when `keep`). */
  dispose(keep?: boolean): Promise<void>;
}

/** Starts Prosody with the given storage in a fresh temporary directory. */
export async function startBenchServer(storage: "internal" | "sql"): Promise<BenchServer> {
  const runDir = await mkdtemp(join(tmpdir(), "mauve-bench-"));
  const secret = randomBytes(18).toString("base64url");
  let prosody: ProsodyHandle;
  try {
    prosody = await startProsody({ runDir, storage, logLevel: "warn", botComponent: { name: BOT_NAME, secret } });
  } catch (err) {
    await rm(runDir, { recursive: true, force: true });
    throw err;
  }
  const { pidFile } = runDirLayout(runDir);
  return {
    prosody,
    secret,
    storage,
    async pid() {
      const pid = Number.parseInt(await readFile(pidFile, "utf8"), 10);
      if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no pid in ${pidFile}`);
      return pid;
    },
    createAccounts: (usernames, password) =>
      createAccounts({ runDir, domain: prosody.domain, storage }, usernames, password),
    async dispose(keep = false) {
      await prosody.stop();
      if (keep) process.stderr.write(`bench: Prosody run directory kept: ${runDir}\n`);
      else await rm(runDir, { recursive: true, force: true });
    },
  };
}
