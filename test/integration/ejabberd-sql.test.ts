// Catch-up after an AlertBot restart on a real ejabberd 23.01 that keeps pubsub in SQLite
// (default_db: sql). Its SQL backend lists a node's items oldest first, but newest first when the
// request names max_items (Mnesia and Prosody: oldest first either way). AlertBot must apply what
// it catches up in the order the agent sent it, whichever order the server lists.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { inSenderOrder } from "../../src/bot/catch-up.js";
import { unwrapPayload } from "../../src/codec/payload.js";
import { connectComponent } from "../../src/xmpp/connect.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import type { PubsubItem } from "../../src/xmpp/pubsub.js";
import { withEjabberd } from "../helpers/prosody.js";
import { LogLines, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("catch-up on ejabberd with SQL storage (SQLite)", function () {
  this.timeout(120_000);
  let dir: string;
  const botLog = new LogLines();
  const agentLog = new LogLines();
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;

  // Registered before the server's hooks so that it runs before ejabberd is stopped.
  after(async () => {
    await agent?.stop();
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const server = withEjabberd({ storage: "sql" });

  before(async () => {
    dir = tempDir("mauve-ejabberd-sql-");
    const t = server();
    bot = await startBot(t, dir, ["alice"], botLog.logger);
    agent = await startAgent(
      t,
      dir,
      "web1",
      `
  - id: disk
    summary: disk 90%
    state: raised`,
      agentLog.logger,
    );
    await waitFor("web1 disk stored", () => bot!.store.alerts.find("web1", "disk"));
  });

  it("lists items oldest first (newest first with max_items) and AlertBot applies them in the agent's order", async () => {
    const t = server();
    const { prosody } = t;
    await bot!.stop();
    bot = undefined;
    const summaries = ["disk 91%", "disk 92%", "disk 93%", "disk 94%", "disk 95%"];
    for (const summary of summaries) {
      agent!.change([{ id: "disk", summary, state: "raised" }]);
      // One publish at a time: each is its own retained item with its own sequence.
      await waitFor(`${summary} has left the outbox`, () => agent!.core.backlog() === 0 || undefined);
    }

    // What the server itself returns, read as the component while AlertBot is away.
    const reader = await connectComponent({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.botJid,
      password: t.botSecret,
    });
    const descending = (a: bigint, b: bigint): number => (a > b ? -1 : a < b ? 1 : 0);
    const sequencesOf = (items: readonly PubsubItem[]): bigint[] =>
      items.map((item) => {
        assert.ok(item.payload, `item ${item.itemId} carries a Mauve update`);
        return unwrapPayload(item.payload).sequence;
      });
    let all: bigint[];
    let lastItems: PubsubItem[];
    try {
      const read = async (max?: number): Promise<PubsubItem[]> => {
        const items = await createPubsub(reader).getItems(prosody.pubsubJid, "mauve/alerts/web1", max);
        assert.ok(items.ok, `cannot read the agent's node: ${JSON.stringify(items)}`);
        return items.items;
      };
      all = sequencesOf(await read());
      lastItems = await read(summaries.length);
    } finally {
      await reader.stop();
    }
    assert.ok(all.length >= summaries.length + 1, `all updates retained: ${all.join(", ")}`);
    // 23.01's node_flat_sql: a plain items request is "order by creation asc" (oldest first); with
    // max_items it becomes an RSM last page, "order by creation desc" (newest first), not reversed.
    assert.deepEqual(
      all,
      [...all].sort((a, b) => descending(b, a)),
      `all items oldest first: ${all.join(", ")}`,
    );
    const last = sequencesOf(lastItems);
    assert.equal(last.length, summaries.length, `max_items honoured: ${last.join(", ")}`);
    assert.deepEqual(
      last,
      [...all].sort(descending).slice(0, summaries.length),
      `last items newest first: ${last.join(", ")}`,
    );

    // The order AlertBot's catch-up puts such a newest-first list in before applying it.
    assert.deepEqual(sequencesOf(inSenderOrder(lastItems)), [...last].reverse(), "put back in the agent's order");

    const staleBefore = botLog.withMsg("stale update ignored").length;
    const rejectedBefore = botLog.withMsg("update rejected").length;
    bot = await startBot(t, dir, ["alice"], botLog.logger);
    await waitFor(
      "the last update applied",
      () => bot!.store.alerts.find("web1", "disk")?.summary === "disk 95%" || undefined,
    );
    const alert = bot.store.alerts.find("web1", "disk")!;
    assert.equal(alert.status, "raised");
    const updated = bot.store.alerts
      .history(alert.shortId)
      .filter((h) => h.kind === "updated")
      .map((h) => h.detail);
    assert.deepEqual(updated, summaries, "every update applied, oldest first");
    assert.equal(botLog.withMsg("stale update ignored").length - staleBefore, 0, "no retained update refused as stale");
    assert.equal(botLog.withMsg("update rejected").length - rejectedBefore, 0, "no retained update rejected");
  });
});
