// AlertBot's disk fills up, with the installed AlertBot and an agent as processes, the database on
// a small tmpfs of its own, mail through a real SMTP server: the people on call are told at once
// (alice in chat and by email, bob, offline, by email), HTTP senders are answered 503, no notice
// goes out about an alert the store rolled back, and once space is freed what the agent published
// meanwhile is read again from its node and told, and everyone hears that it is over.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { scrape, sum } from "../helpers/metrics.js";
import { ChildRun } from "../helpers/process-child.js";
import { BOT_SECRET_ENV, startAgentProcess, startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { mauvePacket, sendUdp } from "../helpers/mauve-udp.js";
import { fillDisk, withSmallDisk, type SmallDisk } from "../helpers/small-disk.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { PersonClient, writeFlagAgentConfig } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "disk-test-token-0123456789";

/**
 * Writes AlertBot's config with its database on the small disk: `people` told by chat and email
 * (through the SMTP server at `smtpPort`), `chatOnly` by chat alone, HTTP updates with TOKEN, then `extra`.
 */
function writeDiskBotConfig(
  t: TestProsody,
  disk: SmallDisk,
  smtpPort: number,
  people: readonly string[],
  extra = "",
  chatOnly: readonly string[] = [],
): string {
  const d = t.prosody.domain;
  const person = (name: string): string =>
    `  - { name: ${name}, jid: ${name}@${d}, email: ${name}@example.org, notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] } }\n`;
  const chatter = (name: string): string =>
    `  - { name: ${name}, jid: ${name}@${d}, notify: { urgent: [xmpp], normal: [xmpp], low: [xmpp] } }\n`;
  const config = writeBotConfig(
    t,
    disk.dir,
    `people:
${people.map(person).join("")}${chatOnly.map(chatter).join("")}email:
  from: alertbot@example.org
  smtp: { host: 127.0.0.1, port: ${smtpPort}, secure: false, timeout: 30s }
http:
  listen: "127.0.0.1:0"
  tokens:
    - { name: backups, token: ${TOKEN}, sources: ["*"] }
${extra}`,
  );
  const database = join(disk.data, "alertbot.sqlite");
  writeFileSync(config, readFileSync(config, "utf8").replace(/^database: .*$/m, `database: ${database}`));
  return config;
}

describe("AlertBot's disk full", function () {
  this.timeout(240_000);
  const server = withProsody();
  const disk = withSmallDisk("mauve-disk-full-", "4m");
  let bot: ChildRun | undefined;
  let agent: ChildRun | undefined;
  let smtp: SmtpSink | undefined;
  const people: PersonClient[] = [];

  after(async () => {
    for (const p of people) await p.stop();
    await agent?.stop();
    await bot?.stop();
    await smtp?.close();
    disk.release();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-8000)}\n---\n`);
  });

  it("tells the people on call at once, refuses HTTP with 503, tells nothing it rolled back, and reads again what it refused once it can write", async () => {
    const t = server();
    smtp = await SmtpSink.start();
    const alice = await PersonClient.login(t, "alice");
    people.push(alice);
    // bob has no chat session: the alarm reaches him by email.
    await t.prosody.register("bob", "pw-bob");
    const config = writeDiskBotConfig(
      t,
      disk,
      smtp.port,
      ["alice", "bob"],
      'storm: { per_person_limit: 1000 per 1m }\nudp: { listen: "127.0.0.1:0", allow: ["127.0.0.1/32"] }\n',
    );
    const database = join(disk.data, "alertbot.sqlite");
    const running = await startBotProcess(t, config);
    bot = running;
    const port = Number(running.withMsg("listening for HTTP")[0]?.["port"]);
    const udpPort = Number(running.withMsg("listening for Mauve UDP updates")[0]?.["port"]);
    const post = async (id: string): Promise<{ status: number; body: string; retryAfter: string | null }> => {
      const res = await fetch(`http://127.0.0.1:${port}/api/update`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ source: "backup1", alerts: [{ id, summary: `backup ${id} failed` }] }),
      });
      return { status: res.status, body: await res.text(), retryAfter: res.headers.get("retry-after") };
    };

    // The agent's check is raised by a flag file.
    const { config: agentConfig, flag } = await writeFlagAgentConfig(t, disk.dir);
    agent = await startAgentProcess(agentConfig);

    assert.equal((await post("before")).status, 200);
    await alice.expect(/^RAISED #\d+ backup1 before\b/);
    const writable = async (): Promise<number> =>
      sum(await scrape(`http://127.0.0.1:${port}/metrics`), "mauve_database_writable");
    assert.equal(await writable(), 1);

    // The disk fills up.
    const filler = fillDisk(disk.data);
    const refused: string[] = [];
    for (let i = 0; refused.length === 0 && i < 200; i++) {
      const answer = await post(`full-${i}`);
      if (answer.status === 503) {
        assert.match(answer.body, /cannot write its database: database or disk is full/);
        assert.match(answer.body, /send it again later/);
        assert.equal(answer.retryAfter, "30");
        refused.push(`full-${i}`);
      } else assert.equal(answer.status, 200, answer.body); // pages the filesystem still had
    }
    assert.equal(refused.length, 1, "no HTTP update was refused with the disk full");
    await running.waitForLog(
      "the alarm",
      (l) => typeof l["msg"] === "string" && l["msg"].startsWith("AlertBot cannot write its database"),
      30_000,
    );
    const told = await alice.expect(/^AlertBot cannot write its database: database or disk is full/, 30_000);
    assert.match(told, /Free disk space/);
    await waitFor(
      "the alarm by email to alice and bob",
      () => {
        const to = smtp!.mails.filter((m) => /cannot write its database/.test(m.raw)).map((m) => m.to.join(","));
        return to.some((a) => a.includes("alice@")) && to.some((a) => a.includes("bob@")) ? true : undefined;
      },
      60_000,
    );
    // Still refused while full; a command says it changed nothing; the agent's check fails
    // meanwhile (published to its node).
    assert.equal((await post("still-full")).status, 503);
    await alice.say(t.prosody.botJid, "ack 1");
    await alice.expect(
      /^Sorry, I cannot write my database right now \(database or disk is full.*"ack" changed nothing/,
    );
    // Whoever looks sees it first: `show` (the list under it may be out of date), and /metrics.
    await alice.say(t.prosody.botJid, "show");
    const shown = await alice.expect(/^⚠ AlertBot cannot write its database \(database or disk is full/);
    assert.match(shown, /may be out of date \(since .*\)\n#\d+ /);
    assert.equal(await writable(), 0);
    const mark = running.logs.length;
    writeFileSync(flag, "");
    // The agent's failing check arrives as a live event, and cannot be stored.
    await running.waitForLog(
      "the agent's event refused",
      (l) =>
        running.logs.indexOf(l) >= mark && /pubsub event handler failed: AlertBot cannot write/.test(JSON.stringify(l)),
      30_000,
    );

    // A Mauve sender's UDP datagram has no answer to retry on: it is held until the disk has room.
    await sendUdp(mauvePacket("mauvesend-raise", Math.floor(Date.now() / 1000)), udpPort);
    await running.waitForLog(
      "the datagram held",
      (l) => l["msg"] === "AlertBot cannot write its database: UDP updates are held in memory until it can",
      30_000,
    );
    const heldUdp = async (): Promise<number> =>
      sum(await scrape(`http://127.0.0.1:${port}/metrics`), "mauve_udp_held_updates");
    assert.equal(await heldUdp(), 1);

    // A probe while the disk is still full fails, and nobody is told it is over.
    await running.waitForLog("a probe that failed", (l) => l["msg"] === "the database still cannot be written", 30_000);
    assert.equal(running.withMsg("AlertBot can write its database again; reading again what was refused").length, 0);

    // Space is freed: the probe commits, people hear it is over, the agent's raise is read again.
    rmSync(filler);
    await alice.expect(/^AlertBot can write its database again/, 60_000);
    await alice.expect(/^RAISED #\d+ web1 nginx\b/, 60_000);
    // Retried on a timer of its own, so before or after the agent's: looked for in all alice got.
    await waitFor(
      "the held datagram's alert told",
      () => alice.received.find((m) => /^RAISED #\d+ legacy1 disk: \/ is 97% full/.test(m.body)),
      60_000,
    );
    const applied = await running.waitForLog(
      "the held datagram applied",
      (l) => l["msg"] === "the database takes writes again: the UDP updates held are applied",
      30_000,
    );
    assert.deepEqual([applied["held"], applied["applied"], applied["lost"]], [1, 1, 0]);
    assert.equal(await heldUdp(), 0);
    await waitFor(
      "the all-clear by email to bob",
      () => smtp!.mails.find((m) => /can write its database again/.test(m.raw) && m.to.join(",").includes("bob@")),
      60_000,
    );
    assert.equal((await post("after")).status, 200);
    await alice.expect(/^RAISED #\d+ backup1 after\b/);
    assert.equal(await writable(), 1);
    await alice.say(t.prosody.botJid, "show");
    assert.doesNotMatch(await alice.expect(/backup after failed/), /⚠/);

    // The audit feed waited for the database quietly: no line published again every second, each
    // with a warning (at most one warning, when its cursor was refused).
    const paused = running.logs.filter((l) => String(l["msg"]).startsWith("audit feed paused"));
    assert.ok(
      paused.length <= 1 && paused.every((l) => l["msg"] === "audit feed paused until AlertBot can write its database"),
      JSON.stringify(paused.slice(0, 3)),
    );

    // Every RAISED notice alice got names an alert the database holds with that name: none was
    // sent for an update the disk refused and the store rolled back.
    await alice.barrier(t.prosody.botJid);
    const raisedNotices = alice.received.map((m) => m.body);
    assert.equal((await running.stop()).code, 0);
    bot = undefined;
    const db = new Database(database, { readonly: true });
    try {
      const names = new Map(
        (
          db.prepare("SELECT short_id, source, alert_id FROM alerts").all() as Array<{
            short_id: number;
            source: string;
            alert_id: string;
          }>
        ).map((r) => [r.short_id, `${r.source} ${r.alert_id}`]),
      );
      for (const body of raisedNotices.filter((b) => b.startsWith("RAISED #"))) {
        const m = /^RAISED #(\d+) (\S+ \S+?):/.exec(body);
        assert.ok(m, body);
        assert.equal(names.get(Number(m[1])), m[2], `a notice about an alert the store does not hold: ${body}`);
      }
      assert.equal(names.size >= 3, true);
      assert.ok(![...names.values()].includes("backup1 still-full"));
      assert.ok([...names.values()].includes("legacy1 disk"), "the datagram held through the outage is stored");
    } finally {
      db.close();
    }
  });
});

describe("AlertBot started on a full disk", function () {
  this.timeout(240_000);
  const server = withProsody();
  const disk = withSmallDisk("mauve-disk-start-", "4m");
  const runs: ChildRun[] = [];
  let smtp: SmtpSink | undefined;
  let alice: PersonClient | undefined;
  let carol: PersonClient | undefined;
  let dave: PersonClient | undefined;

  after(async () => {
    await alice?.stop();
    await carol?.stop();
    await dave?.stop();
    for (const run of runs) await run.stop();
    await smtp?.close();
    disk.release();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed")
      for (const run of runs)
        process.stderr.write(`\n--- ${run.label} stderr (tail) ---\n${run.stderr.slice(-6000)}\n---\n`);
  });

  it("waits for the disk instead of exiting 1 (restarted in a loop, nobody told): tells by email and chat, stops cleanly, and starts once space is freed", async () => {
    const t = server();
    smtp = await SmtpSink.start();
    alice = await PersonClient.login(t, "alice");
    // Told by chat alone: carol online, dave offline until later (the server keeps his messages).
    carol = await PersonClient.login(t, "carol");
    await t.prosody.register("dave", "pw-dave");
    const config = writeDiskBotConfig(t, disk, smtp.port, ["alice"], "", ["carol", "dave"]);
    const start = (label: string): ChildRun => {
      const run = ChildRun.start("bots/alertbot.ts", ["--config", config], { [BOT_SECRET_ENV]: t.botSecret }, label);
      runs.push(run);
      return run;
    };
    const waiting = (run: ChildRun): Promise<Record<string, unknown>> =>
      run.waitForLog(
        "AlertBot to say it cannot open its database",
        (l) => typeof l["msg"] === "string" && l["msg"].startsWith("AlertBot cannot open its database"),
        60_000,
      );

    // A first run makes the database; stopped cleanly, it leaves no shared-memory file behind, and
    // on a full disk the next open cannot make one.
    const first = await startBotProcess(t, config);
    runs.push(first);
    assert.equal((await first.stop()).code, 0);
    const filler = fillDisk(disk.data);

    const second = start("alertbot on a full disk");
    assert.match(String((await waiting(second))["reason"]), /SQLITE_(IOERR|FULL)/);
    await waitFor(
      "the email to alice",
      () => smtp!.mails.find((m) => /AlertBot cannot start: it cannot open its database/.test(m.raw)),
      60_000,
    );
    // AlertBot's own session comes once the database opens: chat went through one of its own.
    await carol.expect(/AlertBot cannot start: it cannot open its database/);
    await second.waitForLog("a retry that failed", (l) => l["msg"] === "the database still cannot be opened", 60_000);
    assert.equal(second.hasExited, false, "it waits; it does not exit to be restarted in a loop");
    // Stopped while it waits: a clean stop, as at any other time.
    assert.equal((await second.stop()).code, 0, second.stderr.slice(-2000));

    const third = start("alertbot once space is freed");
    await waiting(third);
    rmSync(filler);
    await third.waitForLog(
      "the database opened",
      (l) => l["msg"] === "AlertBot could open its database; starting",
      60_000,
    );
    await third.waitForLog("AlertBot running", (l) => l["msg"] === "AlertBot running", 60_000);
    await waitFor(
      "the all-clear email",
      () => smtp!.mails.find((m) => /AlertBot could open its database after/.test(m.raw)),
      60_000,
    );
    await carol.expect(/AlertBot could open its database after/);
    // dave was offline all along: he finds both when he comes online.
    dave = await PersonClient.login(t, "dave");
    await dave.expect(/AlertBot cannot start: it cannot open its database/);
    await dave.expect(/AlertBot could open its database after/);
    // And it works: an update over HTTP reaches alice.
    const port = Number(third.withMsg("listening for HTTP")[0]?.["port"]);
    const res = await fetch(`http://127.0.0.1:${port}/api/update`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ source: "backup1", alerts: [{ id: "nightly", summary: "backup nightly failed" }] }),
    });
    assert.equal(res.status, 200, await res.text());
    await alice.expect(/^RAISED #\d+ backup1 nightly\b/);
    assert.equal((await third.stop()).code, 0);
  });
});
