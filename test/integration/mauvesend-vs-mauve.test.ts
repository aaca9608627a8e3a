// Our mauvesend beside Mauve's own: the real bin/mauvesend (Ruby) and ours read the same command
// lines; both must refuse the same ones with the same words and exit status, and build the same
// update from the rest (Mauve's is caught as a real UDP packet and decoded by our codec).
//
// Needs Ruby (Debian: ruby) and a checkout of Mauve (github.com/BytemarkHosting/mauvealert) named by
// MAUVE_SRC; skipped without them. Mauve's generated lib/mauve/proto.rb loads the old ruby-protobuf
// gem, which Debian no longer ships: test/fixtures/mauve-ruby holds a small stand-in for that API.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runMauvesend } from "../../src/cli/mauvesend.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { decodeUpdate } from "../../src/codec/protobuf.js";
import type { AlertUpdate } from "../../src/codec/types.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAUVE_SRC = process.env["MAUVE_SRC"] ?? "";
const MAUVESEND = join(MAUVE_SRC, "bin", "mauvesend");
const ENV = { MAUVE_XMPP_JID: "web9@example.org", MAUVE_XMPP_PASSWORD: "pw" };

interface Outcome {
  code: number | null;
  stderr: string;
}

function runMauve(args: readonly string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "ruby",
      ["-I", join(ROOT, "test/fixtures/mauve-ruby"), "-I", join(MAUVE_SRC, "lib"), MAUVESEND, ...args],
      {
        env: { PATH: process.env["PATH"] ?? "" },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    // Mauve names itself by the path it was run as.
    child.on("close", (code) => resolve({ code, stderr: stderr.replaceAll(MAUVESEND, "mauvesend") }));
  });
}

async function runOurs(args: readonly string[], nowSec: number): Promise<Outcome & { update?: AlertUpdate }> {
  let stderr = "";
  let update: AlertUpdate | undefined;
  const code = await runMauvesend(args, {
    clock: new FakeClock(nowSec * 1000),
    env: ENV,
    out: () => undefined,
    err: (t) => void (stderr += t),
    send: async (u) => ((update = u), { ok: true, itemId: "1" }),
  });
  return { code, stderr, ...(update ? { update } : {}) };
}

// The Alert fields as seen by a receiver: times of Mauve's relative to its transmission time.
const comparable = (u: AlertUpdate) => ({
  source: u.source,
  replace: u.replace,
  alerts: u.alerts.map((a) => ({ ...a })),
});

describe("mauvesend beside Mauve's own bin/mauvesend (Ruby)", function () {
  this.timeout(120_000);
  let socket: Socket;
  let port = 0;
  const packets: Buffer[] = [];
  const waiters: Array<() => void> = [];
  const nextPacket = async (): Promise<Buffer> => {
    while (packets.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    return packets.shift()!;
  };

  before(async function () {
    if (spawnSync("ruby", ["-e", "require 'getoptlong'"]).status !== 0 || !existsSync(MAUVESEND)) {
      console.log("    (skipped: needs ruby and MAUVE_SRC pointing at a checkout of Mauve)");
      this.skip();
    }
    socket = createSocket("udp4");
    socket.on("message", (msg) => {
      packets.push(msg);
      for (const w of waiters.splice(0)) w();
    });
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    port = socket.address().port;
  });
  after(() => socket?.close());

  /** Runs both; a refusal must match word for word and send nothing; an update must match field by field. */
  async function compare(args: string[]): Promise<void> {
    const destination = `127.0.0.1:${port}`;
    // The destination first: last, an option expecting a value would take it.
    const mauve = await runMauve([destination, ...args]);
    let sent: AlertUpdate | undefined;
    if (mauve.code === 0) {
      sent = decodeUpdate(await nextPacket());
    } else {
      // Mauve has exited: anything it sent is queued before this marker.
      socket.send(Buffer.from("marker"), port, "127.0.0.1");
      assert.equal((await nextPacket()).toString(), "marker", `${args.join(" ")}: Mauve sent nothing`);
    }
    const ours = await runOurs([destination, ...args], sent?.transmissionTimeS ?? 1_700_000_000);
    assert.deepEqual([ours.code, ours.stderr], [mauve.code, mauve.stderr], `mauvesend ${args.join(" ")}`);
    if (!sent) return assert.equal(ours.update, undefined);
    assert.ok(ours.update);
    // Mauve reads "now" once at start and stamps transmission_time later: it may be a second behind.
    const mauveAlerts = comparable(sent);
    for (const [i, a] of mauveAlerts.alerts.entries()) {
      const o = ours.update.alerts[i];
      for (const k of ["raiseTimeS", "clearTimeS", "suppressUntilS"] as const) {
        if (o && a[k] !== o[k] && o[k] - a[k] === 1) a[k] = o[k];
      }
    }
    assert.deepEqual(comparable(ours.update), mauveAlerts, `mauvesend ${args.join(" ")}`);
  }

  it("refuses the same command lines in the same words, with the same exit status, sending nothing", async () => {
    const lines: string[][] = [
      ["-i", "x", "-r", "+10min"],
      ["-i", "x", "-r", "bogus"],
      ["-i", "x", "-r", "10mins"],
      ["-i", "x", "-e", "2026-12-25"],
      ["-i", "x", "-c", "now", "-r", "+10min"],
      ["-i", "x", "-c", "yesterday"],
      ["-i", "x", "--suppress=+1w"],
      ["-i", "x", "-r", "5.5m"],
      ["-i", "x", "-r", "alerts.example.com"],
      ["-i", "x", "-r", "1h30m"],
      ["-i", "x", "-e", "now+5m"],
      ["-i", "-s", "foo"],
      ["-i"],
      ["--id="],
      ["-i", "x", "-s"],
      ["-i", "x", "-s", ""],
      ["-i", "x", "-u", "-d", "y"],
      ["-i", "x", "-d"],
      ["-i", "x", "-e"],
      ["-i", "x", "-e", "-r"],
      ["-o"],
      ["-o", "-i", "x"],
      ["--source=", "-i", "x"],
      ["-r", "+10min"],
      ["-s", "x"],
      ["-h", "-s", "x"],
      ["-i", "a", "-i", "a"],
      ["-o", "a", "-o", "b", "-p"],
      [],
      ["-v"],
      ["-i", "x", "-r", "-10h"],
      ["-x"],
      ["-m", "-x"],
      ["-pq"],
      ["--frob"],
      ["--frob=1"],
      ["--s", "x"],
      ["--ver"],
      ["-i", "x", "--help=3"],
      ["-i", "x", "--verbose=2"],
      ["--", "-i", "x"],
    ];
    for (const line of lines) await compare(line);
  });

  it("builds the same update from the same command line", async () => {
    const lines: string[][] = [
      ["-o", "web9", "-i", "disk", "-s", "full", "-r", "now"],
      [
        "-i",
        "a",
        "-s",
        "A",
        "-u",
        "box",
        "-d",
        "<b>x</b>",
        "-i",
        "b",
        "-c",
        "-i",
        "c",
        "-r",
        "+10m",
        "-c",
        "now",
        "-e",
        "+1h",
      ],
      ["-o", "web9", "-i", "heartbeat", "-c", "-r", "+10m"],
      ["-pvv", "-oweb1", "--id=disk", "--summary", "s", "--raise=+5m", "-c+1h"],
      ["-p", "-o", "web1"],
      ["-i", "x", "-r-1h"],
      ["--i", "x", "--raise=-1h"],
      ["-i", "x", "-c", "", "-r", "+10m"],
      ["-i", "x", "-s", "-"],
      ["-vix"],
      ["--i", "x", "--sum", "full", "--re", "--ra=+1m", "--sub", "box"],
      ["-i", "x", "-r", "1600000000"],
      ["-i", "x", "-r", "90s", "-e", "2d"],
      ["-i", "x", "-e", "+30", "-c-5"],
    ];
    for (const line of lines) await compare(line);
  });

  it("differs where docs/mauvesend.md says so: a source that breaks the source rule is refused by ours only", async () => {
    const mauve = await runMauve([`127.0.0.1:${port}`, "-o", "web1 ", "-i", "x"]);
    assert.equal(mauve.code, 0);
    assert.equal(decodeUpdate(await nextPacket()).source, "web1 ");
    const ours = await runOurs(["-o", "web1 ", "-i", "x"], 1_700_000_000);
    assert.equal(ours.code, 1);
    assert.match(ours.stderr, /^\*\*\* Error: source "web1 " has a space at character 5/);
  });
});
