// The standby must keep following the replica log (docs/failover.md), or a takeover starts from
// an old file: people told again of what they acked, silences gone. Nothing said so. Two AlertBots
// as real processes against a real Prosody, alerts in over the active's HTTP listener, and
// a server admin deletes the log's node with an XMPP client: the active's writes were refused for
// good, and the standby lost its subscription with the node.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { REPLICA_NODE } from "../../src/bot/replica-log.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";
import {
  alertStatusIn,
  postAlertOver,
  startFailoverBot,
  TEST_STANDBY_NAME,
  tookOver,
  writeMailedPairWithHttp,
} from "../helpers/failover-bots.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { SmtpSink } from "../helpers/smtp-sink.js";
import { PersonClient, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const TOKEN = "follow-token-0123456789";
// The standby's check of its following, a catch-up and a loaded machine: far above what it takes.
const FOLLOW_BOUND_MS = 120_000;

describe("failover: the standby keeps following the replica log", function () {
  this.timeout(FOLLOW_BOUND_MS * 4);
  // sql storage: the replica log is a busy node (see failover-process.test.ts). An admin account
  // of the server, as its operators have.
  const server = withProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql", admins: ["ops"] });
  let dir: string | undefined;
  let smtp: SmtpSink | undefined;
  let ops: PersonClient | undefined;
  const bots: ChildRun[] = [];

  afterEach(async function () {
    if (this.currentTest?.state === "failed")
      for (const b of bots) process.stderr.write(`\n--- ${b.label} stderr (tail) ---\n${b.stderr.slice(-6000)}\n---\n`);
    for (const b of bots.splice(0)) await b.stop();
    await smtp?.close();
    await ops?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts A, which claims, then B, the standby; the active's HTTP port and the standby's database. */
  async function startBoth(t: TestProsody) {
    dir = tempDir("mauve-follow-");
    smtp = await SmtpSink.start();
    const c = await writeMailedPairWithHttp(t, dir, smtp.port, TOKEN);
    const active = await startFailoverBot(t, c.a.config, "alertbot A");
    bots.push(active);
    await tookOver(active, 60_000);
    await active.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", 30_000);
    const standby = await startFailoverBot(t, c.b.config, "alertbot B");
    bots.push(standby);
    await standby.waitForLog("B to see the active", (l) => l["msg"] === "active seen", 30_000);
    return { active, standby, port: c.a.port, standbyDb: join(dir, "b", "alertbot.sqlite") };
  }

  it("a server admin deletes the log's node: the active makes it again and the standby follows it again", async () => {
    const t = server();
    const { active, port, standbyDb } = await startBoth(t);
    await postAlertOver(port, TOKEN, "web1", "before", "load high on web1");
    await waitFor(
      "the standby to hold the first alert",
      () => alertStatusIn(standbyDb, "web1", "before") === "raised",
      FOLLOW_BOUND_MS,
    );

    ops = await PersonClient.login(t, "ops");
    const deleted = await createPubsub(ops.session).deleteNode(t.prosody.pubsubJid, REPLICA_NODE);
    assert.ok(deleted.ok, `the admin deletes ${REPLICA_NODE}: ${JSON.stringify(deleted)}`);
    const mark = active.logs.length;
    await postAlertOver(port, TOKEN, "web1", "after", "swap full on web1");
    await active.waitForLog(
      "the active to make the node again",
      (l) => l["msg"] === "replica log: its node was gone; made again",
      FOLLOW_BOUND_MS,
      mark,
    );
    await waitFor(
      "the standby to hold the alert",
      () => alertStatusIn(standbyDb, "web1", "after") === "raised",
      FOLLOW_BOUND_MS,
    );
    assert.equal(active.loudSince(mark).filter((m) => m.startsWith("replica log: refused for too long")).length, 0);
  });
});
