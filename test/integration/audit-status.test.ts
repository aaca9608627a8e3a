// The audit and status nodes, read by plain clients: configured people may, strangers may not.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { AUDIT_NODE, LINES_PER_ITEM, STATUS_NODE } from "../../src/bot/audit-feed.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("audit and status nodes", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient;
  let mallory: PersonClient;
  after(async () => {
    await agent?.stop();
    await bot?.stop();
    await alice?.stop();
    await mallory?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = withProsody();

  before(async () => {
    dir = tempDir("mauve-audit-");
    const t = server();
    alice = await PersonClient.login(t, "alice");
    mallory = await PersonClient.login(t, "mallory");
    bot = await startBot(t, dir, ["alice"], new LogLines().logger);
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      new LogLines().logger,
    );
    await alice.expect(/RAISED #\d+ web1 disk-full/);
  });

  it("publishes every history event to the audit node, readable as text by a configured person", async () => {
    const pubsub = createPubsub(alice.session);
    // The notice is stored once its send is done, so it may reach the feed a poll after the raise.
    const lines = [/web1 disk-full raised by web1@/, /web1 disk-full notified by bot/];
    const found = await pollItems(
      () => pubsub.getItems(server().prosody.pubsubJid, AUDIT_NODE),
      (texts) => lines.every((line) => texts.some((t) => line.test(t))),
    );
    assert.ok(
      found.some((t) => /web1 disk-full notified by bot/.test(t)),
      `the notice is in the feed too: ${found.join(" | ")}`,
    );
  });

  it("keeps up with a burst: lines that piled up share items, and every line is published", async () => {
    const [alert] = bot!.store.alerts.list("raised");
    const at = Date.now();
    const burst = Array.from({ length: 1_500 }, (_, i) => ({
      kind: "noted" as const,
      at,
      actor: "burst",
      detail: `burst line ${i}`,
    }));
    bot!.store.transaction(() => bot!.store.alerts.record(alert!.shortId, burst));
    const lastId = bot!.store.alerts.history(alert!.shortId).at(-1)!.id;
    const pubsub = createPubsub(alice.session);
    await waitFor(
      "the feed to catch up with the burst",
      () => Number(bot!.store.policy.botState("audit-cursor")) >= lastId,
      { timeoutMs: 30_000, everyMs: 100 },
    );
    const r = await pubsub.getItems(server().prosody.pubsubJid, AUDIT_NODE);
    assert.ok(r.ok, "alice reads the feed");
    const burstItems = r.items.filter((i) => /burst line/.test(i.text ?? ""));
    const lines = burstItems.flatMap((i) => (i.text ?? "").split("\n").filter((l) => /burst line/.test(l)));
    assert.ok(burstItems.length <= Math.ceil(1_500 / LINES_PER_ITEM) + 2, `${burstItems.length} items for 1,500 lines`);
    const numbers = lines.map((l) => Number(/burst line (\d+)/.exec(l)![1]));
    assert.deepEqual(
      [...new Set(numbers)].sort((a, b) => a - b),
      Array.from({ length: 1_500 }, (_, i) => i),
      "every line is in the feed",
    );
  });

  it("keeps the current board on the status node", async () => {
    const pubsub = createPubsub(alice.session);
    const [board] = await pollItems(
      () => pubsub.getItems(server().prosody.pubsubJid, STATUS_NODE),
      (texts) => texts.some((t) => /1 raised/.test(t)),
    );
    assert.match(board ?? "", /1 raised, 0 acked, 0 silenced[\s\S]*#\d+ web1 disk-full: Disk full/);
  });

  it("refuses a stranger who tries to read them", async () => {
    const r = await createPubsub(mallory.session).getItems(server().prosody.pubsubJid, AUDIT_NODE);
    assert.equal(r.ok, false);
    assert.equal(r.ok ? "" : r.condition, "forbidden");
  });
});

/** Reads a node's items until their texts satisfy `done` (the feed publishes every second). */
function pollItems(
  read: () => Promise<{ ok: true; items: Array<{ text?: string }> } | { ok: false; condition: string }>,
  done: (texts: string[]) => boolean,
): Promise<string[]> {
  return waitFor(
    "the node's items to match",
    async () => {
      const r = await read();
      const texts = r.ok ? r.items.map((i) => i.text ?? "") : [];
      return done(texts) && texts;
    },
    { everyMs: 200 },
  );
}
