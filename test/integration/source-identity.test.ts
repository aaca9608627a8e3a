// Sources no one can imitate: an adversarial XMPP account asks AlertBot for look-alikes of an agent's
// source, and real UDP packets carry them, against a real Prosody and a real AlertBot process; and a
// source that only UDP has spoken for goes to no XMPP account but the one `udp.handover` names.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { encodeUpdate } from "../../src/codec/protobuf.js";
import { wrapPayload } from "../../src/codec/payload.js";
import { Store } from "../../src/store/store.js";
import { createProvisioning } from "../../src/xmpp/provisioning.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import { defaultTestServer, withProsody } from "../helpers/prosody.js";
import type { ChildRun } from "../helpers/process-child.js";
import { startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { LogLines, PersonClient, startAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";
import { alert, update } from "../helpers/updates.js";

function sendUdp(bytes: Uint8Array, port: number): Promise<void> {
  const socket = createSocket("udp4");
  return new Promise((resolve, reject) =>
    socket.send(bytes, port, "127.0.0.1", (err) => (socket.close(), err ? reject(err) : resolve())),
  );
}

// web1's look-alikes: case, trailing and inner space, zero-width space, Cyrillic "е" (U+0435), NBSP,
// ASCII drawn alike, and separators at either end.
const LOOKALIKES = [
  "WEB1",
  "Web1",
  "web1 ",
  "we b1",
  "web1\u200b",
  "w\u0435b1",
  "web1\u00a0",
  "webl",
  "WEBI",
  "vveb1",
  "web1.",
  "web1-",
  "-web1",
  "web1_",
  "_web1",
  "-.web1",
  "web1._",
];

describe("sources no one can imitate (real Prosody, real AlertBot process, real UDP)", function () {
  this.timeout(90_000);
  let dir: string;
  let bot: ChildRun | undefined;
  let web1: RunningAgent | undefined;
  let alice: PersonClient;
  let mallory: PersonClient;
  let heir: PersonClient;
  let legacy1: PersonClient;
  let udpPort = 0;

  after(async () => {
    await web1?.stop();
    for (const p of [alice, mallory, heir, legacy1]) await p?.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && bot)
      process.stderr.write(`\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-5000)}\n---\n`);
  });
  const server = withProsody();
  const now = (): number => Math.floor(Date.now() / 1000);
  const provision = (who: PersonClient, source: string) =>
    createProvisioning(who.session).requestNodeProvisioning(server().prosody.botJid, `mauve/alerts/${source}`);
  const inStore = <T>(read: (store: Store) => T): T => {
    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      return read(store);
    } finally {
      store.close();
    }
  };
  // UDP is one datagram at a time, in order: once a marker sent after them is applied, they were all handled.
  let markers = 0;
  const udpBarrier = async (): Promise<void> => {
    const id = `marker-${++markers}`;
    await sendUdp(encodeUpdate(update("udp-marker", [alert(id)])), udpPort);
    await waitFor(`UDP marker ${id}`, () => inStore((s) => s.alerts.find("udp-marker", id)));
  };

  before(async () => {
    dir = tempDir("mauve-sources-");
    const t = server();
    const d = t.prosody.domain;
    alice = await PersonClient.login(t, "alice");
    mallory = await PersonClient.login(t, "mallory");
    heir = await PersonClient.login(t, "heir");
    legacy1 = await PersonClient.login(t, "legacy1");
    const config = writeBotConfig(
      t,
      dir,
      `people:
  - { name: alice, jid: alice@${d} }
udp:
  listen: "127.0.0.1:0"
  allow: ["127.0.0.1/32"]
  handover:
    LEGACY2: heir@${d}
`,
    );
    bot = await startBotProcess(t, config);
    const listening = await bot.waitForLog("the UDP listener", (l) => l["msg"] === "listening for Mauve UDP updates");
    udpPort = Number(listening["port"]);
    web1 = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      new LogLines().logger,
    );
    await waitFor("web1's alert", () => inStore((s) => s.alerts.find("web1", "disk-full")));
  });

  it("refuses another account every look-alike of web1 (case, spaces, zero-width, Cyrillic, ASCII drawn alike), with an XMPP error and a log line", async () => {
    const before =
      bot!.withMsg("provisioning refused: look-alike source").length +
      bot!.withMsg("provisioning refused: bad source name").length;
    for (const fake of [...LOOKALIKES, "web1"]) {
      const r = await provision(mallory, fake);
      assert.equal(r.ok, false, JSON.stringify(fake));
      if (!r.ok)
        assert.ok(["forbidden", "not-acceptable"].includes(r.condition), `${JSON.stringify(fake)}: ${r.condition}`);
    }
    // The log comes down the bot's stderr, the refusals through Prosody: wait for the log to catch up.
    const refusals = await waitFor("every refusal logged", () => {
      const all = [
        ...bot!.withMsg("provisioning refused: look-alike source"),
        ...bot!.withMsg("provisioning refused: bad source name"),
      ];
      return all.length - before >= LOOKALIKES.length &&
        bot!.withMsg("provisioning refused: source belongs to another account").length > 0
        ? all
        : undefined;
    });
    assert.equal(refusals.length - before, LOOKALIKES.length);
    assert.match(
      String(bot!.withMsg("provisioning refused: look-alike source")[0]?.["reason"]),
      /source "WEB1" differs only in letter case from the known source "web1"/,
    );
    assert.ok(
      bot!
        .withMsg("provisioning refused: bad source name")
        .some((l) => /U\+0435 at character 2/.test(String(l["reason"]))),
    );
    assert.ok(
      bot!
        .withMsg("provisioning refused: source belongs to another account")
        .some((l) => l["agent"] === `mallory@${server().prosody.domain}`),
    );
    // Nothing was created on the server, and web1 is still web1's. Alice, a configured person, sees
    // every agent node; mallory, a stranger, is shown none on Prosody (mod_mauve_private_nodes).
    const listing = await createPubsub(alice.session).listNodes(server().prosody.pubsubJid);
    assert.ok(listing.ok);
    if (listing.ok)
      assert.deepEqual(
        listing.nodes.map((n) => n.node).filter((n) => n.startsWith("mauve/alerts/")),
        ["mauve/alerts/web1"],
      );
    // ejabberd lists every node to anyone (the known gap pinned in node-access.test.ts).
    const strangers = await createPubsub(mallory.session).listNodes(server().prosody.pubsubJid);
    assert.ok(strangers.ok);
    if (strangers.ok && defaultTestServer() !== "ejabberd")
      assert.deepEqual(
        strangers.nodes.map((n) => n.node).filter((n) => n.startsWith("mauve/alerts/")),
        [],
      );
    assert.deepEqual(
      inStore((s) => s.sources.all().map((x) => [x.source, x.ownerJid])),
      [["web1", `web1@${server().prosody.domain}`]],
    );
    web1!.change([{ id: "disk-full", state: "cleared" }]);
    await waitFor("web1 still heard", () => inStore((s) => s.alerts.find("web1", "disk-full")?.status === "cleared"));
  });

  it("lets only one of two spellings asked for at the same moment through", async () => {
    const [a, b] = await Promise.all([provision(mallory, "race1"), provision(heir, "RACE1")]);
    assert.equal([a, b].filter((r) => r.ok).length, 1, JSON.stringify([a, b]));
    assert.equal(
      inStore((s) => s.sources.all().filter((x) => x.source.toLowerCase() === "race1").length),
      1,
    );
  });

  it("rejects UDP packets from every look-alike, counting and logging each with its reason; show lists no fake", async () => {
    const before = bot!.withMsg("update rejected").length;
    for (const fake of LOOKALIKES)
      await sendUdp(encodeUpdate(update(fake, [alert("disk-full", { summary: "fake" })])), udpPort);
    await udpBarrier();
    const rejected = await waitFor("every rejection logged", () => {
      const lines = bot!.withMsg("update rejected").slice(before);
      return lines.length >= LOOKALIKES.length && bot!.withMsg("UDP update rejected").length > 0 ? lines : undefined;
    });
    const reasons = new Map(rejected.map((l) => [String(l["source"]), String(l["reason"])]));
    assert.deepEqual(rejected.map((l) => [l["via"], l["source"]]).sort(), LOOKALIKES.map((s) => ["udp", s]).sort());
    assert.equal(reasons.get("WEB1"), 'source "WEB1" differs only in letter case from the known source "web1"');
    assert.match(reasons.get("vveb1") ?? "", /^source "vveb1" reads like the known source "web1" \(/);
    assert.match(reasons.get("web1\u200b") ?? "", /^source "web1\\u200b" has U\+200B at character 5: /);
    assert.match(reasons.get("w\u0435b1") ?? "", /^source "w\\u0435b1" has U\+0435 at character 2: /);
    assert.match(String(bot!.withMsg("UDP update rejected")[0]?.["reason"]), /web1/);
    assert.equal(
      inStore((s) =>
        s.sources
          .all()
          .filter((x) => x.source.toLowerCase().includes("b1"))
          .map((x) => x.source),
      ).join(),
      "web1",
    );
    await alice.say(server().prosody.botJid, "show all");
    const board = await alice.expect(/disk-full/);
    assert.doesNotMatch(board, /fake/);
  });

  it("keeps AlertBot's own source and the alerts it raises in an agent's source from every sender, with the reason logged", async () => {
    const self = server().prosody.botJid;
    const before = bot!.withMsg("update rejected").length;
    // A UDP sender would clear AlertBot's own alerts (replace) and raise a fake in its name, in its
    // exact name and in one reading like it; another would name the host-down alert of web1.
    for (const source of [self, self.toUpperCase(), `${self}-`])
      await sendUdp(
        encodeUpdate(update(source, [alert("xmpp-link", { summary: "fake: all is fine" })], { replace: true })),
        udpPort,
      );
    await sendUdp(encodeUpdate(update("web1", [alert("mauve-host-down", { clearTimeS: now() })])), udpPort);
    await udpBarrier();
    const rejected = await waitFor("four rejections logged", () => {
      const lines = bot!.withMsg("update rejected").slice(before);
      return lines.length >= 4 ? lines : undefined;
    });
    assert.deepEqual(
      rejected.map((l) => [l["source"], String(l["reason"]).replace(/^.*?(AlertBot's own).*$/, "$1")]),
      [
        [self, "AlertBot's own"],
        [self.toUpperCase(), "AlertBot's own"],
        [`${self}-`, "AlertBot's own"],
        ["web1", "AlertBot's own"],
      ],
    );
    assert.equal(
      inStore((s) => s.alerts.list("all").filter((a) => a.summary.startsWith("fake")).length),
      0,
    );
    // Nor may an account have AlertBot's own node made for it.
    const asked = await provision(mallory, self);
    assert.deepEqual(asked.ok ? "ok" : [asked.condition, asked.text], [
      "forbidden",
      `source "${self}" is AlertBot's own: only AlertBot raises and clears its alerts`,
    ]);
    assert.equal(
      inStore((s) => s.sources.get(self)),
      undefined,
    );
  });

  it("gives a source only UDP has spoken for to no XMPP account but the one udp.handover names", async () => {
    const d = server().prosody.domain;
    for (const source of ["legacy1", "legacy2"])
      await sendUdp(encodeUpdate(update(source, [alert("disk", { summary: "from UDP" })])), udpPort);
    await udpBarrier();
    // Not even an account of the same name: UDP has no identity to compare it with.
    const named = await provision(legacy1, "legacy1");
    assert.deepEqual(named.ok ? "ok" : [named.condition, named.text], [
      "forbidden",
      `source "legacy1" has been heard without an account (over UDP or HTTP); an admin can give it to legacy1@${d} with udp.handover in the bot's config`,
    ]);
    const stolen = await provision(mallory, "legacy2");
    assert.equal(stolen.ok ? "ok" : stolen.condition, "forbidden");
    await waitFor(
      "both refusals logged",
      () => bot!.withMsg("provisioning refused: source spoken for by UDP").length >= 2,
    );
    // The account the admin named (as "LEGACY2": keys are read as sources are told apart) takes
    // legacy2 over, publishes to it, and keeps it.
    assert.deepEqual(await provision(heir, "legacy2"), { ok: true });
    assert.equal(
      inStore((s) => s.sources.get("legacy2")?.ownerJid),
      `heir@${d}`,
    );
    const published = await createPubsub(heir.session).publish(
      server().prosody.pubsubJid,
      "mauve/alerts/legacy2",
      wrapPayload(update("legacy2", [alert("disk", { clearTimeS: now(), summary: "from XMPP" })])),
    );
    assert.ok(published.ok);
    await waitFor("heir's update", () => inStore((s) => s.alerts.find("legacy2", "disk")?.status === "cleared"));
    const late = await provision(mallory, "legacy2");
    assert.deepEqual(late.ok ? "ok" : [late.condition, late.text], [
      "forbidden",
      'source "legacy2" belongs to another account',
    ]);
    assert.deepEqual(
      inStore((s) => [s.sources.get("legacy1")?.ownerJid, s.sources.get("legacy2")?.ownerJid]),
      ["", `heir@${d}`],
    );
  });
});
