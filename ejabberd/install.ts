// Makes sure Debian's ejabberd is installed, installing it only where that is safe and possible.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { which } from "../prosody/install.js";

const MULTIARCH: Partial<Record<string, string>> = { x64: "x86_64", arm64: "aarch64" };
/** Where Debian's ejabberd 23.01 keeps its Erlang applications (ejabberd, fast_xml, xmpp, …): the multiarch lib dir. */
export const EJABBERD_ERL_LIBS = `/usr/lib/${MULTIARCH[process.arch] ?? process.arch}-linux-gnu`;

/** True if erl and Debian's ejabberd application are there to run a private server with. */
export function ejabberdInstalled(): boolean {
  // Not ejabberdctl: it lives in /usr/sbin, off the PATH of most users, and the launcher runs erl itself.
  return which("erl") !== undefined && ejabberdAppDir() !== undefined;
}

/** The ebin directory's parent of the installed ejabberd application, if any. */
export function ejabberdAppDir(): string | undefined {
  let dirs: string[];
  try {
    dirs = readdirSync(EJABBERD_ERL_LIBS).filter((d) => d.startsWith("ejabberd-"));
  } catch {
    return undefined;
  }
  return dirs.map((d) => `${EJABBERD_ERL_LIBS}/${d}`).find((path) => existsSync(`${path}/ebin/ejabberd.app`));
}

/**
 * Ensures ejabberd is installed. As root with apt-get it installs it; Debian's package starts
 * its own service on install where it can, so that one is stopped again: the bus never relies on
 * it, and a system ejabberd holding 5222 is not ours to leave running. Otherwise it throws an
 * error that gives the exact command to run.
 */
export function ensureEjabberdInstalled(): void {
  if (ejabberdInstalled()) return;
  const install = "apt-get install -y ejabberd";
  if (process.getuid?.() !== 0 || which("apt-get") === undefined) {
    throw new Error(`Missing ejabberd. Run: sudo apt-get update && sudo ${install}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "ejabberd"]]) {
    const result = spawnSync("apt-get", args, { stdio: ["ignore", 2, 2], env });
    if (result.status !== 0) {
      throw new Error(`apt-get ${args.join(" ")} failed (exit ${String(result.status)}); run: ${install}`);
    }
  }
  stopSystemEjabberd();
  if (!ejabberdInstalled()) throw new Error(`still missing after ${install}: ejabberd`);
}

/** Stops the service Debian's package may have started; quiet when there is none. */
export function stopSystemEjabberd(): void {
  for (const [cmd, args] of [
    ["systemctl", ["stop", "ejabberd"]],
    ["service", ["ejabberd", "stop"]],
  ] as const) {
    if (which(cmd) === undefined) continue;
    spawnSync(cmd, args, { stdio: "ignore" });
    return;
  }
}

/** Where Debian's Erlang keeps its own applications, and packaged ones such as p1_sqlite3. */
const ERLANG_LIBS = "/usr/lib/erlang/lib";

/** True if ejabberd's SQLite driver (Debian's erlang-p1-sqlite3) is installed. */
export function ejabberdSqliteDriverInstalled(): boolean {
  try {
    return readdirSync(ERLANG_LIBS).some(
      (d) => d.startsWith("p1_sqlite3-") && existsSync(`${ERLANG_LIBS}/${d}/ebin/sqlite3.app`),
    );
  } catch {
    return false;
  }
}

/**
 * Ensures the SQLite driver that storage "sql" needs is there (installing it as root with
 * apt-get): without it ejabberd starts and then fails on every query, far from the cause.
 */
export function ensureEjabberdSqliteDriver(): void {
  if (ejabberdSqliteDriverInstalled()) return;
  const install = "apt-get install -y erlang-p1-sqlite3";
  if (process.getuid?.() !== 0 || which("apt-get") === undefined) {
    throw new Error(`ejabberd on SQLite needs its driver. Run: sudo ${install}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const result = spawnSync("apt-get", ["install", "-y", "erlang-p1-sqlite3"], { stdio: ["ignore", 2, 2], env });
  if (result.status !== 0 || !ejabberdSqliteDriverInstalled()) {
    throw new Error(`apt-get install erlang-p1-sqlite3 failed (exit ${String(result.status)}); run: ${install}`);
  }
}
