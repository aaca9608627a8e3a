// A failover pair of two versions, as in the middle of a rolling upgrade: the active is the
// previous release of mauve-xmpp (a real AlertBot process built from that commit of this
// repository, whose log batches do not say their schema), the standby is this version. The log
// carries SQL for the active's schema, which a standby of another version may run to a different
// end without an error (schema 15 dropped a trigger that schema 14 kept), so the standby applies
// none of it, tells the people on call by email, and, when the old active stops, takes over with
// its file as it stood and says so (docs/failover.md).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import {
  replicaSeq,
  startFailoverBot,
  tookOver,
  writeMailedFailoverConfig,
  failoverSuite,
} from "../helpers/failover-bots.js";
import { BOT_SECRET_ENV } from "../helpers/process-bot.js";
import { ChildRun, REPO_ROOT } from "../helpers/process-child.js";
import { parseMail, type CapturedMail } from "../helpers/smtp-sink.js";
import { LogLines, runRegisteredAgent } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const REAL_PROCESS_MS = 120_000;
// The last commit before the log said its schema: the previous release, as a user would have it.
const PREVIOUS_RELEASE = "e670564b5c6e2866d9e6a5a8adcc9885d3df2659";

/** The previous release's source tree, from this repository's history, with this checkout's packages. */
function previousRelease(dir: string): string {
  const tree = join(dir, "previous-release");
  mkdirSync(tree, { recursive: true });
  try {
    execFileSync("sh", ["-c", `git -C "${REPO_ROOT}" archive ${PREVIOUS_RELEASE} | tar -x -C "${tree}"`]);
  } catch (err) {
    throw new Error(
      `this test runs the previous release (${PREVIOUS_RELEASE}) from the repository's history: a full clone is needed`,
      { cause: err },
    );
  }
  // Its package.json names the same packages as this one's: run it with those.
  symlinkSync(join(REPO_ROOT, "node_modules"), join(tree, "node_modules"));
  assert.ok(existsSync(join(tree, "bots", "alertbot.ts")));
  return tree;
}

const subjectOf = (m: CapturedMail): string => parseMail(m.raw).headers.get("subject") ?? "";

describe("failover: a pair of two versions (a rolling upgrade)", function () {
  this.timeout(600_000);
  const suite = failoverSuite("mauve-failover-versions-");
  const { server, bots } = suite;

  it("the standby applies none of an older active's log, mails the people on call once, and says at takeover that its file was behind", async () => {
    const { dir, smtp } = suite;
    const t = server();
    await t.prosody.register("versions1", "pw-versions1");
    const tree = previousRelease(dir);
    const oldConfig = writeMailedFailoverConfig(t, dir, "old", smtp.port, ["alice"]);
    const newConfig = writeMailedFailoverConfig(t, dir, "new", smtp.port, ["alice"]);
    const old = ChildRun.command(
      process.execPath,
      ["--import", "tsx", "bots/alertbot.ts", "--config", oldConfig],
      tree,
      { [BOT_SECRET_ENV]: t.botSecret },
      "alertbot (previous release)",
    );
    bots.push(old);
    await tookOver(old, REAL_PROCESS_MS);
    // An alert raised through the old active: its writes are in the log.
    const agent = await runRegisteredAgent(
      t,
      dir,
      "versions1",
      "  - { id: before, summary: raised under the old active, state: raised }",
      new LogLines().logger,
    );
    suite.agent = agent;
    const aboutBefore = (m: CapturedMail): boolean => /raised under the old active/.test(subjectOf(m));
    await waitFor("the old active's mail about the alert", () => smtp.mails.some(aboutBefore), REAL_PROCESS_MS);

    const standby = await startFailoverBot(t, newConfig, "alertbot (this version)");
    bots.push(standby);
    const said = await standby.waitForLog(
      "the standby to say the versions differ",
      (l) => typeof l["msg"] === "string" && l["msg"].startsWith("replica log: the active runs another version"),
      REAL_PROCESS_MS,
    );
    assert.equal(said["level"], "error");
    assert.equal(said["activeSchema"], "not said (older)");
    const cannotFollow = (m: CapturedMail): boolean => /cannot follow the active/.test(subjectOf(m));
    await waitFor("the mail saying the standby cannot follow", () => smtp.mails.some(cannotFollow), REAL_PROCESS_MS);
    const told = smtp.mails.filter(cannotFollow);
    assert.deepEqual(
      told.flatMap((m) => m.to),
      ["alice@example.org"],
    );
    assert.match(parseMail(told[0]!.raw).part("text/plain")?.body ?? "", /stop both, upgrade both, start both/);

    // More writes of the old active while the standby runs: none reaches the standby's file.
    agent.change([{ id: "later", state: "raised", summary: "raised later under the old active" }]);
    const aboutLater = (m: CapturedMail): boolean => /raised later under the old active/.test(subjectOf(m));
    await waitFor("the old active's mail about the later alert", () => smtp.mails.some(aboutLater), REAL_PROCESS_MS);
    assert.equal(replicaSeq(join(dir, "new", "alertbot.sqlite")), 0, "no batch of the old active applied");
    assert.equal(smtp.mails.filter(cannotFollow).length, 1, "told once");

    // The old active stops, as the upgrade's next step would: the standby takes over with its file
    // as it stood, after T more (a bot holding the log's batches, started meanwhile, would claim
    // first), and tells the people on call.
    assert.deepEqual(await old.stop(), { code: 0, signal: null });
    await tookOver(standby, REAL_PROCESS_MS);
    assert.equal(
      standby.withMsg(
        "taking over with this database as it stands: what another AlertBot decided after its batch, if anything, is missing",
      ).length,
      1,
    );
    const behind = (m: CapturedMail): boolean =>
      /run by the former standby, whose database was behind/.test(subjectOf(m));
    await waitFor("the mail saying the new active's file was behind", () => smtp.mails.some(behind), REAL_PROCESS_MS);
    // The new active runs: an agent's next alert is mailed by it.
    agent.change([{ id: "after", state: "raised", summary: "raised under the new active" }]);
    const aboutAfter = (m: CapturedMail): boolean => /raised under the new active/.test(subjectOf(m));
    await waitFor("the new active's mail about the alert", () => smtp.mails.some(aboutAfter), REAL_PROCESS_MS);
    assert.ok(
      smtp.mails.filter(aboutAfter).every((m) => m.from === "alerts-new@example.org"),
      "sent by this version, the active now",
    );
    assert.equal(standby.hasExited, false);
  });
});
