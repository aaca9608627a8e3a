// Makes sure Debian's Prosody is installed, installing it only where that is safe and possible.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Debian packages the private Prosody needs: the server and the SQLite driver for `storage: "sql"`. */
export const PROSODY_PACKAGES = ["prosody", "lua-dbi-sqlite3"] as const;

/** Returns the absolute path of an executable on PATH, or undefined. Spawns nothing. */
export function which(command: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** True if dpkg knows the package as installed; true as well where there is no dpkg to ask. */
export function dpkgHas(pkg: string): boolean {
  let files: string[];
  try {
    files = readdirSync("/var/lib/dpkg/info");
  } catch {
    return true;
  }
  return files.some((f) => f === `${pkg}.list` || (f.startsWith(`${pkg}:`) && f.endsWith(".list")));
}

function missing(): string[] {
  const binaries = which("prosody") !== undefined && which("prosodyctl") !== undefined;
  return PROSODY_PACKAGES.filter((pkg) => (pkg === "prosody" ? !binaries : !dpkgHas(pkg)));
}

/**
 * Ensures Prosody and its SQLite driver are installed. As root with apt-get it installs
 * them (mod_smacks is in Prosody 0.12's core, so prosody-modules is not needed); otherwise
 * it throws an error that gives the exact command to run.
 */
export function ensureProsodyInstalled(): void {
  const needed = missing();
  if (needed.length === 0) return;
  const install = `apt-get install -y ${needed.join(" ")}`;
  if (process.getuid?.() !== 0 || which("apt-get") === undefined) {
    throw new Error(`Missing ${needed.join(", ")}. Run: sudo apt-get update && sudo ${install}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", ...needed]]) {
    // apt's stdout goes to our stderr so that tools reading our stdout see nothing of it.
    const result = spawnSync("apt-get", args, { stdio: ["ignore", 2, 2], env });
    if (result.status !== 0) {
      throw new Error(`apt-get ${args.join(" ")} failed (exit ${String(result.status)}); run: ${install}`);
    }
  }
  const still = missing();
  if (still.length > 0) throw new Error(`still missing after ${install}: ${still.join(", ")}`);
}
