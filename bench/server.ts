// The benchmark's private XMPP server, Prosody or ejabberd: a temporary run directory, free
// loopback ports, a random bot secret.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerEjabberdAccounts } from "../ejabberd/accounts.js";
import { ejabberdRunDirLayout, startEjabberd, type RunningEjabberd } from "../ejabberd/launcher.js";
import { runDirLayout, startProsody, type ProsodyHandle } from "../prosody/launcher.js";
import { createAccounts } from "./accounts.js";

/** Component name of the bot (and of the baseline's do-nothing subscriber, which stands in its place). */
export const BOT_NAME = "alertbot";

/** The servers the benchmark can run against. */
export const SERVER_KINDS = ["prosody", "ejabberd"] as const;
/** One of them. */
export type ServerKind = (typeof SERVER_KINDS)[number];
/** Each server's name as its readers know it, for labels. */
export const SERVER_NAMES: Readonly<Record<ServerKind, string>> = { prosody: "Prosody", ejabberd: "ejabberd" };

/** A running bench server. `prosody` is its handle, the same for either server. */
export interface BenchServer {
  readonly kind: ServerKind;
  readonly prosody: ProsodyHandle;
  readonly secret: string;
  /** Prosody's storage; ejabberd always uses Mnesia, its default. */
  readonly storage: "internal" | "sql" | "mnesia";
  /** The server's process id, from its pid file (either launcher's child is the server itself). */
  pid(): Promise<number>;
  /** Creates accounts in bulk (Prosody: see accounts.ts; ejabberd: one RPC session). */
  createAccounts(usernames: readonly string[], password: string): Promise<void>;
  /** Stops the server and removes its run directory (kept, with its log, when `keep`). */
  dispose(keep?: boolean): Promise<void>;
}

/** Starts the server (Prosody with the given storage) in a fresh temporary directory. */
export async function startBenchServer(kind: ServerKind, storage: "internal" | "sql"): Promise<BenchServer> {
  const runDir = await mkdtemp(join(tmpdir(), `mauve-bench-${kind}-`));
  const secret = randomBytes(18).toString("base64url");
  const launch = { runDir, logLevel: "warn" as const, botComponent: { name: BOT_NAME, secret } };
  let prosody: ProsodyHandle;
  try {
    prosody = kind === "ejabberd" ? await startEjabberd(launch) : await startProsody({ ...launch, storage });
  } catch (err) {
    await rm(runDir, { recursive: true, force: true });
    throw err;
  }
  const pidFile = kind === "ejabberd" ? ejabberdRunDirLayout(runDir).pidFile : runDirLayout(runDir).pidFile;
  return {
    kind,
    prosody,
    secret,
    storage: kind === "ejabberd" ? "mnesia" : storage,
    async pid() {
      const pid = Number.parseInt(await readFile(pidFile, "utf8"), 10);
      if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no pid in ${pidFile}`);
      return pid;
    },
    async createAccounts(usernames, password) {
      if (kind === "prosody") return createAccounts({ runDir, domain: prosody.domain, storage }, usernames, password);
      const paths = ejabberdRunDirLayout(runDir);
      const state = JSON.parse(await readFile(paths.stateFile, "utf8")) as RunningEjabberd;
      await registerEjabberdAccounts({ paths, ...state }, usernames, prosody.domain, password);
    },
    async dispose(keep = false) {
      await prosody.stop();
      if (keep) process.stderr.write(`bench: ${kind} run directory kept: ${runDir}\n`);
      else await rm(runDir, { recursive: true, force: true });
    },
  };
}
