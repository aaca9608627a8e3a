// Accounts on the private Prosody, through prosodyctl with the password on stdin (never in argv).
import { spawn } from "node:child_process";
import { dirname } from "node:path";

/**
 * Creates `jid` with `password`, or resets the password if the account exists (idempotent).
 * `adduser`/`passwd` read the password twice from stdin; `register` would need it in argv,
 * where every local user can see it.
 */
export async function registerAccount(configFile: string, jid: string, password: string): Promise<void> {
  if (!/^[^@/\s"&'<>:]+@[a-z0-9.-]+$/.test(jid)) throw new Error(`invalid account JID: ${JSON.stringify(jid)}`);
  if (password === "" || /[\r\n]/.test(password)) throw new Error("password must be one non-empty line");
  const input = `${password}\n${password}\n`;
  const added = await prosodyctl(configFile, ["adduser", jid], input);
  if (added.code === 0) return;
  if (!added.output.includes("already exists")) throw new Error(`prosodyctl adduser ${jid} failed: ${added.output}`);
  const reset = await prosodyctl(configFile, ["passwd", jid], input);
  if (reset.code !== 0) throw new Error(`prosodyctl passwd ${jid} failed: ${reset.output}`);
}

function prosodyctl(
  configFile: string,
  args: string[],
  input: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const ctl = spawn("prosodyctl", ["--config", configFile, ...args], { cwd: dirname(configFile) });
    let output = "";
    ctl.stdout.on("data", (d: Buffer) => (output += d.toString()));
    ctl.stderr.on("data", (d: Buffer) => (output += d.toString()));
    ctl.once("error", fail);
    ctl.once("close", (code) => done({ code, output: output.trim() }));
    ctl.stdin.end(input);
  });
}
