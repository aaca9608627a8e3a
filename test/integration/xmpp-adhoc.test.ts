// XEP-0050 ad-hoc commands on the real Prosody: the bot (a component) offers form-driven
// commands, a person's client lists and executes them, a stranger sees none.
import assert from "node:assert/strict";
import { withProsody } from "../helpers/prosody.js";
import { ACK_FORM, runFormCommand, SILENCE_FORM } from "../../src/commands/adhoc-forms.js";
import { recognisePerson } from "../../src/commands/authorise.js";
import type { CommandContext } from "../../src/commands/types.js";
import { connectClient, connectComponent } from "../../src/xmpp/connect.js";
import { createAdhoc, createDisco } from "../../src/xmpp/disco.js";
import { bareJid } from "../../src/xmpp/jid.js";
import { NS_COMMANDS } from "../../src/xmpp/namespaces.js";
import type { Adhoc, AdhocFields } from "../../src/xmpp/disco.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { coreOf } from "../../src/xmpp/session.js";

describe("xmpp ad-hoc commands on Prosody", function () {
  const server = withProsody();
  const errors: Error[] = [];
  const sessions: XmppSession[] = [];
  const runs: Array<{ fields: AdhocFields; from: string }> = [];
  let botJid: string;
  let aliceJid: string;
  let alice: Adhoc;
  let mallory: Adhoc;
  let aliceSession: XmppSession;
  let mallorySession: XmppSession;

  before(async function () {
    const { prosody, botSecret } = server();
    await prosody.register("alice", "pw-a");
    await prosody.register("mallory", "pw-m");
    const onError = (e: Error): void => void errors.push(e);
    const bot = await connectComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.botJid,
      password: botSecret,
      onError,
    });
    const c2s = `xmpp://127.0.0.1:${prosody.c2sPort}`;
    aliceSession = await connectClient({
      service: c2s,
      domain: prosody.domain,
      username: "alice",
      password: "pw-a",
      resource: "gajim",
      onError,
    });
    const malSession = await connectClient({
      service: c2s,
      domain: prosody.domain,
      username: "mallory",
      password: "pw-m",
      onError,
    });
    sessions.push(bot, aliceSession, malSession);
    mallorySession = malSession;
    [botJid, aliceJid] = [bot.jid, aliceSession.jid];
    [alice, mallory] = [createAdhoc(aliceSession), createAdhoc(malSession)];

    // The bot's side, wired as the integrator would: configured people only, the commands layer decides.
    const people = [{ name: "alice", jid: bareJid(aliceJid) }];
    const disco = createDisco(bot, {
      identities: [{ category: "component", type: "generic" }],
      features: [NS_COMMANDS],
    });
    const adhoc = createAdhoc(bot, { disco });
    for (const command of [ACK_FORM, SILENCE_FORM]) {
      adhoc.onAdhoc({
        node: command.node,
        name: command.name,
        form: command.form,
        allowed: (from) => recognisePerson(people, from) !== null,
        async run(fields, from) {
          runs.push({ fields, from });
          const person = recognisePerson(people, from);
          if (person === null) return { ok: false, text: "Sorry", final: true };
          return runFormCommand(command, (name) => (fields.get(name) ?? []).join("\n"), fakeContext(person));
        },
      });
    }
  });

  after(async () => {
    await Promise.all(sessions.map((s) => s.stop()));
  });

  afterEach(() => {
    assert.deepEqual(
      errors.map((e) => `${e.name}: ${e.message}`),
      [],
    );
  });

  it("lists the commands to a configured person, and none to a stranger", async () => {
    assert.deepEqual(await alice.listAdhoc(botJid), {
      ok: true,
      commands: [
        { jid: botJid, node: "ack", name: "Acknowledge alerts" },
        { jid: botJid, node: "silence", name: "Silence alerts" },
      ],
    });
    assert.deepEqual(await mallory.listAdhoc(botJid), { ok: true, commands: [] });
  });

  it("executing returns the form; submitting it acks and completes with a note", async () => {
    const first = await alice.executeAdhoc(botJid, "ack");
    assert.ok(first.ok && first.status === "executing" && first.sessionId !== "", JSON.stringify(first));
    assert.deepEqual(first.form?.type, "form");
    assert.equal(first.form?.title, "Acknowledge alerts");
    assert.deepEqual(
      first.form?.fields.map((f) => [f.var, f.type, f.label, f.required]),
      [
        ["ids", "text-single", "Alert numbers", true],
        ["duration", "text-single", "For how long", false],
        ["note", "text-multi", "Because", false],
      ],
    );
    await alice.cancelAdhoc(botJid, "ack", first.sessionId);

    const done = await alice.executeAdhoc(botJid, "ack", {
      ids: "42, 43",
      duration: "2h",
      note: ["rebooting", "the box"],
    });
    assert.ok(done.ok, JSON.stringify(done));
    assert.deepEqual(
      { status: done.status, notes: done.notes, form: done.form },
      {
        status: "completed",
        notes: [
          {
            type: "info",
            text: "#42 web1 disk-full acknowledged for 2h by alice because rebooting the box\n#43: no such alert",
          },
        ],
        form: undefined,
      },
    );
    assert.deepEqual(runs.at(-1), {
      fields: new Map([
        ["ids", ["42, 43"]],
        ["duration", ["2h"]],
        ["note", ["rebooting", "the box"]],
      ]),
      from: aliceJid,
    });
  });

  it("shows the form again with the error and the values given, until it is right or cancelled", async () => {
    const wrong = await alice.executeAdhoc(botJid, "silence", { matcher: "colour=red", duration: "2h" });
    assert.ok(wrong.ok && wrong.status === "executing", JSON.stringify(wrong));
    assert.match(wrong.notes[0]?.text ?? "", /^I don't know the field "colour"/);
    assert.equal(wrong.notes[0]?.type, "error");
    assert.deepEqual(wrong.form?.fields.find((f) => f.var === "matcher")?.values, ["colour=red"]);
    assert.deepEqual(await alice.cancelAdhoc(botJid, "silence", wrong.sessionId), {
      ok: true,
      status: "canceled",
      sessionId: wrong.sessionId,
      notes: [],
    });
    const again = await alice.cancelAdhoc(botJid, "silence", wrong.sessionId);
    assert.deepEqual(again.ok ? again : { condition: again.condition, text: again.text }, {
      condition: "bad-request",
      text: "bad-sessionid: unknown or expired session",
    });
  });

  it("refuses strangers, unknown commands and other people's sessions", async () => {
    const refused = await mallory.executeAdhoc(botJid, "ack");
    assert.equal(refused.ok ? refused.status : refused.condition, "forbidden");
    const unknown = await alice.executeAdhoc(botJid, "reboot");
    assert.equal(unknown.ok ? unknown.status : unknown.condition, "item-not-found");
    const started = await alice.executeAdhoc(botJid, "ack");
    assert.ok(started.ok);
    // A session id is alice's alone: the same id from another resource of hers is refused too.
    const other = await connectClient({
      service: `xmpp://127.0.0.1:${server().prosody.c2sPort}`,
      domain: server().prosody.domain,
      username: "alice",
      password: "pw-a",
      resource: "phone",
    });
    sessions.push(other);
    const stolen = await createAdhoc(other).cancelAdhoc(botJid, "ack", started.sessionId);
    assert.equal(stolen.ok ? stolen.status : stolen.condition, "bad-request");
    assert.equal(
      runs.some((r) => r.from.startsWith("mallory")),
      false,
    );
  });

  it("describes a command node to those who may run it (XEP-0050 §2.2), and to nobody else", async () => {
    const info = await createDisco(aliceSession).discoInfo(botJid, "ack");
    assert.ok(info.ok, JSON.stringify(info));
    assert.deepEqual(info.identities, [{ category: "automation", type: "command-node", name: "Acknowledge alerts" }]);
    assert.deepEqual([...info.features].sort(), ["http://jabber.org/protocol/commands", "jabber:x:data"]);
    const list = await createDisco(aliceSession).discoInfo(botJid, NS_COMMANDS);
    assert.ok(list.ok && list.identities[0]?.type === "command-list", JSON.stringify(list));
    const stranger = await createDisco(mallorySession).discoInfo(botJid, "ack");
    assert.equal(stranger.ok ? "ok" : stranger.condition, "item-not-found");
    const none = await createDisco(aliceSession).discoInfo(botJid, "frob");
    assert.equal(none.ok ? "ok" : none.condition, "item-not-found");
  });

  it("answers disco#items for the commands node only", async () => {
    const core = coreOf(aliceSession);
    const { xml } = core;
    const root = await core.request(
      xml("iq", { type: "get", to: botJid }, xml("query", { xmlns: "http://jabber.org/protocol/disco#items" })),
      "items",
    );
    assert.ok(root.ok);
    assert.equal(root.stanza.getChild("query")?.getChildren("item").length, 0);
    const other = await core.request(
      xml(
        "iq",
        { type: "get", to: botJid },
        xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: "x" }),
      ),
      "items",
    );
    assert.equal(other.ok ? "ok" : other.condition, "item-not-found");
    assert.equal(NS_COMMANDS, "http://jabber.org/protocol/commands");
  });
});

const NOW = Date.UTC(2025, 0, 1, 12);

function fakeContext(person: NonNullable<ReturnType<typeof recognisePerson>>): CommandContext {
  const disk = {
    shortId: 42,
    source: "web1",
    alertId: "disk-full",
    status: "raised" as const,
    subject: "web1",
    summary: "",
    detail: "",
    importance: 50,
    raisedAt: NOW,
    clearedAt: null,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack: null,
    policyDueAt: null,
    updatedAt: NOW,
  };
  return {
    person,
    now: NOW,
    ackDefaultMs: 3_600_000,
    ackMaxMs: 86_400_000,
    alerts: {
      list: () => [disk],
      ack: (id, ack) => (id === 42 ? { ok: true, alert: { ...disk, ack } } : { ok: false, reason: "not-found" }),
    },
  };
}
