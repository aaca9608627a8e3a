// AlertBot whose server stops answering without closing anything: the server frozen (SIGSTOP, a
// hung process) or the network path black-holed. Its TCP connection stays open, its writes are
// accepted, and nothing comes back. It must notice (keepalive pings), tell the person on call by
// email past the grace as it does when the server is down, and once the path answers again resume
// with nothing lost and its own alert cleared.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CUT_OFF_MAIL,
  emailedAlice,
  linkAlertCleared,
  linkAlertRaised,
  storedLinkAlert,
  withKeepalive,
} from "../helpers/bot-link.js";
import { writeBotConfig } from "../helpers/process-bot.js";
import { aliceOnly, withProcesses, type BotOnRelayOptions } from "../helpers/process-fixture.js";
import { withEjabberd, withProsody, type TestProsody } from "../helpers/prosody.js";
import { writeFlagAgentConfig } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

/** Alice, told by chat and email alike; the link alert after a 3 s grace; a keepalive of 2 s. */
const keptAlive: Omit<BotOnRelayOptions, "prefix"> = {
  config: (t, smtp) => emailedAlice(t, smtp, "3s"),
  edit: withKeepalive,
};

describe("AlertBot whose server stops answering without closing the connection", function () {
  this.timeout(180_000);
  const server = withProsody();
  const fx = withProcesses(server);

  it("notices the silence, emails its own alert past the grace, and clears it once the path answers", async () => {
    const alice = await fx.alice();
    const { t, dir, smtp, relay, bot } = await fx.botOnRelay({ prefix: "mauve-link-frozen-", ...keptAlive });
    assert.equal(bot.withMsg("AlertBot running")[0]?.["xmpp"], "connected");

    relay.pause(); // nothing forwarded either way, nothing closed
    await bot.waitForLog("the bot to notice", (l) => l["msg"] === "disconnected", 90_000);
    await linkAlertRaised(bot, 90_000);
    const mail = await waitFor("the email", () => smtp.mails.find((m) => CUT_OFF_MAIL.test(m.raw)), 60_000);
    assert.deepEqual(mail.to, ["alice@example.org"]);
    assert.equal(bot.hasExited, false, "AlertBot keeps running, and trying");

    relay.resume();
    await linkAlertCleared(bot, 120_000);
    await alice.say(t.prosody.botJid, "show");
    await alice.expect(/xmpp-link|No raised alerts|#\d+/, 30_000);
    assert.equal(storedLinkAlert(t, dir).status, "cleared");
    assert.equal(smtp.mails.filter((m) => CUT_OFF_MAIL.test(m.raw) && !/CLEARED/i.test(m.raw)).length, 1, "told once");
    assert.equal((await bot.stop()).code, 0);
  });

  it("SIGTERM while the path is black-holed, before and after the bot noticed, stops it cleanly", async () => {
    for (const noticedFirst of [false, true]) {
      const { relay: paused, bot } = await fx.botOnRelay({ prefix: "mauve-link-frozen-term-", ...keptAlive });
      paused.pause();
      if (noticedFirst) await bot.waitForLog("the bot to notice", (l) => l["msg"] === "disconnected", 90_000);
      // Generous: a clean stop must not need the SIGKILL that comes after this.
      assert.deepEqual(await bot.stop(60_000), { code: 0, signal: null });
    }
  });

  it("started against a server that accepts the connection and never answers: keeps trying, and says it is cut off", async () => {
    const mark = (await fx.smtp()).mails.length;
    const {
      smtp,
      relay: silent,
      bot,
    } = await fx.botOnRelay({
      prefix: "mauve-link-frozen-start-",
      beforeStart: (relay) => relay.pause(), // every connection accepted, nothing forwarded
      ...keptAlive,
    });
    assert.equal(bot.withMsg("AlertBot running")[0]?.["xmpp"], "not connected yet");
    await waitFor("the email", () => smtp.mails.slice(mark).find((m) => CUT_OFF_MAIL.test(m.raw)), 120_000);
    assert.equal(bot.hasExited, false, "AlertBot keeps running, and trying");
    silent.resume();
    await linkAlertCleared(bot, 150_000);
    assert.equal((await bot.stop()).code, 0);
  });
});

describe("AlertBot on a half-dead link (the server hears nothing from it, it still hears the server)", function () {
  this.timeout(180_000);
  const server = withProsody();
  const fx = withProcesses(server);

  it("drops the link though stanzas keep arriving, reconnects and answers again", async () => {
    const alice = await fx.alice();
    const { t, relay, bot } = await fx.botOnRelay({ prefix: "mauve-link-half-", ...keptAlive });
    assert.equal(bot.withMsg("AlertBot running")[0]?.["xmpp"], "connected");

    relay.dropFromClients();
    // Alice keeps talking to it: the server's side of the link is busy, its answers are lost.
    let talking = true;
    const chatter = (async () => {
      while (talking) {
        await alice.say(t.prosody.botJid, "help").catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    try {
      const gone = await bot.waitForLog("the bot to notice", (l) => l["msg"] === "disconnected", 90_000);
      assert.match(String(gone["reason"]), /keepalive/);
    } finally {
      talking = false;
      await chatter;
    }
    await bot.waitForLog("the reconnection", (l) => l["msg"] === "connected", 90_000);
    await alice.say(t.prosody.botJid, "show");
    await alice.expect(/No raised alerts|#\d+/, 30_000);
    assert.equal((await bot.stop()).code, 0);
  });
});

/** Sends `signal` to the test Prosody (its pid file is in its run directory). */
function signalProsody(t: TestProsody, signal: NodeJS.Signals): void {
  const pid = Number(readFileSync(join(t.prosody.runDir, "prosody.pid"), "utf8").trim());
  assert.ok(Number.isInteger(pid) && pid > 0, "Prosody's pid");
  process.kill(pid, signal);
}

describe("Prosody frozen (SIGSTOP) under AlertBot and an agent running as processes", function () {
  this.timeout(240_000);
  const server = withProsody();
  let frozen = false;
  after(() => {
    if (frozen) signalProsody(server(), "SIGCONT");
  });
  const fx = withProcesses(server);

  it("AlertBot tells by email that it is cut off; after SIGCONT the agent's check reaches alice once and the alert clears", async () => {
    const dir = fx.dir("mauve-prosody-frozen-");
    const smtp = await fx.smtp();
    const t = server();
    const alice = await fx.alice();
    const bot = await fx.startBot(withKeepalive(writeBotConfig(t, dir, emailedAlice(t, smtp, "3s"))));
    const { config: agentConfig, flag } = await writeFlagAgentConfig(t, dir);
    const agent = await fx.startAgent(agentConfig);
    await bot.waitForLog(
      "the agent's first update",
      (l) => l["msg"] === "update applied" && l["source"] === "web1",
      60_000,
    );

    signalProsody(t, "SIGSTOP");
    frozen = true;
    writeFileSync(flag, ""); // a check fails while the server is frozen: the agent must keep it
    await bot.waitForLog("the bot to notice", (l) => l["msg"] === "disconnected", 90_000);
    await waitFor("the email", () => smtp.mails.find((m) => CUT_OFF_MAIL.test(m.raw)), 90_000);
    assert.equal(bot.hasExited, false);
    assert.equal(agent.hasExited, false);

    signalProsody(t, "SIGCONT");
    frozen = false;
    await linkAlertCleared(bot, 120_000);
    const told = (): number =>
      alice.received.filter((m) => /RAISED .*nginx is not answering/.test(m.body)).length +
      smtp.mails.filter((m) => /RAISED/.test(m.raw) && /nginx is not answering/.test(m.raw)).length;
    await waitFor("alice told of the check", () => told() >= 1, 120_000);
    // Whatever was queued meanwhile has arrived once chat answers again.
    await alice.barrier(t.prosody.botJid);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await alice.barrier(t.prosody.botJid);
    assert.equal(told(), 1, "told once");
    assert.equal(
      smtp.mails.filter((m) => CUT_OFF_MAIL.test(m.raw) && !/CLEARED/i.test(m.raw)).length,
      1,
      "cut off told once",
    );
    assert.equal(agent.hasExited, false);
    assert.equal((await bot.stop()).code, 0);
  });
});

describe("AlertBot's keepalive on ejabberd: its pings are answered, the link kept", function () {
  this.timeout(300_000);
  const server = withEjabberd();
  const fx = withProcesses(server);

  it("stays connected over many keepalive rounds on an idle link", async () => {
    const dir = fx.dir("mauve-keepalive-ejabberd-");
    const t = server();
    const bot = await fx.startBot(withKeepalive(writeBotConfig(t, dir, aliceOnly(t))));
    assert.equal(bot.withMsg("AlertBot running")[0]?.["xmpp"], "connected");
    // Ten rounds of 2 s; a ping ejabberd left unanswered would have dropped the link by then.
    const until = Date.now() + 20_000;
    await waitFor("ten keepalive rounds", () => Date.now() >= until, 60_000);
    assert.deepEqual(bot.withMsg("disconnected"), [], bot.stderr.slice(-3000));
    assert.equal((await bot.stop()).code, 0);
  });
});
