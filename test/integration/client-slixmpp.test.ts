// A person whose Jabber client is not xmpp.js: slixmpp (Debian's python3-slixmpp), against the
// installed AlertBot as a child process and a real agent, on a real Prosody, with a real SMTP
// server. Presence decides the channel: chat while the person is online or away, email once they
// log out, chat again when they are back. They answer from that client, in chat and with its
// ad-hoc command forms (XEP-0050), and read the agent's node and the audit feed with its pubsub.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { ChildRun } from "../helpers/process-child.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { SlixmppPerson } from "../helpers/slixmpp-person.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { LogLines, startAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const REACHABILITY = "a person's reachability by chat changed";

describe("a person in slixmpp, a Jabber client of another make", function () {
  this.timeout(180_000);
  const server = withProsody();
  let dir: string | undefined;
  let smtp: SmtpSink | undefined;
  let bot: ChildRun | undefined;
  let agent: RunningAgent | undefined;
  const clients: SlixmppPerson[] = [];

  after(async () => {
    for (const c of clients) await c.quit();
    await agent?.stop();
    await bot?.stop();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-6000)}\n---\n`);
  });

  it("is reached by chat while online or away, by email once logged out, by chat again once back; acks in chat and in forms; reads the nodes", async () => {
    dir = tempDir("mauve-slixmpp-");
    smtp = await SmtpSink.start();
    const t = server();
    const d = t.prosody.domain;
    const botJid = t.prosody.botJid;
    const carol = `carol@${d}`;
    await t.prosody.register("carol", "pw-carol");
    const config = writeBotConfig(
      t,
      dir,
      `people:
  - name: carol
    jid: ${carol}
    email: carol@example.org
    notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp, email] }
    fallback_after: 1h
workgroups:
  - name: ops
    members: [carol]
    escalation:
      normal: { steps: [{ after: 0m, notify: carol }], reminder: false }
rules:
  - { level: normal, workgroup: ops }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
email:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false, timeout: 30s }
  from: Mauve <alerts@example.org>
`,
    );
    bot = await startBotProcess(t, config);
    const running = bot;
    const reachable = (to: string, from = 0): Promise<Record<string, unknown>> =>
      running.waitForLog(
        `carol ${to} to AlertBot`,
        (l) => l["msg"] === REACHABILITY && l["person"] === carol && l["to"] === to,
        30_000,
        from,
      );

    // AlertBot asked for carol's presence while she was logged out; her server hands her the
    // request when she logs in, and slixmpp approves it, as a person accepting AlertBot would.
    let client = await SlixmppPerson.login(t, "carol");
    clients.push(client);
    await client.next("AlertBot's subscription request", (e) => e.event === "subscribe" && e.from === botJid);
    await reachable("online");

    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: boot, summary: booted, state: cleared }",
      new LogLines().logger,
    );
    const raise = (id: string, summary: string): void => agent!.change([{ id, state: "raised", summary }]);

    raise("disk", "disk full on web1");
    const notice = await client.chat(botJid, /^RAISED #\d+ .*disk full on web1/);
    const diskId = /^RAISED #(\d+)/.exec(notice.body!)![1]!;
    client.say(botJid, `ack ${diskId} for 2h because replacing the disk`);
    await client.chat(botJid, new RegExp(`#${diskId} .*acknowledged for 2h by carol`));

    // Away (dnd) still reads chat: a notice goes there first, and nothing is emailed.
    let mark = bot.logs.length;
    client.show("dnd", "in a meeting");
    await reachable("away", mark);
    raise("load", "load 40 on web1");
    const load = await client.chat(botJid, /^RAISED #\d+ .*load 40 on web1/);
    const loadId = /^RAISED #(\d+)/.exec(load.body!)![1]!;

    // Its ad-hoc commands (XEP-0050) as slixmpp lists, fills and submits them: a mistake shows the
    // form again with the error; a right one acks.
    const commands = await client.commands(botJid);
    assert.deepEqual(commands.nodes?.map((n) => n.node).sort(), ["ack", "silence"], JSON.stringify(commands));
    const wrong = await client.command(botJid, "ack", { ids: "forty-two" });
    assert.equal(wrong.status, "executing", JSON.stringify(wrong));
    assert.ok(wrong.form?.includes("ids"), "the form again");
    assert.ok(
      wrong.notes?.some((n) => /forty-two/.test(n)),
      `the error names what was wrong: ${JSON.stringify(wrong)}`,
    );
    const acked = await client.command(botJid, "ack", { ids: loadId, duration: "30m", note: "looking at it" });
    assert.equal(acked.status, "completed", JSON.stringify(acked));
    assert.ok(
      acked.notes?.some((n) => new RegExp(`#${loadId} .*acknowledged for 30m by carol`).test(n)),
      JSON.stringify(acked),
    );

    // What ops read with any client: the agent's own node (the update as readable text beside its
    // protobuf) and the audit feed, which tells of the ack.
    const node = await client.items(t.prosody.pubsubJid, "mauve/alerts/web1");
    assert.ok(
      node.items?.some((i) => /urn:mauve-xmpp:update:1/.test(i.xml) && /load 40 on web1/.test(i.xml)),
      JSON.stringify(node).slice(0, 2000),
    );
    await waitFor(
      "the audit feed to tell of the ack",
      async () => {
        const audit = await client.items(t.prosody.pubsubJid, "mauve/audit");
        return audit.items?.some((i) => new RegExp(`#${loadId} web1 load acked by carol`).test(i.xml));
      },
      30_000,
    );

    // Logged out: the next notice is an email, at once (not after fallback_after).
    mark = bot.logs.length;
    assert.equal(await client.quit(), 0, "slixmpp logged out cleanly");
    await reachable("offline", mark);
    raise("swap", "swap exhausted on web1");
    const mail = await waitFor(
      "the email",
      () => smtp!.mails.find((m) => /swap exhausted on web1/.test(m.raw)),
      60_000,
    );
    assert.deepEqual(mail.to, ["carol@example.org"]);
    assert.equal(
      smtp.mails.filter((m) => /disk full|load 40/.test(m.raw)).length,
      0,
      "what reached carol by chat was not emailed too",
    );

    // Back in her client: chat again, and her commands are answered there.
    mark = bot.logs.length;
    client = await SlixmppPerson.login(t, "carol");
    clients.push(client);
    await reachable("online", mark);
    raise("cpu", "cpu throttled on web1");
    await client.chat(botJid, /^RAISED #\d+ .*cpu throttled on web1/);
    const seen = client.events.length;
    client.say(botJid, "show");
    const show = await client.chat(botJid, /swap exhausted on web1/, seen);
    assert.match(show.body!, /cpu throttled on web1/);
    assert.equal(smtp.mails.filter((m) => /cpu throttled/.test(m.raw)).length, 0, "back online: chat, not email");
    const seenAs = bot
      .withMsg(REACHABILITY)
      .filter((l) => l["person"] === carol)
      .map((l) => String(l["to"]));
    // Before she first logged in, her server may have answered for her (unknown, then offline).
    assert.deepEqual(
      seenAs.slice(seenAs.indexOf("online")),
      ["online", "away", "offline", "online"],
      "each presence change seen once",
    );
    console.log(
      `      carol as AlertBot saw her: ${seenAs.join(" -> ")}; ${clients[0]!.events.length + client.events.length} client events, ${smtp.mails.length} email(s)`,
    );
  });
});
