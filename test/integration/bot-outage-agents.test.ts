// AlertBot's own outage is not its agents' silence. The installed AlertBot and two agents run as
// real processes on a real Prosody; AlertBot is cut off (its link, its process, the server) for
// longer than the agents' heartbeat timeout and the host-down grace. The agent that stayed up and
// kept publishing must page nobody; the one that really died meanwhile must still be raised. The
// same with AlertBot's database unwritable for as long.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentReturnGraceMs } from "../../src/bot/hearing.js";
import { encodeUpdate } from "../../src/codec/protobuf.js";
import { Store } from "../../src/store/store.js";
import { sendUdp } from "../helpers/mauve-udp.js";
import type { ChildRun } from "../helpers/process-child.js";
import { writeBotConfig } from "../helpers/process-bot.js";
import { withProcesses, type ProcessFixture } from "../helpers/process-fixture.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { fillDisk, withSmallDisk } from "../helpers/small-disk.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { agentYaml } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { alert, update } from "../helpers/updates.js";
import { waitFor } from "../helpers/wait-for.js";

// The agents' heartbeat (its shortest): their heartbeat alert raises after three missed periods.
const HEARTBEAT = "10s";
const HEARTBEAT_TIMEOUT_MS = 30_000;
// AlertBot away this long: past the heartbeat timeout and the host-down grace (10 s), with room to spare.
const OUTAGE_MS = HEARTBEAT_TIMEOUT_MS + 5_000;
// After AlertBot could hear again, an agent gets the grace, at least the agents' reconnection backoff
// (hearing.ts): the dead one is raised that long after AlertBot is back.
const RETURN_MS = agentReturnGraceMs(10_000);

/** Alice, told by email only (chat is cut with the bot); host-down after `graceS` (10 s). */
function botBody(t: TestProsody, smtp: SmtpSink, graceS = 10): string {
  return `people:
  - name: alice
    jid: alice@${t.prosody.domain}
    email: alice@example.org
    notify: { urgent: [email], normal: [email], low: [email] }
host_down: { grace: ${graceS}s }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
`;
}

/** An agent for `source`, with a heartbeat or without (then only its presence tells it is gone). */
async function startAgent(
  fx: ProcessFixture,
  t: TestProsody,
  dir: string,
  source: string,
  heartbeat: boolean,
): Promise<ChildRun> {
  await t.prosody.register(source, `pw-${source}`);
  const path = join(dir, `${source}.yaml`);
  const yaml = agentYaml(t, dir, source, `log:\n  level: debug\n`);
  writeFileSync(path, heartbeat ? yaml.replace(/^heartbeat: false$/m, `heartbeat: { interval: ${HEARTBEAT} }`) : yaml);
  return fx.startAgent(path);
}

/** The subject lines of the mails alice got, in order. */
function subjects(smtp: SmtpSink): string[] {
  return smtp.mails.map((m) => /^Subject: (.*)$/im.exec(m.raw)?.[1] ?? "?");
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The kinds of history (raised, cleared) the alert `alertId` of `source` went through. */
function historyOf(dir: string, source: string, alertId: string): string[] {
  const store = Store.open(join(dir, "alertbot.sqlite"));
  try {
    const alert = store.alerts.find(source, alertId);
    if (!alert) return [];
    return store.alerts
      .history(alert.shortId)
      .map((h) => h.kind)
      .filter((k) => k === "raised" || k === "cleared");
  } finally {
    store.close();
  }
}

interface Run {
  t: TestProsody;
  dir: string;
  smtp: SmtpSink;
  bot: ChildRun;
  /** Stays up all along. */
  up: ChildRun;
  /** Dies during the bot's outage. */
  dies: ChildRun;
  /** Starts AlertBot again with `config`, stopped after the test. */
  startBot: (config: string) => Promise<ChildRun>;
  /** How long the outage lasts: past the heartbeat timeout and the host-down grace. */
  outageMs: number;
}

function outageSuite(
  title: string,
  upSource: string,
  diesSource: string,
  outage: (run: Run, relay: TcpRelay) => Promise<ChildRun>,
  graceS = 10,
): void {
  describe(title, function () {
    this.timeout(180_000 + 2 * agentReturnGraceMs(graceS * 1000));
    const server = withProsody();
    const fx = withProcesses(server);

    it("pages nobody about the agent that stayed up, and still raises the one that died meanwhile", async () => {
      const t = server();
      const dir = fx.dir("mauve-bot-outage-");
      const smtp = await fx.smtp();
      const relay = await fx.relay();
      const config = writeBotConfig(t, dir, botBody(t, smtp, graceS), "alertbot.yaml", relay.port);
      const bot = await fx.startBot(config);
      assert.equal(
        bot.withMsg("host_down.grace is shorter than the agents' reconnection backoff").length,
        graceS * 1000 < RETURN_MS ? 1 : 0,
        "a grace shorter than the agents' backoff is warned of, once",
      );
      const up = await startAgent(fx, t, dir, upSource, true);
      const dies = await startAgent(fx, t, dir, diesSource, false);
      for (const source of [upSource, diesSource])
        await bot.waitForLog(
          `${source}'s heartbeat`,
          (l) => l["msg"] === "update applied" && l["source"] === source,
          30_000,
        );

      const outageMs = Math.max(HEARTBEAT_TIMEOUT_MS, graceS * 1000) + 5_000;
      const run: Run = { t, dir, smtp, bot, up, dies, startBot: (path) => fx.startBot(path), outageMs };
      const botNow = await outage(run, relay);

      // The dead agent is raised (host down or its heartbeat) within its grace after the bot is back.
      const deadMail = await waitFor(
        `a page about ${diesSource}`,
        () => smtp.mails.find((m) => new RegExp(`RAISED ${diesSource} `).test(m.raw)),
        60_000 + agentReturnGraceMs(graceS * 1000),
      );
      assert.deepEqual(deadMail.to, ["alice@example.org"]);
      // A held heartbeat of the agent that stayed up would fall due with the dead one's page: a few
      // seconds more show it.
      await sleep(5_000);
      const falsePages = subjects(smtp).filter((s) => s.includes(` ${upSource} `));
      assert.deepEqual(
        falsePages,
        [],
        `${upSource} stayed up and kept publishing: nobody is paged about it (mails: ${subjects(smtp).join(" | ")})`,
      );
      assert.deepEqual(
        historyOf(dir, upSource, "heartbeat").filter((k) => k === "raised"),
        [],
      );
      assert.deepEqual(historyOf(dir, upSource, "mauve-host-down"), []);
      // The outage did last past the heartbeat of the one that stayed up: the bot, running, held it.
      if (botNow === bot)
        assert.ok(
          bot.logs.some((l) => l["msg"] === "scheduled raise held: AlertBot could not hear its sender"),
          "a heartbeat fell due during the outage and was held",
        );
    });
  });
}

/** Cuts AlertBot's link for the outage, one agent killed meanwhile; `beforeRestore` just before it is back. */
async function cutLink(run: Run, relay: TcpRelay, beforeRestore = (): void => {}): Promise<ChildRun> {
  relay.cut();
  await run.bot.waitForLog("the bot to be cut off", (l) => l["msg"] === "disconnected");
  await sleep(1_000);
  await run.dies.crash();
  await sleep(run.outageMs);
  const mark = run.bot.logs.length;
  beforeRestore();
  relay.restore();
  await run.bot.waitForLog(
    "the bot to reconnect",
    (l) => run.bot.logs.indexOf(l) >= mark && l["msg"] === "connected",
    90_000,
  );
  return run.bot;
}

outageSuite("AlertBot's link cut for longer than the heartbeat timeout", "web1", "web2", cutLink);

outageSuite(
  "AlertBot stopped for longer than the heartbeat timeout, then started again",
  "web3",
  "web4",
  async (run) => {
    assert.equal((await run.bot.stop()).code, 0);
    await sleep(1_000);
    await run.dies.crash();
    await sleep(run.outageMs);
    const config = join(run.dir, "alertbot.yaml");
    return run.startBot(config);
  },
);

// A VM paused under AlertBot (a snapshot, a live migration), or SIGSTOP: its links stay up, so
// nothing but the time tells it that it heard nobody. Its timers fired before the beats waiting in
// its socket were read, and the agent that stayed up was paged, then cleared (freeze-watch.ts).
// Both agents heartbeat here: one killed meanwhile leaves no "unavailable" for a while (Prosody
// keeps its session for stream resumption), so its heartbeat raises it, or its host-down does,
// from the pings it leaves unanswered (agent-probe.ts), whichever comes first: the other is held.
describe("AlertBot's process frozen (a VM paused) for longer than the heartbeat timeout", function () {
  this.timeout(180_000 + RETURN_MS);
  const server = withProsody();
  const fx = withProcesses(server);

  it("pages nobody about the agent that stayed up, and still raises the one that died meanwhile", async () => {
    const t = server();
    const dir = fx.dir("mauve-bot-frozen-");
    const smtp = await fx.smtp();
    const bot = await fx.startBot(writeBotConfig(t, dir, botBody(t, smtp)));
    await startAgent(fx, t, dir, "web11", true); // stays up all along
    const dies = await startAgent(fx, t, dir, "web12", true);
    for (const source of ["web11", "web12"])
      await bot.waitForLog(`${source}'s heartbeat`, (l) => l["msg"] === "update applied" && l["source"] === source);

    bot.signal("SIGSTOP");
    try {
      await sleep(1_000);
      await dies.crash();
      await sleep(OUTAGE_MS);
    } finally {
      bot.signal("SIGCONT");
    }
    const deadMail = await waitFor(
      "a page about web12",
      () => smtp.mails.find((m) => /RAISED web12 (heartbeat|mauve-host-down)/.test(m.raw)),
      60_000 + RETURN_MS,
    );
    assert.deepEqual(deadMail.to, ["alice@example.org"]);
    await sleep(5_000);
    assert.deepEqual(
      subjects(smtp).filter((s) => s.includes(" web11 ")),
      [],
      `web11 stayed up and kept publishing: nobody is paged about it (mails: ${subjects(smtp).join(" | ")})`,
    );
    assert.deepEqual(
      historyOf(dir, "web11", "heartbeat").filter((k) => k === "raised"),
      [],
    );
    assert.equal(bot.withMsg("AlertBot did not run for a while: every sender gets a fresh grace").length, 1);
  });
});

// Reading every agent's node again after the link is back may take longer than the grace (a
// thousand agents, a busy server): that is AlertBot's delay, not the agents' silence. Here the
// first pubsub request after the reconnection waits 12 s (the grace is 10 s; a request times out
// after 15 s). The agents' return grace after a reconnection (AGENT_RETURN_MS) covers so short a
// delay on its own now: this suite pins that a slow read pages nobody, no longer the order.
outageSuite(
  "AlertBot's link cut for longer than the heartbeat timeout, its agents' nodes read again slower than the grace",
  "web9",
  "web10",
  (run, relay) => cutLink(run, relay, () => relay.delayClientAt("http://jabber.org/protocol/pubsub", 12_000)),
);

// At a server restart the agents come back on their reconnection backoff, up to a minute after the
// server (and AlertBot) is back. With the 10 s grace the agent that stayed up was paged host-down
// whenever its next try fell late (seen in CI under load, at random). Here it falls late for sure:
// the agent is frozen through the outage and thawed well past the grace after AlertBot is back,
// within the backoff's last step.
const LATE_RETURN_MS = 40_000;

outageSuite(
  "Prosody restarted, down for longer than the heartbeat timeout and the grace",
  "web5",
  "web6",
  async (run) => {
    await run.t.prosody.stop();
    await run.bot.waitForLog("the bot to be cut off", (l) => l["msg"] === "disconnected");
    await sleep(1_000);
    await run.dies.crash();
    run.up.signal("SIGSTOP");
    try {
      await sleep(run.outageMs);
      const mark = run.bot.logs.length;
      await run.t.prosody.start();
      await run.bot.waitForLog(
        "the bot to reconnect",
        (l) => run.bot.logs.indexOf(l) >= mark && l["msg"] === "connected",
        90_000,
      );
      await sleep(LATE_RETURN_MS);
    } finally {
      run.up.signal("SIGCONT");
    }
    await run.up.waitForLog(
      "the late agent to be back",
      (l) => l["msg"] === "reconnected; republishing full state after the backlog",
      RETURN_MS - LATE_RETURN_MS,
    );
    return run.bot;
  },
);

// Its database unwritable (the disk full) AlertBot keeps nothing it hears: the agents' heartbeats
// and an agent's "unavailable" are refused as surely as if it had not been there.
describe("AlertBot's disk full for longer than the heartbeat timeout", function () {
  this.timeout(180_000 + RETURN_MS);
  const server = withProsody();
  const disk = withSmallDisk("mauve-bot-outage-disk-", "4m");
  const fx = withProcesses(server);
  after(() => disk.release());

  it("pages nobody about the agent that stayed up, and still raises the one that died meanwhile", async () => {
    const t = server();
    const dir = fx.dir("mauve-bot-outage-");
    const smtp = await fx.smtp();
    // The database on the small disk; the agents' state elsewhere.
    const config = writeBotConfig(t, disk.data, botBody(t, smtp));
    const bot = await fx.startBot(config);
    await startAgent(fx, t, dir, "web7", true); // stays up all along
    const dies = await startAgent(fx, t, dir, "web8", false);
    for (const source of ["web7", "web8"])
      await bot.waitForLog(
        `${source}'s update`,
        (l) => l["msg"] === "update applied" && l["source"] === source,
        30_000,
      );

    const filler = fillDisk(disk.data);
    await bot.waitForLog(
      "the database to fail",
      (l) => typeof l["msg"] === "string" && l["msg"].startsWith("AlertBot cannot write its database"),
      60_000,
    );
    await dies.crash();
    await sleep(OUTAGE_MS);
    rmSync(filler);
    await bot.waitForLog(
      "the database to be written again",
      (l) => l["msg"] === "AlertBot can write its database again; reading again what was refused",
      60_000,
    );

    const deadMail = await waitFor(
      "a page about web8",
      () => smtp.mails.find((m) => /RAISED web8 /.test(m.raw)),
      60_000 + RETURN_MS,
    );
    assert.deepEqual(deadMail.to, ["alice@example.org"]);
    await sleep(5_000);
    const falsePages = subjects(smtp).filter((s) => s.includes(" web7 "));
    assert.deepEqual(
      falsePages,
      [],
      `web7 stayed up and kept publishing: nobody is paged about it (mails: ${subjects(smtp).join(" | ")})`,
    );
  });
});

// Mauve's UDP senders (the Ruby mauvesend from cron) say nothing AlertBot can read again later:
// what they sent while it was stopped is lost. A heartbeat timeout longer than the host-down grace
// was paged after every restart of AlertBot that lasted past it, the sender alive all along.
describe("Mauve UDP senders, AlertBot stopped for longer than their heartbeat timeout (longer than the grace)", function () {
  this.timeout(180_000);
  const server = withProsody();
  const fx = withProcesses(server);
  const UDP_TIMEOUT_S = 30; // the host-down grace is 10 s

  const listeningPort = async (bot: ChildRun): Promise<number> => {
    const line = await bot.waitForLog(
      "the bot to listen on UDP",
      (l) => l["msg"] === "listening for Mauve UDP updates",
    );
    return Number(line["port"]);
  };
  const heartbeat = (port: number, source: string): Promise<void> => {
    const nowS = Math.floor(Date.now() / 1000);
    const hb = alert("heartbeat", {
      clearTimeS: nowS,
      raiseTimeS: nowS + UDP_TIMEOUT_S,
      summary: `${source} is quiet`,
    });
    return sendUdp(encodeUpdate(update(source, [hb], { transmissionTimeS: nowS })), port);
  };

  it("pages nobody about the sender heard within its timeout after the start, and raises the silent one", async () => {
    const t = server();
    const dir = fx.dir("mauve-bot-outage-udp-");
    const smtp = await fx.smtp();
    const udp = `udp:\n  listen: "127.0.0.1:0"\n  allow: ["127.0.0.1/32"]\n`;
    const config = writeBotConfig(t, dir, botBody(t, smtp) + udp);
    const bot = await fx.startBot(config);
    let port = await listeningPort(bot);
    for (const source of ["cron1", "cron2"]) {
      await heartbeat(port, source);
      await bot.waitForLog(`${source}'s heartbeat`, (l) => l["msg"] === "update applied" && l["source"] === source);
    }

    assert.equal((await bot.stop()).code, 0);
    await sleep(UDP_TIMEOUT_S * 1000 + 5_000);
    const again = await fx.startBot(config);
    port = await listeningPort(again);
    // Past the grace, within cron1's timeout from the start: its next heartbeat (cron2's never comes).
    await sleep(15_000);
    await heartbeat(port, "cron1");

    const silentMail = await waitFor(
      "a page about cron2",
      () => smtp.mails.find((m) => /RAISED cron2 /.test(m.raw)),
      60_000,
    );
    assert.deepEqual(silentMail.to, ["alice@example.org"]);
    assert.deepEqual(
      subjects(smtp).filter((s) => s.includes(" cron1 ")),
      [],
      `cron1 was heard within its timeout: nobody is paged about it (mails: ${subjects(smtp).join(" | ")})`,
    );
    assert.deepEqual(historyOf(dir, "cron1", "heartbeat"), [], "never raised");
    assert.ok(
      again.logs.some(
        (l) => l["msg"] === "scheduled raise held: AlertBot could not hear its sender" && l["source"] === "cron1",
      ),
      "cron1's heartbeat fell due while AlertBot was stopped and was held at the start",
    );
  });
});
