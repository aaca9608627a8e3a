import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import type { AlertUpdate } from "../../src/codec/types.js";
import { encodeUpdate } from "../../src/codec/protobuf.js";
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { ConfigError, StorageUnavailableError } from "../../src/errors.js";
import { HELD_UPDATES_LIMITS } from "../../src/ingest/held-updates.js";
import type { IngestOutcome } from "../../src/ingest/ingest-update.js";
import {
  DEFAULT_UDP_RECEIVE_BUFFER_BYTES,
  handoverFor,
  parseCidr,
  startUdpIngest,
  type UdpConfig,
  type UdpIngest,
} from "../../src/ingest/udp-listener.js";
import { LogLines } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const BOT = `
xmpp: { component: alertbot.example.org, secret: s, pubsub: pubsub.example.org }
database: /tmp/x.sqlite
people: [{ name: alice, jid: alice@example.org }]
`;

function send(bytes: Uint8Array, port: number, from = "127.0.0.1"): Promise<void> {
  const socket = createSocket("udp4");
  return new Promise((resolve, reject) => {
    socket.bind(0, from, () =>
      socket.send(bytes, port, "127.0.0.1", (err) => (socket.close(), err ? reject(err) : resolve())),
    );
  });
}

/** A listener on a free loopback port, hearing `allow`. */
const loopbackConfig = (allow = ["127.0.0.1/32"]): UdpConfig => ({
  host: "127.0.0.1",
  port: 0,
  allow: allow.map((a) => parseCidr(a)!),
  handover: {},
  receiveBufferBytes: DEFAULT_UDP_RECEIVE_BUFFER_BYTES,
});

const update = (id: bigint): AlertUpdate => ({
  transmissionId: id,
  source: "legacy1",
  replace: false,
  signature: new Uint8Array(),
  transmissionTimeS: 0,
  sequence: 0n,
  alerts: [
    {
      id: "disk",
      raiseTimeS: 0,
      clearTimeS: 0,
      subject: "",
      summary: "full",
      detail: "",
      importance: 0,
      suppressUntilS: 0,
    },
  ],
});

describe("udp: legacy Mauve ingest", () => {
  describe("config", () => {
    it("is off unless configured, and reads listen and allow", () => {
      assert.equal(loadBotConfig(BOT, { file: "alertbot.yaml" }).udp, null);
      const on = loadBotConfig(`${BOT}udp: { allow: ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"] }\n`, {
        file: "alertbot.yaml",
      }).udp;
      assert.deepEqual(on, {
        host: "127.0.0.1",
        port: 32741,
        allow: [
          { address: "10.0.0.0", prefix: 8, family: "ipv4" },
          { address: "192.0.2.7", prefix: 32, family: "ipv4" },
          { address: "2001:db8::", prefix: 32, family: "ipv6" },
        ],
        handover: {},
        receiveBufferBytes: DEFAULT_UDP_RECEIVE_BUFFER_BYTES,
      });
      const v6 = loadBotConfig(`${BOT}udp: { listen: "[::]:5000", allow: ["::1/128"] }\n`, {
        file: "alertbot.yaml",
      }).udp;
      assert.deepEqual([v6?.host, v6?.port], ["::", 5000]);
    });

    it("matches handover keys to sources as sources are told apart (letter case aside), and refuses two keys for one source", () => {
      const on = loadBotConfig(
        `${BOT}udp: { allow: ["10.0.0.0/8"], handover: { WEB1: heir@x.org, db-1: db@x.org } }\n`,
        {
          file: "alertbot.yaml",
        },
      ).udp;
      assert.equal(handoverFor(on, "web1"), "heir@x.org");
      assert.equal(handoverFor(on, "Web1"), "heir@x.org");
      assert.equal(handoverFor(on, "DB-1"), "db@x.org");
      assert.equal(handoverFor(on, "webl"), undefined, "a reading alike is another source");
      assert.equal(handoverFor(null, "web1"), undefined);
      assert.throws(
        () =>
          loadBotConfig(
            `${BOT}udp: { allow: ["10.0.0.0/8"], handover: { web1: a@b.org, WEB1: c@d.org, web1-: e@f.org } }\n`,
            {
              file: "alertbot.yaml",
            },
          ),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, /udp\.handover\.WEB1: names the same source as "web1"/);
          assert.match(err.message, /udp\.handover\.web1-: names the same source as "WEB1"/);
          return true;
        },
      );
    });

    it("reads handover: which account may take over each source heard over UDP, names checked by the source rule", () => {
      const on = loadBotConfig(`${BOT}udp: { allow: ["10.0.0.0/8"], handover: { web1: Web1@Example.org } }\n`, {
        file: "alertbot.yaml",
      }).udp;
      assert.deepEqual(on?.handover, { web1: "web1@example.org" });
      assert.throws(
        () =>
          loadBotConfig(`${BOT}udp: { allow: ["10.0.0.0/8"], handover: { "web1 ": a@b.org, web2: nobody } }\n`, {
            file: "alertbot.yaml",
          }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(
            err.message,
            [
              'alertbot.yaml: udp.handover."web1 ": source "web1 " has a space at character 5: a source name is made of ASCII letters, digits, ".", "-" and "_" only',
              'alertbot.yaml: udp.handover.web2: expected a bare JID like alice@example.org, got "nobody"',
            ].join("\n"),
          );
          return true;
        },
      );
    });

    it("reports bad values exactly", () => {
      assert.throws(
        () =>
          loadBotConfig(`${BOT}udp: { listen: "localhost:1", allow: ["10.0.0.0/33", "ten"], port: 1 }\n`, {
            file: "alertbot.yaml",
          }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(
            err.message,
            [
              "alertbot.yaml: udp.port: unknown key (expected one of: listen, allow, handover, receive_buffer_bytes)",
              'alertbot.yaml: udp.listen: expected an address and port like "127.0.0.1:32741" or "[::1]:32741", got "localhost:1"',
              'alertbot.yaml: udp.allow[0]: expected a network like "10.0.0.0/8" or "2001:db8::/32", got "10.0.0.0/33"',
              'alertbot.yaml: udp.allow[1]: expected a network like "10.0.0.0/8" or "2001:db8::/32", got "ten"',
            ].join("\n"),
          );
          return true;
        },
      );
      assert.throws(
        () => loadBotConfig(`${BOT}udp: { allow: [] }\n`, { file: "alertbot.yaml" }),
        /udp.allow: expected a list of at least 1 item/,
      );
      assert.equal(parseCidr("::ffff:1.2.3.4/200"), undefined);
    });
  });

  describe("listener", () => {
    let ingest: UdpIngest | undefined;
    let applied: AlertUpdate[];
    let log: LogLines;
    const start = async (allow: string[], apply?: (u: AlertUpdate) => Promise<IngestOutcome>, clock?: Clock) => {
      ingest = await startUdpIngest(loopbackConfig(allow), {
        apply: apply ?? (async (u) => (applied.push(u), { status: "applied", changes: [] })),
        log: log.logger,
        clock: clock ?? systemClock,
      });
      return ingest.address.port;
    };

    beforeEach(() => {
      applied = [];
      log = new LogLines();
    });
    afterEach(async () => {
      await ingest?.close();
      ingest = undefined;
    });

    it("decodes datagrams from allowed networks and hands them to the bot", async () => {
      const port = await start(["127.0.0.0/8"]);
      await send(encodeUpdate(update(9_223_372_036_854_775_813n)), port);
      await waitFor("the update", () => applied.length === 1);
      assert.equal(applied[0]?.transmissionId, 9_223_372_036_854_775_813n);
      assert.equal(ingest!.stats().applied, 1);
    });

    it("drops and counts packets from outside the allow-list, without reading them", async () => {
      const port = await start(["127.0.0.1/32"]);
      await send(encodeUpdate(update(1n)), port, "127.0.0.2");
      await send(encodeUpdate(update(2n)), port, "127.0.0.2");
      await waitFor("two denials", () => ingest!.stats().denied === 2);
      assert.equal(applied.length, 0);
      assert.deepEqual(
        log.withMsg("UDP packet from outside the allow-list dropped").map((l) => [l["from"], l["deniedTotal"]]),
        [["127.0.0.2", 1]],
        "one warning a minute",
      );
    });

    it("logs and counts malformed packets and keeps serving", async () => {
      const port = await start(["127.0.0.1/32"]);
      await send(new Uint8Array([0x0a, 0xff, 0xff, 0x01]), port);
      await send(new Uint8Array(0), port);
      await send(encodeUpdate(update(3n)), port);
      await waitFor("the good one after the junk", () => applied.length === 1);
      assert.equal(ingest!.stats().malformed, 2);
      assert.match(String(log.withMsg("malformed UDP packet dropped")[0]?.["reason"]), /.+/);
    });

    it("tells the bot of every malformed packet, naming its sender, though it logs one a minute", async () => {
      const refused: string[] = [];
      ingest = await startUdpIngest(loopbackConfig(), {
        apply: async (u) => (applied.push(u), { status: "applied", changes: [] }),
        refused: (source, reason) => refused.push(`${source}: ${reason}`),
        log: log.logger,
        clock: systemClock,
      });
      await send(new Uint8Array([0x0a, 0xff, 0xff, 0x01]), ingest.address.port);
      await send(new Uint8Array([0x0a, 0xff, 0xff, 0x01]), ingest.address.port);
      await send(encodeUpdate(update(3n)), ingest.address.port);
      await waitFor("the good one after the junk", () => applied.length === 1);
      assert.equal(refused.length, 2, refused.join("\n"));
      assert.match(refused[0]!, /^: malformed datagram from 127\.0\.0\.1: .+/);
      assert.equal(log.withMsg("malformed UDP packet dropped").length, 1);
    });

    it("refuses alone an alert no receiver could key, applies the others of its datagram, and says so", async () => {
      const refused: string[] = [];
      ingest = await startUdpIngest(loopbackConfig(), {
        apply: async (u) => (applied.push(u), { status: "applied", changes: [] }),
        refused: (source, reason) => refused.push(`${source}: ${reason}`),
        log: log.logger,
        clock: systemClock,
      });
      const [disk] = update(1n).alerts;
      const three = { ...update(4n), alerts: [disk!, { ...disk!, id: "  " }, { ...disk!, id: "mem" }] };
      await send(encodeUpdate(three), ingest.address.port);
      await waitFor("the update", () => applied.length === 1);
      assert.deepEqual(
        applied[0]?.alerts.map((a) => a.id),
        ["disk", "mem"],
        "the datagram's other alerts are applied",
      );
      assert.deepEqual(refused, ["legacy1: alert[1] has an empty id"]);
      assert.equal(log.withMsg("UDP alert rejected")[0]?.["reason"], "alert[1] has an empty id");
      assert.equal(ingest.stats().malformed, 0);
    });

    it("holds what comes while the database cannot be written, and applies it in order once it can", async () => {
      const clock = new FakeClock();
      let down = true;
      const port = await start(
        ["127.0.0.1/32"],
        async (u) => {
          if (down) throw new StorageUnavailableError("database or disk is full (SQLITE_FULL)");
          applied.push(u);
          return { status: "applied", changes: [] };
        },
        clock,
      );
      await send(encodeUpdate(update(5n)), port);
      await waitFor("the first held", () => ingest!.stats().held === 1);
      await send(encodeUpdate(update(6n)), port);
      await waitFor("the second held behind it", () => ingest!.stats().held === 2);
      assert.deepEqual([applied.length, ingest!.stats().failed], [0, 0]);
      assert.equal(log.withMsg("UDP update could not be applied").length, 0, "not an error of the bot's");
      down = false;
      clock.advance(HELD_UPDATES_LIMITS.retryMs);
      await waitFor("both applied", () => applied.length === 2);
      assert.deepEqual(
        applied.map((u) => u.transmissionId),
        [5n, 6n],
      );
      assert.deepEqual([ingest!.stats().applied, ingest!.stats().held, ingest!.stats().lost], [2, 0, 0]);
    });

    it("survives a core that throws, counting it", async () => {
      const port = await start(["127.0.0.1/32"], async () => {
        throw new Error("database is locked");
      });
      await send(encodeUpdate(update(4n)), port);
      await waitFor("the failure to be counted", () => ingest!.stats().failed === 1);
      assert.equal(log.withMsg("UDP update could not be applied").length, 1);
    });
  });
});
