// Ops browsing the alert nodes with their own Jabber client on a real Prosody (or ejabberd:
// MAUVE_TEST_SERVER): configured people list the nodes, fetch the items and read each one's text
// line; a stranger reads nothing; who may read follows the people in the config when it is reloaded.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { runBot, type RunningBot } from "../../src/bot/run-bot.js";
import { createDisco } from "../../src/xmpp/disco.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import { systemClock } from "../../src/clock/clock.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { botConfigYaml, BOT_SECRET_ENV } from "../helpers/process-bot.js";
import { defaultTestServer, refusedReadCondition, withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const REFUSED = refusedReadCondition();

describe("alert nodes browsed by people's own clients", function () {
  this.timeout(60_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  const people: PersonClient[] = [];
  let alice: PersonClient, bob: PersonClient, carol: PersonClient, mallory: PersonClient;
  const node = "mauve/alerts/web1";
  const config = (names: string[]) => {
    const t = server();
    const yaml = botConfigYaml(
      t,
      dir,
      `people:\n${names.map((n) => `  - name: ${n}\n    jid: ${n}@${t.prosody.domain}`).join("\n")}\nalerts:\n  ack_default: 1h\n`,
    );
    return loadBotConfig(yaml, { file: "alertbot.yaml", env: { [BOT_SECRET_ENV]: t.botSecret } });
  };
  const itemsAs = (who: PersonClient) => createPubsub(who.session).getItems(server().prosody.pubsubJid, node);

  before(async () => {
    dir = tempDir("mauve-nodes-");
    const t = server();
    for (const name of ["alice", "bob", "carol", "mallory"]) people.push(await PersonClient.login(t, name));
    [alice, bob, carol, mallory] = people as [PersonClient, PersonClient, PersonClient, PersonClient];
    bot = await runBot(config(["alice", "bob"]), systemClock, new LogLines().logger);
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk / is 97% full, state: raised }",
      new LogLines().logger,
    );
    await alice.expect(/RAISED #\d+ web1 disk-full/);
  });

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    for (const p of people) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a configured person lists the nodes, fetches the items and reads the text line", async () => {
    const listed = await createDisco(alice.session).discoItems(server().prosody.pubsubJid);
    assert.ok(listed.ok, JSON.stringify(listed));
    assert.ok(
      listed.items.some((i) => i.node === node),
      JSON.stringify(listed.items),
    );
    const items = await itemsAs(alice);
    assert.ok(items.ok, JSON.stringify(items));
    const texts = items.items.map((i) => i.payload?.text ?? "");
    assert.ok(
      texts.some((t) => /disk-full/.test(t) && /97% full/.test(t)),
      texts.join(" | "),
    );
  });

  it("lists no node names (host names) to a stranger, nor any node's items", async () => {
    const listed = await createDisco(mallory.session).discoItems(server().prosody.pubsubJid);
    assert.ok(listed.ok, JSON.stringify(listed));
    const ours = listed.items.filter((i) => i.node?.startsWith("mauve/"));
    if (defaultTestServer() === "ejabberd") {
      // ejabberd 23.01 lists every node of the service to anyone who asks, whatever its access
      // model, and no option changes that (docs/security.md): the known gap, pinned here so that
      // a server that starts hiding them shows up. Their items stay out of reach (below).
      assert.ok(
        ours.some((i) => i.node === node),
        JSON.stringify(ours),
      );
      const ofNode = await createDisco(mallory.session).discoItems(server().prosody.pubsubJid, node);
      assert.deepEqual(ofNode.ok ? ofNode.items : ofNode.condition, [], "no item of the node listed");
      return;
    }
    assert.deepEqual(ours, []);
    const ofNode = await createDisco(mallory.session).discoItems(server().prosody.pubsubJid, node);
    assert.equal(ofNode.ok ? "listed" : ofNode.condition, "forbidden");
  });

  it("refuses a stranger the items", async () => {
    const items = await itemsAs(mallory);
    assert.equal(items.ok ? "read" : items.condition, REFUSED);
  });

  it("follows the config on reload: someone added may read, someone removed may not", async () => {
    const before = await itemsAs(carol);
    assert.equal(before.ok ? "read" : before.condition, REFUSED);
    await bot!.reload(config(["alice", "carol"]));
    const after = await itemsAs(carol);
    assert.ok(after.ok && after.items.length > 0, JSON.stringify(after));
    const removed = await itemsAs(bob);
    assert.equal(removed.ok ? "read" : removed.condition, REFUSED);
  });

  it("gives people read access to a node provisioned while the bot runs", async () => {
    const db = await startAgent(
      server(),
      dir,
      "db1",
      "  - { id: replication, summary: Replication lag, state: raised }",
      new LogLines().logger,
    );
    try {
      await alice.expect(/RAISED #\d+ db1 replication/);
      // A node the agent created itself (ejabberd) is adopted, and its readers granted, in the background.
      let read: Awaited<ReturnType<typeof itemsAs>> | undefined;
      await waitFor(
        "carol to be let read db1's node",
        async () => {
          read = await createPubsub(carol.session).getItems(server().prosody.pubsubJid, "mauve/alerts/db1");
          return read.ok && read.items.some((i) => /Replication lag/.test(i.payload?.text ?? ""));
        },
        { timeoutMs: 30_000, everyMs: 250 },
      ).catch(() => assert.fail(JSON.stringify(read)));
      const refused = await createPubsub(mallory.session).getItems(server().prosody.pubsubJid, "mauve/alerts/db1");
      assert.equal(refused.ok ? "read" : refused.condition, REFUSED);
    } finally {
      await db.stop();
    }
  });
});
