// Workgroup rooms as people see them with their own clients on a real Prosody: the bot makes its
// rooms members-only (the workgroup's people), non-anonymous and hidden; strangers cannot get in,
// the member list follows a config reload, and a room the bot cannot secure gets nothing. An owner
// who kicks the bot, or destroys its room, does not leave the workgroup's room silent. The presence
// a room relays (its occupants', the bot's own) is not taken for an agent's: nobody there is probed.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { createDisco } from "../../src/xmpp/disco.js";
import { createMuc, type Muc } from "../../src/xmpp/muc.js";
import { NS_DELAY, NS_DISCO_INFO, NS_MUC_ADMIN } from "../../src/xmpp/namespaces.js";
import { coreOf } from "../../src/xmpp/session.js";
import { runBot } from "../../src/bot/run-bot.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { systemClock } from "../../src/clock/clock.js";
import { botConfigYaml, BOT_SECRET_ENV } from "../helpers/process-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("workgroup rooms: members-only, for the workgroup's people alone", function () {
  this.timeout(60_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  const people: PersonClient[] = [];
  let alice: PersonClient, bob: PersonClient, carol: PersonClient, mallory: PersonClient;
  const logs = new LogLines();
  let malloryMuc: Muc;
  let aliceInOps: { muc: Muc; heard: string[] } | undefined;
  const opsRoom = (): string => `ops@${server().prosody.mucJid}`;
  const openRoom = (): string => `open@${server().prosody.mucJid}`;
  const heardIn = (muc: Muc): string[] => {
    const heard: string[] = [];
    muc.onGroupchat((m) => void heard.push(`${m.nick}: ${m.body}`));
    return heard;
  };
  const configYaml = (opsMembers: string): string => {
    const t = server();
    const body = `people:
${["alice", "bob", "carol"].map((n) => `  - name: ${n}\n    jid: ${n}@${t.prosody.domain}`).join("\n")}
alerts:
  ack_default: 1h
workgroups:
  - name: ops
    members: [${opsMembers}]
    room: ${opsRoom()}
  - name: web
    members: [alice]
    room: ${openRoom()}
rules:
  - { match: { alert_id: "db*" }, level: normal, workgroup: web }
  - { level: normal, workgroup: ops }
`;
    return botConfigYaml(t, dir, body);
  };

  // Each `it` may run alone: what one needs from another is set up on first use.
  /** alice in the ops room, and what she has heard there. */
  const aliceInRoom = async (): Promise<{ muc: Muc; heard: string[] }> => {
    if (aliceInOps) return aliceInOps;
    const muc = createMuc(alice.session);
    const heard = heardIn(muc);
    const joined = await muc.join(opsRoom(), "alice");
    assert.ok(joined.ok && joined.anonymity === "non-anonymous", JSON.stringify(joined));
    return (aliceInOps = { muc, heard });
  };
  /** The web1 agent, raising "load". */
  const agentUp = async (): Promise<RunningAgent> =>
    (agent ??= await startAgent(
      server(),
      dir,
      "web1",
      "  - { id: load, summary: Load high, state: raised }",
      new LogLines().logger,
    ));

  before(async () => {
    dir = tempDir("mauve-rooms-");
    const t = server();
    for (const name of ["alice", "bob", "carol", "mallory"]) people.push(await PersonClient.login(t, name));
    [alice, bob, carol, mallory] = people as [PersonClient, PersonClient, PersonClient, PersonClient];
    // A stranger made this room first, open to all: the bot is not its owner.
    malloryMuc = createMuc(mallory.session);
    const made = await malloryMuc.join(openRoom(), "mallory", {
      createConfig: new Map<string, string | boolean>([
        ["muc#roomconfig_whois", "anyone"],
        ["muc#roomconfig_persistentroom", true],
      ]),
    });
    assert.ok(made.ok, JSON.stringify(made));
    const config = loadBotConfig(configYaml("alice, bob"), {
      file: "alertbot.yaml",
      env: { [BOT_SECRET_ENV]: t.botSecret },
    });
    bot = await runBot(config, systemClock, logs.logger);
  });

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    for (const p of people) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the room members-only, non-anonymous and hidden, with the workgroup's people as members", async () => {
    const info = await createDisco(alice.session).discoInfo(opsRoom());
    assert.ok(info.ok, JSON.stringify(info));
    for (const f of ["muc_membersonly", "muc_nonanonymous", "muc_hidden"])
      assert.ok(info.features.includes(f), `${f} in ${info.features.join(" ")}`);
    const listed = await createDisco(mallory.session).discoItems(server().prosody.mucJid);
    assert.ok(listed.ok, JSON.stringify(listed));
    assert.ok(!listed.items.some((i) => i.jid === opsRoom()), "the room is not on the public list");
  });

  it("lets a member in to read alerts and give commands, and refuses a stranger at the door", async () => {
    const { muc, heard } = await aliceInRoom();
    const refused = await createMuc(mallory.session).join(opsRoom(), "mallory"); // a second Muc: mallory's own stays in her room
    assert.equal(refused.ok ? "joined" : refused.condition, "registration-required");

    await agentUp();
    const posted = await waitFor("the alert in the room", () =>
      heard.find((h) => /^AlertBot: RAISED #\d+ web1 load/.test(h)),
    );
    const id = Number(/#(\d+)/.exec(posted)![1]);
    await muc.sendGroupchat(opsRoom(), `AlertBot: ack ${id}`);
    await waitFor("the reply in the room", () => heard.find((h) => /^AlertBot: alice: .*acknowledged/.test(h)));
  });

  it("takes only lines addressed to it as commands: a colleague's 'help' to the room is left alone", async () => {
    const { muc: aliceMuc, heard: aliceHeard } = await aliceInRoom();
    aliceHeard.length = 0;
    await aliceMuc.sendGroupchat(opsRoom(), "help");
    await aliceMuc.sendGroupchat(opsRoom(), "show");
    await aliceMuc.sendGroupchat(opsRoom(), "AlertBot: oncall ops");
    // Delivery is in order: once the answer to the addressed line is here, any other answer would be too.
    await waitFor("the oncall answer", () => aliceHeard.find((h) => /^AlertBot: alice: ops:/.test(h)));
    assert.deepEqual(
      aliceHeard.filter((h) => h.startsWith("AlertBot:")),
      [aliceHeard.find((h) => /^AlertBot: alice: ops:/.test(h))],
    );
  });

  it("answers a line its sender's client held back: a change sent long ago is not run, and says so; a question is", async () => {
    const { heard } = await aliceInRoom();
    const { xml } = coreOf(alice.session);
    const line = (body: string, delay: Record<string, string>): Promise<void> =>
      coreOf(alice.session).send(
        xml(
          "message",
          { to: opsRoom(), type: "groupchat" },
          xml("body", {}, body),
          xml("delay", { xmlns: NS_DELAY, ...delay }),
        ),
      );
    heard.length = 0;
    // Typed on a train two hours ago, sent by her client once back online (XEP-0203).
    await line("AlertBot: ack 1 for 1h", {
      stamp: new Date(Date.now() - 2 * 3600_000).toISOString(),
      from: alice.session.jid,
    });
    // A question is answered, however late.
    await line("AlertBot: oncall ops", {
      stamp: new Date(Date.now() - 2 * 3600_000).toISOString(),
      from: alice.session.jid,
    });
    await waitFor("the oncall answer", () => heard.find((h) => /^AlertBot: alice: ops:/.test(h)));
    const answers = heard.filter((h) => h.startsWith("AlertBot: alice:"));
    assert.equal(answers.length, 2, answers.join("\n"));
    assert.match(answers[0]!, /You sent "ack 1 for 1h" 2h ago and it reached me only now, so I did not run it/);
  });

  it("keeps the member list in step on reload: a removed person is put out, an added one gets in", async () => {
    const bobMuc = createMuc(bob.session);
    const bobIn = await bobMuc.join(opsRoom(), "bob");
    assert.ok(bobIn.ok, JSON.stringify(bobIn));
    const bobOut = new Promise<string>((resolve) => bobMuc.onExit((e) => resolve(e.reason)));
    const carolMuc = createMuc(carol.session);
    const before = await carolMuc.join(opsRoom(), "carol");
    assert.equal(before.ok ? "joined" : before.condition, "registration-required");

    const next = loadBotConfig(configYaml("alice, carol"), {
      file: "alertbot.yaml",
      env: { [BOT_SECRET_ENV]: server().botSecret },
    });
    await bot!.reload(next);
    assert.equal(await bobOut, "removed");
    const after = await carolMuc.join(opsRoom(), "carol");
    assert.ok(after.ok, JSON.stringify(after));
    const again = await bobMuc.join(opsRoom(), "bob");
    assert.equal(again.ok ? "joined" : again.condition, "registration-required");
  });

  it("posts nothing in a room it cannot secure, says why in its log, and acts on no command there", async () => {
    const line = logs
      .withMsg("cannot secure workgroup room: posting nothing there")
      .find((l) => l["room"] === openRoom());
    assert.match(String(line?.["why"]), /not an owner/);
    const muc = malloryMuc;
    const heard = heardIn(muc);
    (await agentUp()).change([
      { id: "db-disk", state: "raised", summary: "not for strangers" },
      { id: "load", state: "raised", summary: "Load high" },
    ]);
    // Addressed to the bot: it answers with the reason only, after the new alert would have been posted.
    await alice.expect(/RAISED #\d+ web1 db-disk/);
    await muc.sendGroupchat(openRoom(), "AlertBot: show");
    await waitFor("the refusal", () => heard.find((h) => h.startsWith("AlertBot: mallory")));
    assert.deepEqual(
      heard.filter((h) => /db-disk|RAISED|not for strangers/.test(h)),
      [],
    );
    assert.match(
      heard.find((h) => h.startsWith("AlertBot:"))!,
      /can't keep this room to the workgroup/,
    );
    // Said once: a flood of commands there gets no flood of answers. The room's own echo of a
    // line said after the flood shows everything before it has been through.
    for (let i = 0; i < 5; i++) await muc.sendGroupchat(openRoom(), "AlertBot: help");
    await muc.sendGroupchat(openRoom(), "end of flood");
    await waitFor("the echo", () => heard.includes("mallory: end of flood"));
    await waitFor(
      "the bot's log of the flood",
      () => logs.withMsg("command in a workgroup room that is not secure, refused").length >= 6,
    );
    assert.equal(heard.filter((h) => h.startsWith("AlertBot:")).length, 1);
  });
});

describe("workgroup rooms: put out by an owner, AlertBot comes back", function () {
  this.timeout(60_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient;
  const people: PersonClient[] = [];
  const logs = new LogLines();
  const room = (): string => `ops@${server().prosody.mucJid}`;
  /** alice in the room, and what she heard there. */
  let aliceIn: { muc: Muc; heard: string[] } | undefined;
  const aliceInRoom = async (): Promise<{ muc: Muc; heard: string[] }> => {
    if (aliceIn && aliceIn.muc.room(room())) return aliceIn;
    const muc = aliceIn?.muc ?? createMuc(alice.session);
    const heard = aliceIn?.heard ?? [];
    if (!aliceIn) muc.onGroupchat((m) => void heard.push(`${m.nick}: ${m.body}`));
    const joined = await muc.join(room(), "alice");
    assert.ok(joined.ok, JSON.stringify(joined));
    return (aliceIn = { muc, heard });
  };
  /** Raises `id` on the web1 agent, and waits for the bot's line about it in the room. */
  const raisedInRoom = async (id: string): Promise<void> => {
    const { heard } = await aliceInRoom();
    agent ??= await startAgent(server(), dir, "web1", "  - { id: first, state: raised }", new LogLines().logger);
    agent.change([{ id, state: "raised", summary: `${id} happened` }]);
    const line = new RegExp(`^AlertBot: RAISED #\\d+ web1 ${id}`);
    await waitFor(`${id} posted in the room`, () => heard.find((h) => line.test(h)), 30_000);
  };
  const backIn = (): number => logs.withMsg("back in a workgroup room: posting there again").length;
  const putOut = (reason: string): Record<string, unknown> | undefined =>
    logs
      .withMsg("put out of a workgroup room: posting nothing there until back in")
      .find((l) => l["reason"] === reason);

  before(async () => {
    dir = tempDir("mauve-rooms-out-");
    const t = server();
    people.push((alice = await PersonClient.login(t, "alice")));
    // alice made the room and AlertBot an owner beside her (docs/chat.md: "have an owner make it
    // one"): an owner may do anything to another owner, and a kick needs the bot demoted first
    // (XEP-0045 §9.1: no moderator may kick an owner or an admin).
    const muc = createMuc(alice.session);
    const made = await muc.join(room(), "alice", {
      createConfig: new Map<string, string | boolean>([["muc#roomconfig_persistentroom", true]]),
    });
    assert.ok(made.ok, JSON.stringify(made));
    const owner = await muc.setAffiliations(room(), [{ jid: t.prosody.botJid, affiliation: "owner" }]);
    assert.ok(owner.ok, JSON.stringify(owner));
    await muc.leave(room());
    const body = `people:
  - { name: alice, jid: alice@${t.prosody.domain} }
workgroups:
  - { name: ops, members: [alice], room: ${room()} }
rules:
  - { level: normal, workgroup: ops }
`;
    const config = loadBotConfig(botConfigYaml(t, dir, body), {
      file: "alertbot.yaml",
      env: { [BOT_SECRET_ENV]: t.botSecret },
    });
    // Tried again within a second, not 5 s to 15 min: the test waits for the event, not the delay.
    bot = await runBot(config, systemClock, logs.logger, { roomRetry: { initialDelayMs: 100, maxDelayMs: 1_000 } });
    await waitFor("the room secured", () => logs.withMsg("workgroup room secured").length > 0);
  });

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    for (const p of people) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("kicked by an owner, it joins again, is secured once an owner again, and posts the next alert there", async () => {
    const { muc } = await aliceInRoom();
    const t = server();
    const wasBack = backIn();
    const demoted = await muc.setAffiliations(room(), [{ jid: t.prosody.botJid, affiliation: "member" }]);
    assert.ok(demoted.ok, JSON.stringify(demoted));
    // XEP-0045 §8.2: a moderator kicks an occupant by setting its role to none (muc.ts has no
    // call for it: AlertBot never kicks anyone).
    const core = coreOf(alice.session);
    const { xml } = core;
    const kicked = await core.request(
      xml(
        "iq",
        { type: "set", to: room() },
        xml(
          "query",
          { xmlns: NS_MUC_ADMIN },
          xml("item", { nick: "AlertBot", role: "none" }, xml("reason", {}, "out you go")),
        ),
      ),
      "kick",
    );
    assert.ok(kicked.ok, JSON.stringify(kicked));
    const out = await waitFor("the kick in the bot's log", () => putOut("kicked"));
    assert.equal(out["text"], "out you go");
    // Back in as the member it was made, but not an owner: it says so and goes on trying.
    await waitFor("the bot back in the room, not yet an owner", () =>
      logs.withMsg("cannot secure workgroup room yet").find((l) => /not an owner/.test(String(l["why"]))),
    );
    assert.ok(
      muc.room(room())?.occupants.some((o) => o.nick === "AlertBot"),
      "AlertBot is in the room",
    );
    const owner = await muc.setAffiliations(room(), [{ jid: t.prosody.botJid, affiliation: "owner" }]);
    assert.ok(owner.ok, JSON.stringify(owner));
    await waitFor("the bot secured again", () => backIn() > wasBack);
    await raisedInRoom("after-kick");
  });

  it("banned by an owner, it asks to join again until the ban is lifted, then posts the next alert there", async () => {
    const { muc } = await aliceInRoom();
    const t = server();
    const wasBack = backIn();
    const banned = await muc.setAffiliations(room(), [{ jid: t.prosody.botJid, affiliation: "outcast" }]);
    assert.ok(banned.ok, JSON.stringify(banned));
    await waitFor("the ban in the bot's log", () => putOut("banned"));
    await waitFor("a join refused while the ban lasts", () =>
      logs.withMsg("cannot join workgroup room yet").find((l) => l["outBecause"] === "banned"),
    );
    // An alert while banned: alice is told directly; the room cannot be, and hears of it once back.
    agent ??= await startAgent(server(), dir, "web1", "  - { id: first, state: raised }", new LogLines().logger);
    agent.change([{ id: "while-banned", state: "raised", summary: "while-banned happened" }]);
    await alice.expect(/RAISED #\d+ web1 while-banned/, 30_000);
    const { heard } = await aliceInRoom();
    const lifted = await muc.setAffiliations(room(), [{ jid: t.prosody.botJid, affiliation: "owner" }]);
    assert.ok(lifted.ok, JSON.stringify(lifted));
    await waitFor("the bot secured again", () => backIn() > wasBack);
    const missed = await waitFor("the room told what it missed", () =>
      heard.find((h) => /^AlertBot: I was out of this room for \S+ \(banned\): 1 notice was not posted here/.test(h)),
    );
    assert.match(missed, /their people were told directly\. Say "AlertBot: show" for what is raised now\.$/);
    assert.equal(heard.filter((h) => /while-banned/.test(h)).length, 0, "the line itself is not posted late");
    await raisedInRoom("after-ban");
  });

  it("its room destroyed by an owner, it says so once and keeps asking for it", async () => {
    const { muc } = await aliceInRoom();
    const errors = (): number => logs.lines.filter((l) => l["level"] === "error" && l["room"] === room()).length;
    const errorsBefore = errors();
    const destroyed = await muc.destroy(room(), "moving house");
    assert.ok(destroyed.ok, JSON.stringify(destroyed));
    const out = await waitFor("the destruction in the bot's log", () => putOut("destroyed"));
    assert.equal(out["text"], "moving house");
    // Prosody keeps a destroyed persistent room's tombstone (muc_tombstone_expiry, 31 days by
    // default), refusing joins with <gone/>: AlertBot can only go on asking, quietly, until an
    // admin clears it or the room is made again.
    await waitFor("two joins refused as gone", () =>
      logs.withMsg("cannot join workgroup room yet").filter((l) => l["condition"] === "gone").length >= 2
        ? true
        : undefined,
    );
    assert.equal(errors(), errorsBefore + 1, logs.text());
  });
});

describe("workgroup rooms: occupants' presence is the room's, not an agent's", function () {
  this.timeout(60_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot | undefined;
  let alice: PersonClient;
  let aliceMuc: { muc: Muc; heard: string[] } | undefined;
  const people: PersonClient[] = [];
  const logs = new LogLines();
  /** Every stanza AlertBot's session wrote, as text, from just after its start. */
  const sent: string[] = [];
  const room = (): string => `quiet@${server().prosody.mucJid}`;
  const config = (withRoom: boolean) => {
    const t = server();
    const body = `people:
  - { name: alice, jid: alice@${t.prosody.domain} }
workgroups:
  - { name: ops, members: [alice]${withRoom ? `, room: ${room()}` : ""} }
rules:
  - { level: normal, workgroup: ops }
`;
    return loadBotConfig(botConfigYaml(t, dir, body), {
      file: "alertbot.yaml",
      env: { [BOT_SECRET_ENV]: t.botSecret },
    });
  };
  /** alice in the room, and what she heard there. */
  const aliceInRoom = async (): Promise<{ muc: Muc; heard: string[] }> => {
    if (aliceMuc) return aliceMuc;
    const muc = createMuc(alice.session);
    const heard: string[] = [];
    muc.onGroupchat((m) => void heard.push(`${m.nick}: ${m.body}`));
    const joined = await muc.join(room(), "alice");
    assert.ok(joined.ok, JSON.stringify(joined));
    return (aliceMuc = { muc, heard });
  };
  /**
   * A command through the room and its answer: the room relays in order, and AlertBot reads in
   * order, so whatever AlertBot did on the presence before it was done by then (a disco#info is
   * sent at once; only its timeout, and the error, would come 15 s later).
   */
  const roundTrip = async (): Promise<void> => {
    const { muc, heard } = await aliceInRoom();
    heard.length = 0;
    await muc.sendGroupchat(room(), "AlertBot: oncall ops");
    await waitFor("the oncall answer in the room", () => heard.find((h) => /^AlertBot: alice: ops:/.test(h)));
  };
  /** disco#info requests AlertBot sent to someone in a room (room@service/nick). */
  const discoToOccupants = (): string[] =>
    sent.filter(
      (s) => /^<iq\b[^>]*\btype=["']get["']/.test(s) && s.includes(NS_DISCO_INFO) && s.includes(`to="${room()}/`),
    );
  const errors = (): Array<Record<string, unknown>> => logs.lines.filter((l) => l["level"] === "error");

  before(async () => {
    dir = tempDir("mauve-rooms-presence-");
    people.push((alice = await PersonClient.login(server(), "alice")));
    bot = await runBot(config(true), systemClock, logs.logger);
    // Nothing else reads what a session writes: xmpp.js says it on its entity.
    coreOf(bot.session).entity.on("send", (el: { toString(): string }) => void sent.push(el.toString()));
    await waitFor("the room secured", () => logs.withMsg("workgroup room secured").length > 0);
  });

  after(async () => {
    await bot?.stop();
    for (const p of people) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("asks nothing of a person who joins its room, and logs no error", async () => {
    await roundTrip();
    assert.ok(
      sent.some((s) => s.includes("alice: ops:")),
      "AlertBot's answer was seen going out",
    );
    assert.deepEqual(discoToOccupants(), []);
    assert.deepEqual(errors(), []);
  });

  it("asks nothing of the occupants, itself included, when it joins a room a person is in", async () => {
    await aliceInRoom();
    await bot!.reload(config(false));
    await waitFor("AlertBot out of the room", () =>
      aliceMuc?.muc.room(room())?.occupants.some((o) => o.nick === "AlertBot") === false ? true : undefined,
    );
    const secured = logs.withMsg("workgroup room secured").length;
    await bot!.reload(config(true));
    await waitFor("the room secured again", () => logs.withMsg("workgroup room secured").length > secured);
    await roundTrip();
    assert.ok(
      sent.some((s) => new RegExp(`<presence[^>]* to=["']${room()}/AlertBot["']`).test(s)),
      "AlertBot joined the room again",
    );
    assert.deepEqual(discoToOccupants(), []);
    assert.deepEqual(errors(), []);
  });
});
