// Checks end to end: real plugin scripts run by a real agent, their verdicts stored by a real
// AlertBot through a real Prosody.
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runAgent, type RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("agent: checks against a real Prosody and AlertBot", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withProsody();
  const plugin = (name: string, body: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  before(async () => {
    dir = tempDir("mauve-agent-checks-");
    const t = server();
    const p = t.prosody;
    bot = await startBot(t, dir, ["alice"], new LogLines().logger);
    await p.register("web6", "pw-web6");
    writeFileSync(join(dir, "disk.code"), "2");
    // The disk plugin exits with whatever disk.code says, like a real one reading the filesystem.
    const disk = plugin(
      "check_disk",
      `code=$(cat ${dir}/disk.code)\ncase $code in 0) echo "DISK OK - / 50% | /=50%";; *) echo "DISK CRITICAL - / 97% | /=97%"; echo "/var/log 40G";; esac\nexit $code`,
    );
    const hang = plugin("check_hang", `echo $$ > ${dir}/hang.pid\nsleep 1000`);
    const config = loadAgentConfig(
      `
xmpp:
  jid: web6@${p.domain}
  password: pw-web6
  service: xmpp://127.0.0.1:${p.c2sPort}
  pubsub: ${p.pubsubJid}
  bot: ${p.botJid}
state_dir: ${join(dir, "state")}
heartbeat: false
checks:
  - id: disk
    command: ${disk}
    interval: 1s
    importance: { critical: 90 }
  - id: hang
    command: [${hang}]
    interval: 1h
    timeout: 2s
`,
      { file: join(dir, "agent.yaml") },
    );
    agent = await runAgent(config, systemClock, new LogLines().logger);
  });

  it("raises a failing check with its summary, detail and the importance of its status", async () => {
    const alert = await waitFor("disk raised at the bot", () => bot!.store.alerts.find("web6", "disk"));
    assert.deepEqual([alert.status, alert.summary, alert.importance], ["raised", "DISK CRITICAL - / 97%", 90]);
    assert.match(alert.detail, /\/var\/log 40G/);
  });

  it("clears it when the plugin says OK", async () => {
    writeFileSync(join(dir, "disk.code"), "0");
    const alert = await waitFor(
      "disk cleared",
      () => bot!.store.alerts.find("web6", "disk")?.status === "cleared" && bot!.store.alerts.find("web6", "disk"),
    );
    assert.equal(alert.summary, "DISK OK - / 50%");
  });

  it("kills a hanging check at its timeout and raises it as CRITICAL", async () => {
    const alert = await waitFor("hang raised", () => bot!.store.alerts.find("web6", "hang"));
    assert.equal(alert.summary, "check timed out after 2s");
    assert.equal(alert.importance, 80);
    const pid = Number(readFileSync(join(dir, "hang.pid"), "utf8"));
    await waitFor(
      "the hanging plugin to be gone",
      () => !existsSync(`/proc/${pid}`) || /\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8")),
    );
  });
});
