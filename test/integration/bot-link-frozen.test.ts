// AlertBot whose server stops answering without closing anything: the server frozen (SIGSTOP, a
// hung process) or the network path black-holed. Its TCP connection stays open, its writes are
// accepted, and nothing comes back. It must notice (keepalive pings), tell the person on call by
// email past the grace as it does when the server is down, and once the path answers again resume
// with nothing lost and its own alert cleared.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LINK_DOWN_ALERT_ID } from "../../src/bot/link-down.js";
import { Store } from "../../src/store/store.js";
import { BOT_SECRET_ENV, startAgentProcess, startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { ChildRun } from "../helpers/process-child.js";
import { withEjabberd, withProsody, type TestProsody } from "../helpers/prosody.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { PersonClient, tempDir, writeFlagAgentConfig } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait-for.js";

/** Alice, told by chat and email alike; the link alert after a 3 s grace. */
function config(t: TestProsody, smtp: SmtpSink): string {
  return `people:
  - name: alice
    jid: alice@${t.prosody.domain}
    email: alice@example.org
    notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] }
host_down: { grace: 3s }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
`;
}

/** Adds `xmpp.keepalive: 2s` to the config file at `path`: a dead link noticed within seconds. */
function withKeepalive(path: string): string {
  const text = readFileSync(path, "utf8");
  assert.match(text, /^ {2}pubsub: .*$/m);
  writeFileSync(path, text.replace(/^( {2}pubsub: .*)$/m, "$1\n  keepalive: 2s"));
  return path;
}

describe("AlertBot whose server stops answering without closing the connection", function () {
  this.timeout(180_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: ChildRun | undefined;
  let smtp: SmtpSink | undefined;
  let relay: TcpRelay | undefined;
  let alice: PersonClient | undefined;

  after(async () => {
    await alice?.stop();
    await relay?.close();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-6000)}\n---\n`);
    await bot?.stop();
    bot = undefined;
  });

  it("notices the silence, emails its own alert past the grace, and clears it once the path answers", async () => {
    dir = tempDir("mauve-link-frozen-");
    smtp = await SmtpSink.start();
    const t = server();
    alice = await PersonClient.login(t, "alice");
    relay = await TcpRelay.start(t.prosody.componentPort);
    const path = withKeepalive(writeBotConfig(t, dir, config(t, smtp), "alertbot.yaml", relay.port));
    bot = await startBotProcess(t, path);
    const running = bot;
    assert.equal(running.withMsg("AlertBot running")[0]?.["xmpp"], "connected");

    relay.pause(); // nothing forwarded either way, nothing closed
    await running.waitForLog("the bot to notice", (l) => l["msg"] === "disconnected", 90_000);
    await running.waitForLog(
      "its own alert",
      (l) => l["msg"] === "cut off from the XMPP server past the grace: AlertBot's own alert raised",
      90_000,
    );
    const mail = await waitFor(
      "the email",
      () => smtp!.mails.find((m) => /cut off from its XMPP server/.test(m.raw)),
      60_000,
    );
    assert.deepEqual(mail.to, ["alice@example.org"]);
    assert.equal(running.hasExited, false, "AlertBot keeps running, and trying");

    relay.resume();
    await running.waitForLog(
      "the alert cleared",
      (l) => l["msg"] === "connected to the XMPP server again: AlertBot's own alert cleared",
      120_000,
    );
    await alice.say(t.prosody.botJid, "show");
    await alice.expect(/xmpp-link|No raised alerts|#\d+/, 30_000);
    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      const alert = store.alerts.find(t.prosody.botJid, LINK_DOWN_ALERT_ID);
      assert.equal(alert?.status, "cleared");
    } finally {
      store.close();
    }
    assert.equal(
      smtp.mails.filter((m) => /cut off from its XMPP server/.test(m.raw) && !/CLEARED/i.test(m.raw)).length,
      1,
      "told once",
    );
    assert.equal((await running.stop()).code, 0);
    bot = undefined;
  });

  it("SIGTERM while the path is black-holed, before and after the bot noticed, stops it cleanly", async () => {
    const t = server();
    smtp ??= await SmtpSink.start();
    for (const noticedFirst of [false, true]) {
      const own = tempDir("mauve-link-frozen-term-");
      const paused = await TcpRelay.start(t.prosody.componentPort);
      const path = withKeepalive(writeBotConfig(t, own, config(t, smtp), "alertbot.yaml", paused.port));
      try {
        const child = ChildRun.start(
          "bots/alertbot.ts",
          ["--config", path],
          { [BOT_SECRET_ENV]: t.botSecret },
          "alertbot",
        );
        bot = child;
        await child.waitForLog("AlertBot running", (l) => l["msg"] === "AlertBot running", 60_000);
        paused.pause();
        if (noticedFirst) await child.waitForLog("the bot to notice", (l) => l["msg"] === "disconnected", 90_000);
        // Generous: a clean stop must not need the SIGKILL that comes after this.
        assert.deepEqual(await child.stop(60_000), { code: 0, signal: null });
        bot = undefined;
      } finally {
        await paused.close();
        rmSync(own, { recursive: true, force: true });
      }
    }
  });

  it("started against a server that accepts the connection and never answers: keeps trying, and says it is cut off", async () => {
    const t = server();
    smtp ??= await SmtpSink.start();
    const own = tempDir("mauve-link-frozen-start-");
    const silent = await TcpRelay.start(t.prosody.componentPort);
    silent.pause(); // every connection accepted, nothing forwarded
    try {
      const path = withKeepalive(writeBotConfig(t, own, config(t, smtp), "alertbot.yaml", silent.port));
      const mark = smtp.mails.length;
      const child = await startBotProcess(t, path);
      bot = child;
      assert.equal(child.withMsg("AlertBot running")[0]?.["xmpp"], "not connected yet");
      await waitFor(
        "the email",
        () => smtp!.mails.slice(mark).find((m) => /cut off from its XMPP server/.test(m.raw)),
        120_000,
      );
      assert.equal(child.hasExited, false, "AlertBot keeps running, and trying");
      silent.resume();
      await child.waitForLog(
        "the alert cleared",
        (l) => l["msg"] === "connected to the XMPP server again: AlertBot's own alert cleared",
        150_000,
      );
      assert.equal((await child.stop()).code, 0);
      bot = undefined;
    } finally {
      await silent.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe("AlertBot on a half-dead link (the server hears nothing from it, it still hears the server)", function () {
  this.timeout(180_000);
  const server = withProsody();
  let dir: string | undefined;
  let bot: ChildRun | undefined;
  let smtp: SmtpSink | undefined;
  let relay: TcpRelay | undefined;
  let alice: PersonClient | undefined;

  after(async () => {
    await alice?.stop();
    await relay?.close();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-6000)}\n---\n`);
    await bot?.stop();
    bot = undefined;
  });

  it("drops the link though stanzas keep arriving, reconnects and answers again", async () => {
    dir = tempDir("mauve-link-half-");
    smtp = await SmtpSink.start();
    const t = server();
    alice = await PersonClient.login(t, "alice");
    relay = await TcpRelay.start(t.prosody.componentPort);
    const path = withKeepalive(writeBotConfig(t, dir, config(t, smtp), "alertbot.yaml", relay.port));
    bot = await startBotProcess(t, path);
    const running = bot;
    assert.equal(running.withMsg("AlertBot running")[0]?.["xmpp"], "connected");

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
      const gone = await running.waitForLog("the bot to notice", (l) => l["msg"] === "disconnected", 90_000);
      assert.match(String(gone["reason"]), /keepalive/);
    } finally {
      talking = false;
      await chatter;
    }
    await running.waitForLog("the reconnection", (l) => l["msg"] === "connected", 90_000);
    await alice.say(t.prosody.botJid, "show");
    await alice.expect(/No raised alerts|#\d+/, 30_000);
    assert.equal((await running.stop()).code, 0);
    bot = undefined;
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
  let dir: string | undefined;
  let bot: ChildRun | undefined;
  let agent: ChildRun | undefined;
  let smtp: SmtpSink | undefined;
  let alice: PersonClient | undefined;
  let frozen = false;

  after(async () => {
    if (frozen) signalProsody(server(), "SIGCONT");
    await alice?.stop();
    await agent?.stop();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed")
      for (const p of [bot, agent])
        if (p) process.stderr.write(`\n--- ${p.label} stderr (tail) ---\n${p.stderr.slice(-6000)}\n---\n`);
    await bot?.stop();
    bot = undefined;
  });

  it("AlertBot tells by email that it is cut off; after SIGCONT the agent's check reaches alice once and the alert clears", async () => {
    dir = tempDir("mauve-prosody-frozen-");
    smtp = await SmtpSink.start();
    const t = server();
    alice = await PersonClient.login(t, "alice");
    bot = await startBotProcess(t, withKeepalive(writeBotConfig(t, dir, config(t, smtp))));
    const running = bot;
    const { config: agentConfig, flag } = await writeFlagAgentConfig(t, dir);
    agent = await startAgentProcess(agentConfig);
    await running.waitForLog(
      "the agent's first update",
      (l) => l["msg"] === "update applied" && l["source"] === "web1",
      60_000,
    );

    signalProsody(t, "SIGSTOP");
    frozen = true;
    writeFileSync(flag, ""); // a check fails while the server is frozen: the agent must keep it
    await running.waitForLog("the bot to notice", (l) => l["msg"] === "disconnected", 90_000);
    await waitFor("the email", () => smtp!.mails.find((m) => /cut off from its XMPP server/.test(m.raw)), 90_000);
    assert.equal(running.hasExited, false);
    assert.equal(agent.hasExited, false);

    signalProsody(t, "SIGCONT");
    frozen = false;
    await running.waitForLog(
      "the alert cleared",
      (l) => l["msg"] === "connected to the XMPP server again: AlertBot's own alert cleared",
      120_000,
    );
    const told = (): number =>
      alice!.received.filter((m) => /RAISED .*nginx is not answering/.test(m.body)).length +
      smtp!.mails.filter((m) => /RAISED/.test(m.raw) && /nginx is not answering/.test(m.raw)).length;
    await waitFor("alice told of the check", () => told() >= 1, 120_000);
    // Whatever was queued meanwhile has arrived once chat answers again.
    await alice.barrier(t.prosody.botJid);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await alice.barrier(t.prosody.botJid);
    assert.equal(told(), 1, "told once");
    assert.equal(
      smtp.mails.filter((m) => /cut off from its XMPP server/.test(m.raw) && !/CLEARED/i.test(m.raw)).length,
      1,
      "cut off told once",
    );
    assert.equal(agent.hasExited, false);
    assert.equal((await running.stop()).code, 0);
    bot = undefined;
  });
});

describe("AlertBot's keepalive on ejabberd: its pings are answered, the link kept", function () {
  this.timeout(300_000);
  const server = withEjabberd();
  let dir: string | undefined;
  let bot: ChildRun | undefined;

  after(async () => {
    await bot?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("stays connected over many keepalive rounds on an idle link", async () => {
    dir = tempDir("mauve-keepalive-ejabberd-");
    const t = server();
    bot = await startBotProcess(
      t,
      withKeepalive(writeBotConfig(t, dir, `people:\n  - { name: alice, jid: alice@${t.prosody.domain} }\n`)),
    );
    assert.equal(bot.withMsg("AlertBot running")[0]?.["xmpp"], "connected");
    // Ten rounds of 2 s; a ping ejabberd left unanswered would have dropped the link by then.
    const until = Date.now() + 20_000;
    await waitFor("ten keepalive rounds", () => Date.now() >= until, 60_000);
    assert.deepEqual(bot.withMsg("disconnected"), [], bot.stderr.slice(-3000));
    assert.equal((await bot.stop()).code, 0);
    bot = undefined;
  });
});
