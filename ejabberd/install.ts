// Makes sure Debian's ejabberd is installed, installing it only where that is safe and possible.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { which } from "../prosody/install.js";

/** Where Debian's ejabberd 23.01 keeps its Erlang applications (ejabberd, fast_xml, xmpp, …). */
export const EJABBERD_ERL_LIBS = "/usr/lib/x86_64-linux-gnu";

/** True if erl and Debian's ejabberd application are there to run a private server with. */
export function ejabberdInstalled(): boolean {
  return which("erl") !== undefined && which("ejabberdctl") !== undefined && ejabberdAppDir() !== undefined;
}

/** The ebin directory's parent of the installed ejabberd application, if any. */
export function ejabberdAppDir(): string | undefined {
  for (const dir of ["ejabberd-23.01", "ejabberd-23.01-1"]) {
    const path = `${EJABBERD_ERL_LIBS}/${dir}`;
    if (existsSync(`${path}/ebin/ejabberd.app`)) return path;
  }
  return undefined;
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
