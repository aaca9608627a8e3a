// The audit and status nodes, read by plain clients: configured people may, strangers may not.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { AUDIT_NODE, STATUS_NODE } from "../../src/bot/audit-feed.js";
import { createPubsub } from "../../src/xmpp/index.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";

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
    agent = await startAgent(t, dir, "web1", "  - { id: disk-full, summary: Disk full, state: raised }", new LogLines().logger);
    await alice.expect(/RAISED #\d+ web1 disk-full/);
  });

  it("publishes every history event to the audit node, readable as text by a configured person", async () => {
    const pubsub = createPubsub(alice.session);
    const found = await pollItems(() => pubsub.getItems(server().prosody.pubsubJid, AUDIT_NODE), (texts) => texts.some((t) => /web1 disk-full raised by web1@/.test(t)));
    assert.ok(found.some((t) => /web1 disk-full notified by bot/.test(t)), `the notice is in the feed too: ${found.join(" | ")}`);
  });

  it("keeps the current board on the status node", async () => {
    const pubsub = createPubsub(alice.session);
    const [board] = await pollItems(() => pubsub.getItems(server().prosody.pubsubJid, STATUS_NODE), (texts) => texts.some((t) => /1 raised/.test(t)));
    assert.match(board ?? "", /1 raised, 0 acked, 0 silenced[\s\S]*#\d+ web1 disk-full: Disk full/);
  });

  it("refuses a stranger who tries to read them", async () => {
    const r = await createPubsub(mallory.session).getItems(server().prosody.pubsubJid, AUDIT_NODE);
    assert.equal(r.ok, false);
    assert.equal(r.ok ? "" : r.condition, "forbidden");
  });
});

/** Reads a node's items until their texts satisfy `done` (the feed publishes every second). */
async function pollItems(
  read: () => Promise<{ ok: true; items: Array<{ text?: string }> } | { ok: false; condition: string }>,
  done: (texts: string[]) => boolean,
): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await read();
    const texts = r.ok ? r.items.map((i) => i.text ?? "") : [];
    if (done(texts)) return texts;
    if (Date.now() > deadline) throw new Error(`items never matched; last read: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
