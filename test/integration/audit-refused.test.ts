// The audit node refuses an entry for good, for real: ejabberd with every node's max_payload_size
// set low (mod_pubsub default_node_config), the installed AlertBot as a process, and a burst of
// Mauve UDP updates with long summaries, as a real mauvesend sends them. Before, the feed sent the
// refused entry again every second for ever, and nothing after it reached the node: the feed an
// ops person reads went silent, with a warning every 10 minutes in AlertBot's log. Now a note takes
// the entry's place, saying what is missing and where to read it, and the feed goes on. The status
// board, refused whole, stood unchanged on its node; now it goes out cut to fewer lines.
import assert from "node:assert/strict";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import { writeBotConfig } from "../helpers/process-bot.js";
import { withProcesses } from "../helpers/process-fixture.js";
import { mauveTextPacket, sendUdp } from "../helpers/mauve-udp.js";
import { withEjabberd } from "../helpers/prosody.js";
import { PersonClient } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

/** Below what an entry of a few lines with long summaries takes, above a lone line's; below a board of 50 lines. */
const MAX_PAYLOAD_BYTES = 6_000;
const BURST = 50;

describe("the audit and status feeds when the server refuses an item for good (ejabberd, max_payload_size)", function () {
  this.timeout(240_000);
  const server = withEjabberd({ pubsubMaxPayloadBytes: MAX_PAYLOAD_BYTES });
  const fx = withProcesses(server);

  it("publishes a note in a refused entry's place and goes on with the lines after it; cuts a refused board to fewer lines", async () => {
    const t = server();
    const d = t.prosody.domain;
    const dir = fx.dir("mauve-audit-refused-");
    const config = writeBotConfig(
      t,
      dir,
      `people:\n  - { name: ops, jid: ops@${d} }\nudp:\n  listen: "127.0.0.1:0"\n  allow: ["127.0.0.1/32"]\n`,
    );
    const bot = await fx.startBot(config);
    const port = Number(bot.withMsg("listening for Mauve UDP updates")[0]?.["port"]);
    assert.ok(port > 0, "the bot says where it listens");

    const now = Math.floor(Date.now() / 1000);
    let transmission = 1n;
    const send = (id: string, summary: string) =>
      sendUdp(
        mauveTextPacket(
          [
            `transmission_id: ${transmission++}`,
            'source: "reports"',
            "replace: false",
            `alert { id: "${id}" raise_time: ${now} clear_time: 0 summary: "${summary}" }`,
            `transmission_time: ${now}`,
          ].join("\n"),
        ),
        port,
      );
    // Lines that come together share entries, each far above the node's limit.
    const longSummary = "a long report, ".repeat(200);
    // Paced, not all at once: a burst of datagrams this size can overflow the socket's receive
    // buffer, and this test is about what follows them.
    for (let i = 0; i < BURST; i++) {
      await send(`report${i}`, `${i}: ${longSummary}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const refused = await bot.waitForLog(
      "the refused entry to be said",
      (l) => String(l["msg"]).startsWith("the server refused an audit entry for good"),
      60_000,
    );
    assert.equal(
      refused["msg"],
      "the server refused an audit entry for good: published a note in its place, and the feed goes on",
    );
    assert.match(String(refused["refusal"]), /^not-acceptable/);

    // A line after the refused ones reaches the node: the feed is not stuck.
    await send("after", "one short line");
    // An ops person reading the nodes, over c2s as any client does.
    const ops = await PersonClient.login(t, "ops");
    try {
      const pubsub = createPubsub(ops.session);
      const texts = await waitFor(
        "the line after the refused entries on the audit node",
        async () => {
          const got = await pubsub.getItems(t.prosody.pubsubJid, "mauve/audit");
          assert.ok(got.ok, `ops reads the audit node: ${JSON.stringify(got)}`);
          const all = got.items.map((i) => i.text ?? "");
          return all.some((x) => /reports after raised/.test(x)) ? all : undefined;
        },
        60_000,
      );
      const notes = texts.filter((x) =>
        /events? not shown here: the server refused their entry \(not-acceptable/.test(x),
      );
      assert.ok(notes.length > 0, `a note where the entry was refused, among:\n${texts.join("\n---\n")}`);
      assert.match(notes[0]!, /say "history <id>" to AlertBot/);

      // The board, refused whole, goes out cut to fewer lines: its counts are today's.
      const board = await waitFor(
        "the board to count every alert",
        async () => {
          const got = await pubsub.getItems(t.prosody.pubsubJid, "mauve/status");
          assert.ok(got.ok, `ops reads the status node: ${JSON.stringify(got)}`);
          const text = got.items.at(-1)?.text ?? "";
          // The entry's text is its elements' a line each: id, title, summary, updated.
          return text.split("\n").includes(`${BURST + 1} raised, 0 acked, 0 silenced`) ? text : undefined;
        },
        60_000,
      );
      assert.match(board, new RegExp(`…and ${BURST + 1 - 10} more: say "show 100" to AlertBot`));
      // Its log line may reach this process after the board reached ops: waited for, then counted.
      const cut = (l: Record<string, unknown>): boolean =>
        l["level"] === "warn" &&
        /^the server refused the status board for good; published it with 10 of its/.test(String(l["msg"]));
      await bot.waitForLog("the cut board to be said", cut, 30_000);
      assert.equal(bot.logs.filter(cut).length, 1, "said once");
    } finally {
      await ops.stop();
    }
    assert.equal(bot.withMsg("audit publish failed; will retry").length, 0, "no retry of a refused entry");
    assert.equal(bot.hasExited, false);
  });
});
