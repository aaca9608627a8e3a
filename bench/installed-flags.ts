// The node flags an installed entry point runs with. The bench starts the agent and AlertBot with
// node explicitly (to sample their own pids, or to host the bot's core in a worker), so it reads
// the flags from the entry's `#!/usr/bin/env -S node ...` line: what it measures is what is installed.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The flags `file`'s `#!` line hands to node (none when it names node bare, or has no such line). */
export function shebangNodeFlags(file: string): string[] {
  const first = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  const words = first.replace(/^#!\s*/, "").split(/\s+/);
  const node = words.findIndex((w) => w === "node" || w.endsWith("/node"));
  return first.startsWith("#!") && node >= 0 ? words.slice(node + 1).filter(Boolean) : [];
}

/** The flags the installed `mauve-alertbot` runs with, read from its source in `repoDir`. */
export function alertBotNodeFlags(repoDir: string): string[] {
  return shebangNodeFlags(join(repoDir, "bots", "alertbot.ts"));
}
