// Two AlertBots as real processes (docs/failover.md) against a real Prosody whose data is on a small
// disk of its own, filled: the server still answers pings, so the active's lease holds, but it
// refuses every write to the replica log. Sends wait for the log so that the standby knows what
// people were told; here they waited for ever, on every channel, and nobody was paged. Now, past
// the hold limit, the active emails without the log and raises its own alert saying the standby
// cannot follow; it holds at most MAX_HELD_WRITES for the log, giving up the rest in a storm; once
// the disk has room the standby rebuilds from the active's snapshot, and the alert clears. Mail goes through a real SMTP sink; alerts come in over the bot's HTTP listener.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOG_HOLD_LIMIT_MS, MAX_HELD_WRITES } from "../../src/bot/replica-log.js";
import {
  alertStatusIn,
  postAlertOver,
  postAlertsOver,
  startFailoverBot,
  TEST_STANDBY_NAME,
  tookOver,
  writeMailedPairWithHttp,
} from "../helpers/failover-bots.js";
import type { ChildRun } from "../helpers/process-child.js";
import { startTestProsody, type TestProsody } from "../helpers/prosody.js";
import { scrape, sum } from "../helpers/metrics.js";
import { fillDisk, mountSmallDisk, unmountSmallDisk } from "../helpers/small-disk.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "log-refused-token-0123456789";
// The hold limit, the retries' backoff (up to a minute) and a loaded machine: far above what it takes.
const REFUSED_BOUND_MS = LOG_HOLD_LIMIT_MS + 90_000;

describe("failover: the XMPP server refuses the replica log (its disk full)", function () {
  this.timeout(REFUSED_BOUND_MS * 4);
  let serverDir: string | undefined;
  let disk: string | undefined;
  let t: TestProsody | undefined;
  let dir: string | undefined;
  let smtp: SmtpSink | undefined;
  const bots: ChildRun[] = [];

  before(async function () {
    this.timeout(120_000);
    serverDir = mkdtempSync(join(tmpdir(), "mauve-log-refused-"));
    const mounted = mountSmallDisk(serverDir, "32m");
    if ("problem" in mounted) {
      console.log(`    (skipped: ${mounted.problem})`);
      this.skip();
    }
    disk = mounted.path;
    // sql storage: the replica log is a busy node (see failover-process.test.ts).
    t = await startTestProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql", runDir: serverDir });
  });

  after(async () => {
    for (const b of bots) await b.stop();
    await smtp?.close();
    await t?.cleanup();
    if (disk) unmountSmallDisk(disk);
    if (serverDir) rmSync(serverDir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state !== "failed") return;
    for (const b of bots) process.stderr.write(`\n--- ${b.label} stderr (tail) ---\n${b.stderr.slice(-6000)}\n---\n`);
    await t?.printLogTail("Prosody");
  });

  it("the active emails without the log past the hold limit, says the standby cannot follow, bounds what it holds, and the standby catches up once the disk has room", async () => {
    const server = t!;
    dir = tempDir("mauve-log-refused-bots-");
    smtp = await SmtpSink.start();
    const pair = await writeMailedPairWithHttp(server, dir, smtp.port, TOKEN);
    const portA = pair.a.port;
    const a = await startFailoverBot(server, pair.a.config, "alertbot A");
    bots.push(a);
    await tookOver(a, 60_000);
    await a.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", 30_000);
    const b = await startFailoverBot(server, pair.b.config, "alertbot B");
    bots.push(b);
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", 30_000);
    const mailsWith = (re: RegExp): number => smtp!.mails.filter((m) => re.test(m.raw)).length;

    // The log takes batches: the notice goes, and the standby knows the alert.
    await postAlertOver(portA, TOKEN, "web1", "before", "disk nearly full on web1");
    await waitFor("the first notice", () => mailsWith(/disk nearly full on web1/) > 0, 60_000);
    const dbB = join(dir, "b", "alertbot.sqlite");
    await waitFor("B to hold the first alert", () => alertStatusIn(dbB, "web1", "before") === "raised", 30_000);

    // The server's disk fills: pings are answered (the lease holds), the log is refused.
    const mark = a.logs.length;
    const filler = fillDisk(disk!);
    await postAlertOver(portA, TOKEN, "web1", "during", "load high on web1");
    const refused = await a.waitForLog(
      "A to find the log refused",
      (l) => typeof l["msg"] === "string" && l["msg"].startsWith("replica log: publish failed"),
      60_000,
      mark,
    );
    process.stdout.write(`    (the server answered the log with ${String(refused["condition"])})\n`);
    await waitFor("the notice held by the refused log", () => mailsWith(/load high on web1/) > 0, REFUSED_BOUND_MS);
    await waitFor("AlertBot's own alert about its standby", () => mailsWith(/standby cannot follow/) > 0, 30_000);
    assert.notEqual(alertStatusIn(dbB, "web1", "during"), "raised", "the standby cannot know yet");
    const backlog = async (): Promise<number> =>
      sum(await scrape(`http://127.0.0.1:${portA}/metrics`), "mauve_replica_log_backlog_writes");
    assert.ok((await backlog()) > 0, "/metrics shows the writes the log has not taken");
    assert.equal(mailsWith(/load high on web1/), 1, "told once");
    assert.ok(!a.hasExited && !b.hasExited, "both bots run on");

    // A storm while the log is refused: past MAX_HELD_WRITES the active gives up the writes it held
    // for the log (its memory would otherwise grow for as long as the disk stays full).
    let posted = 0;
    while ((await backlog()) <= MAX_HELD_WRITES && posted < 100_000) {
      const alerts = Array.from({ length: 1000 }, (_, i) => ({ id: `bulk-${posted + i}`, summary: "bulk" }));
      await postAlertsOver(portA, TOKEN, "web2", alerts);
      posted += alerts.length;
    }
    const givenUp = await a.waitForLog(
      "A to give up the writes held",
      (l) => l["msg"]?.toString().startsWith("replica log: refused for so long that the writes held") === true,
      REFUSED_BOUND_MS,
      mark,
    );
    const rssMb = sum(await scrape(`http://127.0.0.1:${portA}/metrics`), "process_resident_memory_bytes") / 2 ** 20;
    process.stdout.write(
      `    (${String(givenUp["dropped"])} writes given up after ${posted} alerts; A's RSS ${rssMb.toFixed(0)} MB)\n`,
    );
    assert.ok((await backlog()) < MAX_HELD_WRITES, "the writes held are bounded");
    assert.ok(!a.hasExited && !b.hasExited, "both bots run on");

    // Room again: the standby rebuilds from the active's snapshot, with the alerts of the storm and
    // the one held, and the active's alert clears.
    const markB = b.logs.length;
    rmSync(filler);
    await b.waitForLog(
      "B to rebuild from a snapshot",
      (l) => l["msg"] === "rebuilt from the active's snapshot",
      REFUSED_BOUND_MS,
      markB,
    );
    await waitFor(
      "B to learn of the alert held",
      () => alertStatusIn(dbB, "web1", "during") === "raised",
      REFUSED_BOUND_MS,
    );
    assert.equal(alertStatusIn(dbB, "web2", `bulk-${posted - 1}`), "raised", "and of the storm's last alert");
    await a.waitForLog(
      "A to clear its alert",
      (l) => l["msg"]?.toString().startsWith("replica log takes batches again") === true,
      30_000,
      mark,
    );
    // Its clear is mailed in the storm's digest, once the person's rate limit has room: the standby's
    // file says it.
    await waitFor(
      "the standby to know the alert and its clear",
      () => alertStatusIn(dbB, server.prosody.botJid, "alertbot-replica") === "cleared",
      60_000,
    );
    assert.equal(mailsWith(/load high on web1/), 1, "still told once");
    await waitFor("the backlog emptied", async () => (await backlog()) === 0, 30_000);
    assert.ok(!a.hasExited && !b.hasExited, "both bots run on");
  });
});
