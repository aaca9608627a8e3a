// examples/nagios/mauve.cfg's notification commands, run exactly as Nagios runs them (macros
// substituted into the command line, output macros stripped of illegal_macro_output_chars, then
// /bin/sh -c), with mauvesend publishing to a real Prosody and a real AlertBot telling alice.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { REPO_ROOT } from "../helpers/process-child.js";
import { withProsody } from "../helpers/prosody.js";
import { agentYaml, LogLines, PersonClient, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const run = promisify(execFile);

// Nagios' default (sample nagios.cfg, Debian's too): removed from output macros before substitution.
const ILLEGAL_MACRO_OUTPUT_CHARS = "`~$&|'\"<>";
const OUTPUT_MACROS = new Set([
  "SERVICEOUTPUT",
  "HOSTOUTPUT",
  "LONGSERVICEOUTPUT",
  "LONGHOSTOUTPUT",
  "SERVICEPERFDATA",
  "HOSTPERFDATA",
]);

/** The command lines of a Nagios object file, by command_name. */
function commands(file: string): Map<string, string> {
  const text = readFileSync(file, "utf8");
  const out = new Map<string, string>();
  for (const m of text.matchAll(/define command \{\s*command_name\s+(\S+)\s*\n\s*command_line\s+(.+)\n/g))
    out.set(m[1]!, m[2]!.trim());
  return out;
}

/** Nagios' macro expansion: `$NAME$` → its value ($$ is a dollar), output macros cleaned first. */
function expand(commandLine: string, macros: Readonly<Record<string, string>>): string {
  return commandLine.replace(/\$([A-Z0-9_]*)\$/g, (whole, name: string) => {
    if (name === "") return "$";
    const value = macros[name];
    if (value === undefined) return whole;
    return OUTPUT_MACROS.has(name) ? [...value].filter((c) => !ILLEGAL_MACRO_OUTPUT_CHARS.includes(c)).join("") : value;
  });
}

describe("nagios: examples/nagios/mauve.cfg forwards notifications to a real AlertBot", function () {
  this.timeout(120_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot;
  let alice: PersonClient;
  let user: Record<string, string>;
  const cfg = commands(join(REPO_ROOT, "examples/nagios/mauve.cfg"));

  /** Runs a command of the file as Nagios does for a notification with these macros. */
  async function notify(command: string, macros: Record<string, string>): Promise<void> {
    const line = cfg.get(command);
    assert.ok(line, `${command} is defined`);
    await run("/bin/sh", ["-c", expand(line, { ...user, ...macros })], {
      cwd: REPO_ROOT,
      env: { PATH: process.env["PATH"] ?? "" },
    });
  }

  before(async () => {
    dir = tempDir("mauve-nagios-");
    const t = server();
    await t.prosody.register("nagios", "pw-nagios");
    const account = join(dir, "nagios.yaml");
    writeFileSync(account, agentYaml(t, dir, "nagios"));
    // $USER20$: mauvesend as installed; here the repository's, run by tsx.
    const mauvesend = join(dir, "mauvesend");
    writeFileSync(
      mauvesend,
      `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(REPO_ROOT, "agents/mauvesend.ts")}" "$@"\n`,
    );
    chmodSync(mauvesend, 0o755);
    user = { USER20: mauvesend, USER21: account };
    alice = await PersonClient.login(t, "alice");
    bot = await startBot(t, dir, ["alice"], new LogLines().logger);
  });

  after(async () => {
    await bot?.stop();
    await alice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("service PROBLEM raises (hostile output harmless), ACKNOWLEDGEMENT is ignored, RECOVERY clears", async () => {
    const service = { HOSTNAME: "web3", HOSTALIAS: "web3 (front end)", SERVICEDESC: "Disk Space" };
    await notify("notify-service-by-mauve", {
      ...service,
      NOTIFICATIONTYPE: "PROBLEM",
      SERVICESTATE: "CRITICAL",
      SERVICEOUTPUT: 'DISK CRITICAL - free space: / 3% ("x" $HOME `id` | rm -rf / & <b>)',
    });
    const raised = await alice.expect(/^RAISED #\d+ web3 Disk Space/, 30_000);
    const alert = bot.store.alerts.find("web3", "Disk Space")!;
    assert.deepEqual(
      [alert.status, alert.subject, alert.summary],
      ["raised", "web3 (front end)", "CRITICAL: DISK CRITICAL - free space: / 3% (x HOME id  rm -rf /  b)"],
    );
    assert.match(raised, /CRITICAL: DISK CRITICAL/);

    const historyBefore = bot.store.alerts.history(alert.shortId).length;
    await notify("notify-service-by-mauve", {
      ...service,
      NOTIFICATIONTYPE: "ACKNOWLEDGEMENT",
      SERVICESTATE: "CRITICAL",
      SERVICEOUTPUT: "DISK CRITICAL",
    });
    await alice.barrier(server().prosody.botJid);
    assert.equal(bot.store.alerts.history(alert.shortId).length, historyBefore, "the acknowledgement sent nothing");

    await notify("notify-service-by-mauve", {
      ...service,
      NOTIFICATIONTYPE: "RECOVERY",
      SERVICESTATE: "OK",
      SERVICEOUTPUT: "DISK OK - free space: / 40%",
    });
    await alice.expect(new RegExp(`^CLEARED #${alert.shortId} web3`), 30_000);
    assert.equal(bot.store.alerts.find("web3", "Disk Space")?.status, "cleared");
  });

  it("host PROBLEM raises the host alert, RECOVERY clears it", async () => {
    const host = { HOSTNAME: "db2", HOSTALIAS: "db2" };
    await notify("notify-host-by-mauve", {
      ...host,
      NOTIFICATIONTYPE: "PROBLEM",
      HOSTSTATE: "DOWN",
      HOSTOUTPUT: "PING CRITICAL - Packet loss = 100%",
    });
    await alice.expect(/^RAISED #\d+ db2 host/, 30_000);
    assert.equal(bot.store.alerts.find("db2", "host")?.summary, "DOWN: PING CRITICAL - Packet loss = 100%");
    await notify("notify-host-by-mauve", {
      ...host,
      NOTIFICATIONTYPE: "RECOVERY",
      HOSTSTATE: "UP",
      HOSTOUTPUT: "PING OK - Packet loss = 0%",
    });
    await waitFor("the host alert cleared", () => bot.store.alerts.find("db2", "host")?.status === "cleared", 30_000);
  });
});
