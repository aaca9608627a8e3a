// Legacy Mauve UDP ingest end to end: packets made by protoc in Mauve's byte layout, sent to a real
// mauve-alertbot process (bots/alertbot.ts with a `udp` section) connected to a real Prosody, and to
// runBot in-process, which starts and stops the listener itself. Alice, a person in the bot's
// config, reads what it tells her in her own Jabber client.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Store } from "../../src/store/store.js";
import { mauvePacket as packet, mauveTextPacket, sendUdp as send } from "../helpers/mauve-udp.js";
import { withProsody } from "../helpers/prosody.js";
import { botConfigYaml, BOT_SECRET_ENV } from "../helpers/process-bot.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { LogLines, PersonClient, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("udp: Mauve packets into a real AlertBot", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: ChildProcess | undefined;
  let alice: PersonClient | undefined;
  const lines: Array<Record<string, unknown>> = [];
  const logged = (msg: string) => lines.filter((l) => l["msg"] === msg);
  const udpPort = (): number => Number(logged("listening for Mauve UDP updates")[0]!["port"]);
  const inStore = <T>(read: (store: Store) => T): T => {
    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      return read(store);
    } finally {
      store.close();
    }
  };

  after(async () => {
    if (bot && bot.exitCode === null) {
      bot.kill("SIGTERM");
      await new Promise((resolve) => bot!.once("exit", resolve));
    }
    await alice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed")
      process.stderr.write(
        `\n--- alertbot log (tail) ---\n${lines
          .slice(-40)
          .map((l) => JSON.stringify(l).slice(0, 400))
          .join("\n")}\n---\n`,
      );
  });

  const server = withProsody();

  before(async () => {
    dir = tempDir("mauve-udp-");
    const p = server().prosody;
    // Online before the bot starts, as a person on call is: told by chat from its first notice.
    alice = await PersonClient.login(server(), "alice");
    const config = join(dir, "alertbot.yaml");
    writeFileSync(
      config,
      botConfigYaml(
        server(),
        dir,
        `people:
  - name: alice
    jid: alice@${p.domain}
udp:
  listen: "127.0.0.1:0"
  allow: ["127.0.0.1/32"]
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
log:
  level: debug`,
      ),
    );
    bot = spawn(process.execPath, ["--import", "tsx", "bots/alertbot.ts", "--config", config], {
      cwd: ROOT,
      env: { PATH: process.env["PATH"] ?? "", [BOT_SECRET_ENV]: server().botSecret },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let buffered = "";
    bot.stderr!.on("data", (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const line of parts) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push({ msg: "(not JSON)", line });
        }
      }
    });
    await waitFor("the bot to listen on UDP", () => logged("listening for Mauve UDP updates")[0], 30_000);
  });

  // First: the next test's malformed datagram raises refused-updates too, and a later refusal
  // reaches its text only at the next rewrite, minutes on (unit-tested on a fake clock).
  it("refuses alone an alert it cannot key (an empty id, only control characters, Latin-1 bytes): the rest of its datagram is stored and told, the refusal raises refused-updates, and the next datagram is taken", async () => {
    const port = udpPort();
    const now = Math.floor(Date.now() / 1000);
    const self = server().prosody.botJid;
    // As Mauve's mauvesend lays a datagram out (every field on the wire), a transmission id above
    // 2^53; each id is a text-format literal, so its escapes reach the wire as the bytes they name.
    let transmission = 9223372036854775900n;
    const datagram = (alerts: ReadonlyArray<readonly [id: string, summary: string]>): Buffer =>
      mauveTextPacket(
        [
          `transmission_id: ${transmission++}`,
          'source: "batch1"',
          "replace: false",
          ...alerts.map(
            ([id, summary]) =>
              `alert { id: "${id}" raise_time: ${now} clear_time: 0 subject: "" summary: "${summary}" detail: "" importance: 0 suppress_until: 0 }`,
          ),
          'signature: ""',
          `transmission_time: ${now}`,
        ].join("\n"),
      );
    // Read from everything alice received: the bot chooses the order of the notices of one moment.
    const told = (pattern: RegExp): Promise<string> =>
      waitFor(`alice to be told ${pattern}`, () => alice!.received.find((m) => pattern.test(m.body))?.body, 30_000);
    const raisedIn = (id: string, summary: string): Promise<string> =>
      told(new RegExp(`^RAISED #\\d+ batch1 ${id}: ${summary}`));
    const stored = (): string[] =>
      inStore((s) =>
        s.alerts
          .list("all", 1000)
          .filter((a) => a.source === "batch1")
          .map((a) => `${a.alertId} ${a.status}`)
          .sort(),
      );

    await send(
      datagram([
        ["disk", "disk full"],
        ["", "an alert without a name"],
        ["mem", "memory low"],
      ]),
      port,
    );
    await raisedIn("disk", "disk full");
    await raisedIn("mem", "memory low");
    assert.match(
      await told(new RegExp(`^RAISED #\\d+ ${self.replaceAll(".", "\\.")} refused-updates: `)),
      /AlertBot refuses updates from batch1 \(udp\): alert\[1\] has an empty id/,
    );
    assert.deepEqual(
      inStore((s) => [s.alerts.find(self, "refused-updates")?.status, s.alerts.find(self, "refused-updates")?.summary]),
      ["raised", "AlertBot refuses updates from batch1 (udp): alert[1] has an empty id"],
    );
    assert.equal(logged("UDP alert rejected")[0]?.["reason"], "alert[1] has an empty id");

    // The refusal cost the process nothing: the next datagrams, each with an alert it cannot key
    // among good ones (only control characters; a Latin-1 "café", which is not UTF-8), are taken
    // the same way.
    await send(
      datagram([
        ["\\007\\033", "only control characters"],
        ["load", "load high"],
      ]),
      port,
    );
    await raisedIn("load", "load high");
    await send(
      datagram([
        ["swap", "swap used"],
        ["caf\\351", "latin-1"],
        ["inodes", "inodes low"],
      ]),
      port,
    );
    await raisedIn("swap", "swap used");
    await raisedIn("inodes", "inodes low");
    assert.deepEqual(stored(), ["disk raised", "inodes raised", "load raised", "mem raised", "swap raised"]);
    assert.equal(bot!.exitCode, null, "AlertBot still runs");
    assert.deepEqual(
      lines.filter((l) => l["level"] === "error"),
      [],
    );
  });

  it("applies Mauve's packets once (every field at its default, transmission id above 2^53, the same packet twice), drops the rest", async () => {
    const port = udpPort();
    const now = Math.floor(Date.now() / 1000);
    const raise = packet("mauvesend-raise", now);
    await send(raise, port);
    await send(raise, port); // Mauve senders repeat themselves; the duplicate must apply once
    await send(Buffer.from("not a protobuf at all"), port);
    await send(raise, port, "127.0.0.2"); // outside the allow-list
    await waitFor("the duplicate to be seen", () => logged("duplicate update ignored").length >= 1);
    await waitFor("the junk to be logged", () => logged("malformed UDP packet dropped").length >= 1);
    await waitFor(
      "the stranger to be logged",
      () => logged("UDP packet from outside the allow-list dropped").length >= 1,
    );
    await send(packet("mauvesend-clear", now + 1), port);
    await waitFor(
      "the clear to be applied",
      () => logged("update applied").filter((l) => l["source"] === "legacy1").length >= 2,
    );

    const store = Store.open(join(dir, "alertbot.sqlite"));
    try {
      const alert = store.alerts.find("legacy1", "disk");
      assert.ok(alert, "stored under Mauve's source and id");
      assert.deepEqual([alert.status, alert.summary], ["cleared", "/ is 97% full"]);
      const kinds = store.alerts
        .history(alert.shortId)
        .map((h) => h.kind)
        .filter((k) => k === "raised" || k === "cleared");
      assert.deepEqual(kinds, ["raised", "cleared"], "the repeated packet was applied once");
    } finally {
      store.close();
    }
    const applied = logged("update applied").filter((l) => l["source"] === "legacy1");
    assert.deepEqual(
      applied.map((l) => [l["via"], l["transmissionId"]]),
      [
        ["udp", "9223372036854775813"],
        ["udp", "18446744073709551557"],
      ],
      "ids kept exact past 2^53",
    );
    assert.equal(logged("UDP packet from outside the allow-list dropped")[0]?.["from"], "127.0.0.2");
  });
});

describe("udp: runBot is the whole bot, its UDP listener included", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  const log = new LogLines();
  const server = withProsody();
  const udpYaml = (listen: string) => `udp:\n  listen: "${listen}"\n  allow: ["127.0.0.1/32"]\n`;

  after(async () => {
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("listens when the config has a udp section, keeps its address over a reload, and closes it on stop", async () => {
    dir = tempDir("mauve-udp-runbot-");
    bot = await startBot(server(), dir, ["alice"], log.logger, { extraYaml: udpYaml("127.0.0.1:0") });
    assert.ok(bot.udp, "runBot started the UDP listener itself");
    const { port } = bot.udp.address;
    const now = Math.floor(Date.now() / 1000);
    await send(packet("mauvesend-raise", now), port);
    await waitFor("the packet to be applied", () => bot!.store.alerts.find("legacy1", "disk")?.status === "raised");

    // The listener's own settings take a restart: a reload keeps the bound address and says so.
    const t = server();
    const next = loadBotConfig(
      botConfigYaml(t, dir, `people:\n  - { name: alice, jid: alice@${t.prosody.domain} }\n${udpYaml("127.0.0.1:1")}`),
      {
        file: "alertbot.yaml",
        env: { [BOT_SECRET_ENV]: t.botSecret },
      },
    );
    assert.deepEqual((await bot.reload(next)).needsRestart, ["udp"]);
    assert.equal(bot.udp.address.port, port);
    await send(packet("mauvesend-clear", now + 1), port);
    await waitFor("the clear to be applied", () => bot!.store.alerts.find("legacy1", "disk")?.status === "cleared");

    const udp = bot.udp;
    await bot.stop();
    bot = undefined;
    assert.equal(udp.stats().applied, 2);
    // A closed listener: a new socket may bind the same port.
    const probe = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.bind(port, "127.0.0.1", () => resolve());
    });
    probe.close();
  });
});

describe("udp: a malformed datagram is a refused update", function () {
  this.timeout(60_000);
  let dir: string;
  let bot: RunningBot | undefined;
  const log = new LogLines();
  const server = withProsody();

  after(async () => {
    await bot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("raises AlertBot's refused-updates alert, naming the address it came from, where it was only logged", async () => {
    dir = tempDir("mauve-udp-junk-");
    bot = await startBot(server(), dir, ["alice"], log.logger, {
      extraYaml: `udp:\n  listen: "127.0.0.1:0"\n  allow: ["127.0.0.1/32"]\n`,
    });
    const { port } = bot.udp!.address;
    await send(Buffer.from("not a protobuf at all"), port);
    const refused = () => bot!.store.alerts.list("all").find((a) => a.alertId === "refused-updates");
    await waitFor("the alert about refused updates", () => refused()?.status === "raised");
    assert.match(
      refused()!.summary,
      /^AlertBot refuses updates from \(no source\) \(udp\): malformed datagram from 127\.0\.0\.1: /,
    );
  });
});
