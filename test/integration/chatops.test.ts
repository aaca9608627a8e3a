// Chat-ops end to end against a real Prosody with real client accounts: every command, a workgroup
// room, an ad-hoc form, and strangers refused.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { createAdhoc } from "../../src/xmpp/disco.js";
import { createMuc } from "../../src/xmpp/muc.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("chat-ops: commands, rooms, ad-hoc forms", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient;
  let bob: PersonClient;
  let mallory: PersonClient;
  let id: number;
  let hiddenRoom: ReturnType<typeof createMuc>;
  const botLog = new LogLines();
  after(async () => {
    await agent?.stop();
    await bot?.stop();
    for (const p of [alice, bob, mallory]) await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = withProsody();
  const botJid = (): string => server().prosody.botJid;
  const room = (): string => `ops@${server().prosody.mucJid}`;
  const ask = async (who: PersonClient, line: string, reply: RegExp): Promise<string> => {
    await who.say(botJid(), line);
    return who.expect(reply);
  };

  before(async () => {
    dir = tempDir("mauve-chatops-");
    const t = server();
    alice = await PersonClient.login(t, "alice");
    bob = await PersonClient.login(t, "bob");
    mallory = await PersonClient.login(t, "mallory");
    // A room that hides real JIDs from non-moderators, made before the bot arrives.
    hiddenRoom = createMuc(alice.session);
    const made = await hiddenRoom.join(`hidden@${t.prosody.mucJid}`, "alice", {
      createConfig: new Map<string, string | boolean>([
        ["muc#roomconfig_whois", "moderators"],
        ["muc#roomconfig_persistentroom", true],
      ]),
    });
    assert.ok(made.ok, JSON.stringify(made));
    bot = await startBot(t, dir, ["alice", "bob"], botLog.logger, {
      extraYaml: `
workgroups:
  - name: ops
    members: [alice, bob]
    room: ops@${t.prosody.mucJid}
    escalation:
      normal: { steps: [{ after: 0m, notify: all }, { after: 1h, notify: next }], reminder: false }
  - name: dev
    members: [bob]
    room: hidden@${t.prosody.mucJid}
rules:
  - { level: normal, workgroup: ops }
permissions:
  ops: { clear: [alice] }
`,
    });
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      new LogLines().logger,
    );
    id = Number(/#(\d+)/.exec(await alice.expect(/^RAISED #\d+ web1 disk-full/))![1]);
    await bob.expect(/^RAISED/);
  });

  it("ack, unack and show", async () => {
    await ask(
      alice,
      `ack ${id} for 30m because looking`,
      new RegExp(`#${id} web1 disk-full.*acknowledged for 30m by alice`),
    );
    await bob.expect(new RegExp(`ACKED #${id}`));
    assert.match(await ask(alice, "show acked", /web1/), /acked by alice/);
    await ask(alice, `unack ${id}`, new RegExp(`#${id}`));
    assert.equal(bot!.store.alerts.get(id)?.ack, null);
  });

  it("detail, note (told to the others) and history", async () => {
    assert.match(await ask(alice, `detail ${id}`, /Disk full/), /web1/);
    await ask(alice, `note ${id} swapping the disk`, new RegExp(`#${id}`));
    assert.match(await bob.expect(/NOTE #\d+/), /alice: swapping the disk/);
    assert.match(await ask(alice, `history ${id}`, /raised/), /swapping the disk/);
  });

  it("oncall and escalate", async () => {
    assert.match(await ask(bob, "oncall", /ops/), /alice/);
    await ask(alice, `escalate ${id}`, new RegExp(`#${id}`));
    await waitFor("the escalation in the history", () =>
      bot!.store.alerts.history(id).some((h) => /escalated by hand/.test(h.detail)),
    );
  });

  it("silence, silences, unsilence", async () => {
    // bob this time: alice has used most of her 10 commands per 10 s already
    await ask(bob, "silence source=web* for 1h because maintenance", /silence/i);
    assert.match(await ask(bob, "silences", /web\*/), /maintenance/);
    assert.equal(bot!.store.policy.liveSilences(Date.now()).length, 1);
    const n = bot!.store.policy.liveSilences<unknown>(Date.now())[0]!.id;
    await ask(bob, `unsilence ${n}`, /silence/i);
    assert.equal(bot!.store.policy.liveSilences(Date.now()).length, 0);
  });

  it("refuses a clear from someone the workgroup's permissions leave out", async () => {
    const reply = await ask(bob, `clear ${id}`, new RegExp(`#${id}|ops`));
    assert.match(reply, /not allowed|may not|can't|cannot|permission/i);
    assert.equal(bot!.store.alerts.get(id)?.status, "raised");
  });

  it("clear by hand, recorded as manual, and told to the others", async () => {
    await ask(alice, `clear ${id} because fixed`, new RegExp(`#${id} web1 disk-full.*cleared`));
    assert.equal(bot!.store.alerts.get(id)?.status, "cleared");
    assert.ok(
      bot!.store.alerts
        .history(id)
        .some((h) => h.kind === "cleared" && h.actor === "alice" && /manual clear because fixed/.test(h.detail)),
    );
    await bob.expect(new RegExp(`CLEARED #${id}`));
  });

  it("posts alerts to the workgroup room and takes commands there from configured people", async () => {
    const muc = createMuc(alice.session);
    const joined = await muc.join(room(), "alice");
    assert.ok(joined.ok, JSON.stringify(joined));
    const heard: string[] = [];
    muc.onGroupchat((m) => void heard.push(`${m.nick}: ${m.body}`));
    agent!.change([{ id: "load", state: "raised", summary: "Load high" }]);
    const posted = await waitFor("the alert in the room", () =>
      heard.find((h) => /^AlertBot: RAISED #\d+ web1 load/.test(h)),
    );
    const loadId = Number(/#(\d+)/.exec(posted)![1]);
    await muc.sendGroupchat(room(), `AlertBot: ack ${loadId}`);
    await waitFor("the reply in the room", () => heard.find((h) => /AlertBot: alice: .*acknowledged/.test(h)));
    assert.equal(bot!.store.alerts.get(loadId)?.ack?.by, "alice");
  });

  // Bob, not alice: a form counts against its sender's rate limit, and alice's forms follow.
  it("takes a private message through the workgroup room as from the person behind the nick", async () => {
    const muc = createMuc(bob.session);
    const joined = await muc.join(room(), "bob-pm");
    assert.ok(joined.ok, JSON.stringify(joined));
    const from = `${room()}/AlertBot`;
    const start = bob.inbox.length;
    await bob.say(from, "show");
    const reply = await waitFor("the private reply", () => bob.inbox.slice(start).find((m) => m.from === from));
    assert.match(reply.body, /web1/, "bob is recognised, not told he is a stranger");
    assert.ok(
      botLog.lines.some(
        (l) => l["msg"] === "command" && String(l["from"]).startsWith("bob@") && l["command"] === "show",
      ),
    );
    await muc.leave(room());
  });

  it("tells someone messaging privately through a room that hides real JIDs to message it directly", async () => {
    const from = `hidden@${server().prosody.mucJid}/AlertBot`;
    const start = alice.inbox.length;
    await alice.say(from, "show");
    const reply = await waitFor("the private reply", () => alice.inbox.slice(start).find((m) => m.from === from));
    assert.equal(reply.body, `I can't tell who you are from here: message me directly at ${botJid()}.`);
  });

  it("refuses a room line too long for a command without echoing it to the room", async () => {
    const muc = createMuc(bob.session);
    const joined = await muc.join(room(), "bob-long");
    assert.ok(joined.ok, JSON.stringify(joined));
    const heard: string[] = [];
    muc.onGroupchat((m) => void heard.push(`${m.nick}: ${m.body}`));
    await muc.sendGroupchat(room(), `AlertBot: ${"z".repeat(100_000)}`);
    const refusal = await waitFor("the refusal", () => heard.find((h) => h.startsWith("AlertBot: bob-long:")));
    assert.match(refusal, /100000 characters long/);
    assert.ok(refusal.length < 300, `not echoed: ${refusal.length} characters`);
    await muc.leave(room());
  });

  it("refuses commands in a room that hides real JIDs, saying why", async () => {
    const heard: string[] = [];
    hiddenRoom.onGroupchat((m) => void heard.push(`${m.nick}: ${m.body}`));
    await hiddenRoom.sendGroupchat(`hidden@${server().prosody.mucJid}`, "AlertBot: show");
    const refusal = await waitFor("the refusal", () => heard.find((h) => h.startsWith("AlertBot: alice:")));
    assert.match(refusal, /real JID|anonymous/i);
  });

  it("silences through an XEP-0050 form", async () => {
    const adhoc = createAdhoc(bob.session);
    const done = await adhoc.executeAdhoc(botJid(), "silence", {
      matcher: "source=db*",
      duration: "30m",
      note: "form",
    });
    assert.ok(done.ok && done.status === "completed", JSON.stringify(done));
    assert.ok(bot!.store.policy.liveSilences<{ source?: string[] }>(Date.now()).some((x) => x.why === "form"));
  });

  it("acks through an XEP-0050 form", async () => {
    agent!.change([{ id: "swap", state: "raised", summary: "Swap full" }]);
    const swapId = Number(/#(\d+)/.exec(await alice.expect(/RAISED #\d+ web1 swap/))![1]);
    const adhoc = createAdhoc(alice.session);
    const listed = await adhoc.listAdhoc(botJid());
    assert.ok(listed.ok && listed.commands.some((c) => c.node === "ack"), JSON.stringify(listed));
    const done = await adhoc.executeAdhoc(botJid(), "ack", {
      ids: String(swapId),
      duration: "2h",
      note: "from a form",
    });
    assert.ok(done.ok, JSON.stringify(done));
    assert.equal(bot!.store.alerts.get(swapId)?.ack?.by, "alice");
  });

  it("refuses a stranger in chat and in forms", async () => {
    await ask(mallory, "show", /only take commands/);
    const adhoc = createAdhoc(mallory.session);
    const listed = await adhoc.listAdhoc(botJid());
    assert.ok(listed.ok, `the listing is answered: ${JSON.stringify(listed)}`);
    assert.deepEqual(listed.commands, [], "no commands offered to a stranger");
    const tried = await adhoc.executeAdhoc(botJid(), "ack", { ids: String(id), duration: "2h", note: "intruder" });
    assert.equal(tried.ok ? tried.status : tried.condition, "forbidden", "a stranger's form is refused");
    assert.equal(
      bot!.store.alerts.history(id).some((h) => /intruder/.test(h.detail)),
      false,
    );
  });
  it("limits how fast one JID may send commands, saying so once", async () => {
    for (let i = 0; i < 12; i++) await bob.say(botJid(), "help");
    await bob.expect(/slow|too many|wait/i);
    const weighed = (): number =>
      botLog.lines.filter(
        (l) =>
          String(l["from"]).startsWith("mallory@") &&
          (l["msg"] === "commands rate-limited" || l["msg"] === "command from a stranger refused"),
      ).length;
    const before = weighed();
    const start = mallory.inbox.length;
    for (let i = 0; i < 15; i++) await mallory.say(botJid(), "help");
    // Barrier: the bot has decided on every line once it logged each, and whatever it answered
    // reaches mallory before its answer to a request sent after them (one stream, in order).
    await waitFor("the bot to weigh all 15 lines", () => weighed() - before >= 15);
    assert.ok((await createAdhoc(mallory.session).listAdhoc(botJid())).ok, "the bot answers mallory's request");
    const answers = mallory.inbox.slice(start).map((m) => m.body);
    assert.equal(answers.filter((a) => /slow|too many|wait/i.test(a)).length, 1, `said once: ${answers.join(" | ")}`);
    const refusals = answers.filter((a) => /only take commands/.test(a)).length;
    assert.ok(refusals <= 10, `a stranger's flood gets at most one bucket of answers (${refusals})`);
  });
});
