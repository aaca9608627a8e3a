// Calls into the running private ejabberd, the way `ejabberdctl` would, but without Debian's
// ejabberdctl (it reads /etc/ejabberd/ejabberdctl.cfg and the system cookie): a short-lived hidden
// Erlang node that evaluates a script against the server's node and ends.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { distArgs, erlEnvironment, isLongName, nameArgs } from "./erl.js";
import type { Layout } from "./erl.js";

/** How to reach the running server's Erlang node. */
export interface EjabberdNode {
  readonly paths: Layout;
  readonly nodeName: string;
  readonly distPort: number;
}

/** What a control script printed and how it ended. */
export interface CtlResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs `script` (Erlang expressions, `-eval`) on a hidden node that shares the server's cookie
 * (its HOME) and reaches the server on its distribution port. The script reads the server's node
 * name as its first plain argument, `plainArgs` after it; `input` goes to its stdin (secrets
 * never go in argv, which any local user can read).
 */
export function runCtl(
  node: EjabberdNode,
  script: string,
  plainArgs: readonly string[],
  input = "",
): Promise<CtlResult> {
  const suffix = randomBytes(4).toString("hex");
  // Same name kind as the server's; it never listens, so its own address matters only as a name.
  const ctlName = isLongName(node.nodeName) ? `mauvectl-${suffix}@127.0.0.1` : `mauvectl-${suffix}@localhost`;
  const args = [
    ...nameArgs(ctlName),
    "-hidden",
    "-noshell",
    ...distArgs(node.distPort),
    "-dist_listen",
    "false",
    "-eval",
    script,
    "-extra",
    node.nodeName,
    ...plainArgs,
  ];
  return new Promise((done, fail) => {
    const child = spawn("erl", args, { env: erlEnvironment(node.paths) });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", fail);
    child.once("close", (code) => done({ code, output: output.trim() }));
    child.stdin.end(input);
  });
}
