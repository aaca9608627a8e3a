// Datagrams the kernel drops unread at AlertBot's UDP socket (a burst beyond its receive buffer):
// before, nothing said so, and the alerts they carried were missing until their senders sent again.
// Now the listener reads the kernel's count, warns, and tells the bot (its refused-updates alert).
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { encodeUpdate } from "../../src/codec/protobuf.js";
import type { AlertUpdate } from "../../src/codec/types.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { readSocketDrops, socketDrops } from "../../src/ingest/udp-drops.js";
import {
  DEFAULT_UDP_RECEIVE_BUFFER_BYTES,
  parseCidr,
  startUdpIngest,
  type UdpConfig,
  type UdpIngest,
} from "../../src/ingest/udp-listener.js";
import { LogLines } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

// As Linux prints it (trailing columns: ref, pointer, drops).
const LISTING = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  269: 0100007F:7FE5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123456 2 0000000000000000 17
  270: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123457 2 0000000000000000 0
`;
const LISTING6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
   12: 00000000000000000000000001000000:7FE5 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2222 2 0000000000000000 3
`;

const update = (id: number, alerts = 1): AlertUpdate => ({
  transmissionId: BigInt(id),
  source: "burst",
  replace: false,
  signature: new Uint8Array(),
  transmissionTimeS: 0,
  sequence: 0n,
  alerts: Array.from({ length: alerts }, (_, i) => ({
    id: `a${id}-${i}`,
    raiseTimeS: 1,
    clearTimeS: 0,
    subject: "",
    summary: "x".repeat(200),
    detail: "",
    importance: 0,
    suppressUntilS: 0,
  })),
});

describe("udp: datagrams the kernel dropped unread", () => {
  it("reads a socket's drops from the kernel's listing, by its address and port", () => {
    assert.equal(socketDrops(LISTING, "127.0.0.1", 0x7fe5), 17);
    assert.equal(socketDrops(LISTING, "0.0.0.0", 0x44), 0);
    assert.equal(socketDrops(LISTING, "127.0.0.2", 0x7fe5), null, "another address");
    assert.equal(socketDrops(LISTING, "127.0.0.1", 0x7fe6), null, "another port");
    assert.equal(socketDrops(LISTING6, "::1", 0x7fe5), 3);
    assert.equal(socketDrops("", "127.0.0.1", 1), null);
  });

  it("reads the udp.receive_buffer_bytes setting, 4 MiB unless said", () => {
    const bot = `xmpp: { component: alertbot.example.org, secret: s, pubsub: pubsub.example.org }\ndatabase: /tmp/x.sqlite\npeople: [{ name: alice, jid: alice@example.org }]\n`;
    const read = (udp: string) => loadBotConfig(`${bot}udp: ${udp}\n`, { file: "alertbot.yaml" }).udp;
    assert.equal(read(`{ allow: ["127.0.0.1/32"] }`)?.receiveBufferBytes, DEFAULT_UDP_RECEIVE_BUFFER_BYTES);
    assert.equal(read(`{ allow: ["127.0.0.1/32"], receive_buffer_bytes: 16777216 }`)?.receiveBufferBytes, 16_777_216);
    assert.throws(() => read(`{ allow: ["127.0.0.1/32"], receive_buffer_bytes: 10 }`), /udp.receive_buffer_bytes/);
  });

  describe("the listener", () => {
    let ingest: UdpIngest | undefined;
    afterEach(async () => {
      await ingest?.close();
      ingest = undefined;
    });
    const config = (receiveBufferBytes: number): UdpConfig => ({
      host: "127.0.0.1",
      port: 0,
      allow: [parseCidr("127.0.0.1/32")!],
      handover: {},
      receiveBufferBytes,
    });

    it("warns and tells the bot when the kernel's count grows, once for each growth, with a warning a minute", async () => {
      const clock = new FakeClock();
      const log = new LogLines();
      const refused: string[] = [];
      let drops = 4;
      ingest = await startUdpIngest(config(DEFAULT_UDP_RECEIVE_BUFFER_BYTES), {
        apply: async () => ({ status: "applied", changes: [] }),
        refused: (source, reason) => refused.push(`${source}: ${reason}`),
        log: log.logger,
        clock,
        readDrops: () => drops,
      });
      clock.advance(10_000);
      assert.deepEqual(refused, [], "drops before the listener started are not its");
      drops = 9;
      clock.advance(10_000);
      assert.equal(refused.length, 1);
      assert.match(
        refused[0]!,
        /^: the kernel dropped 5 datagrams unread: a burst came faster than AlertBot read it, beyond the socket's receive buffer \(\d+ bytes\); the alerts they carried are missing until their senders send again\. Raise net\.core\.rmem_max and udp\.receive_buffer_bytes/,
      );
      drops = 10;
      clock.advance(10_000);
      assert.match(refused[1]!, /the kernel dropped 1 datagram unread/);
      assert.equal(ingest.stats().dropped, 6);
      assert.deepEqual(
        log.withMsg("Mauve UDP datagrams dropped by the kernel").map((l) => [l["dropped"], l["droppedTotal"]]),
        [[5, 5]],
        "one warning a minute",
      );
      assert.ok(Number(log.withMsg("listening for Mauve UDP updates")[0]?.["receiveBufferBytes"]) > 0);
    });

    it("counts, on this machine's kernel, what a burst beyond a small buffer loses: read or dropped, none unaccounted", async function () {
      if (readSocketDrops("127.0.0.1", 1) === null && !process.platform.startsWith("linux")) this.skip();
      const clock = new FakeClock();
      let applied = 0;
      const refused: string[] = [];
      // The smallest buffer Linux grants: a burst of a few dozen datagrams overflows it.
      ingest = await startUdpIngest(config(4096), {
        apply: async () => (applied++, { status: "applied", changes: [] }),
        refused: (source, reason) => refused.push(`${source}: ${reason}`),
        log: new LogLines().logger,
        clock,
      });
      const sent = 300;
      const socket = createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      const port = ingest.address.port;
      await Promise.all(
        Array.from(
          { length: sent },
          (_, i) =>
            new Promise<void>((resolve) =>
              socket.send(encodeUpdate(update(i + 1, 8)), port, "127.0.0.1", () => resolve()),
            ),
        ),
      );
      socket.close();
      await waitFor("every datagram read or dropped", () => {
        clock.advance(10_000);
        return applied + ingest!.stats().dropped === sent || undefined;
      });
      assert.ok(ingest.stats().dropped > 0, "a burst beyond the buffer loses some");
      assert.match(refused.join("\n"), /the kernel dropped \d+ datagrams? unread/);
    });
  });
});
