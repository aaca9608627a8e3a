// A burst of Mauve UDP datagrams into the installed AlertBot, as every host's cron sends its
// mauvesend at the same minute. Datagrams beyond the socket's receive buffer are dropped by the
// kernel unread; before, nothing said so (half of a burst of 500 was lost on this machine, the
// kernel's default buffer being 208 KiB), and the alerts they carried were missing until their
// senders sent again. Now AlertBot asks for a larger buffer, reads the kernel's count of drops,
// raises its refused-updates alert with it, and counts them in /metrics.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { DEFAULT_UDP_RECEIVE_BUFFER_BYTES } from "../../src/ingest/udp-listener.js";
import { scrape, sum } from "../helpers/metrics.js";
import { mauveTextPacket } from "../helpers/mauve-udp.js";
import { writeBotConfig } from "../helpers/process-bot.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { waitFor } from "../helpers/wait-for.js";

const DATAGRAMS = 300;
const ALERTS_PER_DATAGRAM = 8;

describe("udp: a burst of Mauve datagrams into the installed AlertBot", function () {
  this.timeout(180_000);
  const server = withProsody();
  const fx = withProcesses(server);

  async function burstInto(
    bufferYaml: string,
  ): Promise<{ bot: ChildRun; database: string; stored: number; dropped: number }> {
    const t = server();
    const dir = fx.dir("mauve-udp-burst-");
    const config = writeBotConfig(
      t,
      dir,
      `people:\n  - { name: ops, jid: ops@${t.prosody.domain} }\n` +
        `udp:\n  listen: "127.0.0.1:0"\n  allow: ["127.0.0.1/32"]\n${bufferYaml}` +
        `http:\n  listen: "127.0.0.1:0"\n`,
    );
    const bot = await fx.startBot(config);
    const udpPort = Number(bot.withMsg("listening for Mauve UDP updates")[0]?.["port"]);
    const httpPort = Number(bot.withMsg("listening for HTTP")[0]?.["port"]);
    const now = Math.floor(Date.now() / 1000);
    const packets = Array.from({ length: DATAGRAMS }, (_, i) =>
      mauveTextPacket(
        [
          `transmission_id: ${i + 1}`,
          `source: "burst"`,
          "replace: false",
          ...Array.from(
            { length: ALERTS_PER_DATAGRAM },
            (_, j) => `alert { id: "a${i}-${j}" raise_time: ${now} summary: "${"x".repeat(300)}" }`,
          ),
          `transmission_time: ${now}`,
        ].join("\n"),
      ),
    );
    // One socket, as fast as it sends: a burst.
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    await Promise.all(
      packets.map((p) => new Promise<void>((resolve) => socket.send(p, udpPort, "127.0.0.1", () => resolve()))),
    );
    socket.close();
    const database = join(dir, "alertbot.sqlite");
    const db = new Database(database, { readonly: true });
    try {
      const count = (): number =>
        (db.prepare("SELECT count(*) AS n FROM alerts WHERE source = 'burst'").get() as { n: number }).n;
      // Every datagram is either stored or counted as dropped: none goes unaccounted.
      const { stored, dropped } = await waitFor(
        "every datagram stored or counted as dropped",
        async () => {
          const dropped = sum(
            await scrape(`http://127.0.0.1:${httpPort}/metrics`),
            "mauve_udp_dropped_datagrams_total",
          );
          const stored = count();
          return stored / ALERTS_PER_DATAGRAM + dropped === DATAGRAMS ? { stored, dropped } : undefined;
        },
        { timeoutMs: 60_000, everyMs: 500 },
      );
      return { bot, database, stored, dropped };
    } finally {
      db.close();
    }
  }

  it("says what the kernel dropped: refused-updates raised with the count, a warning, the metric", async () => {
    const { bot, database, dropped } = await burstInto("  receive_buffer_bytes: 4096\n");
    assert.ok(dropped > 0, "a burst beyond the smallest buffer loses datagrams");
    // The warning's line may reach this process after the metric did: waited for, then counted.
    const warned = (l: Record<string, unknown>): boolean => l["msg"] === "Mauve UDP datagrams dropped by the kernel";
    await bot.waitForLog("the warning", warned, 30_000);
    assert.equal(bot.logs.filter(warned).length, 1, "one warning a minute");
    const summary = await waitFor("the refused-updates alert", () => {
      const db = new Database(database, { readonly: true });
      try {
        const row = db
          .prepare("SELECT summary FROM alerts WHERE alert_id = 'refused-updates' AND status = 'raised'")
          .get() as { summary: string } | undefined;
        return row?.summary;
      } finally {
        db.close();
      }
    });
    assert.match(
      summary,
      /^AlertBot refuses updates from \(no source\) \(udp\): the kernel dropped \d+ datagrams? unread/,
    );
  });

  it("keeps a burst whole when the kernel grants the buffer it asks for", async function () {
    const rmemMax = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
    const { stored, dropped } = await burstInto("");
    process.stdout.write(
      `      ${stored / ALERTS_PER_DATAGRAM} of ${DATAGRAMS} datagrams stored, ${dropped} dropped (net.core.rmem_max ${rmemMax})\n`,
    );
    // Debian's own default (208 KiB) grants less, and then the first test's report is what an admin gets.
    if (rmemMax < DEFAULT_UDP_RECEIVE_BUFFER_BYTES) this.skip();
    assert.equal(dropped, 0);
  });
});
