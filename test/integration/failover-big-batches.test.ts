// Two AlertBots as processes (the active and its standby, docs/failover.md) on a real Prosody, and a
// burst of updates whose details do not compress (hex dumps, keys, base64 blobs in a check's
// output). The active sends nothing until its writes are in the replica log, so a log that chokes
// on big batches would hold every notice back, and a standby that cannot apply them would take
// over with a file that lacks them: both without a word.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { dumpTables } from "../helpers/db-dump.js";
import {
  replicaSeq,
  startFailoverBot,
  tookOver,
  TEST_FAILOVER,
  TEST_STANDBY_NAME,
  writeFailoverConfig,
} from "../helpers/failover-bots.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, runRegisteredAgent, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const AGENTS = 30;
const ALERTS = 4;
/** Bytes of random data in each alert's detail, sent as hex: an update of four is near Mauve's 64 KiB. */
const DETAIL_RANDOM_BYTES = 7_000;
const REAL_PROCESS_MS = 90_000;

describe("failover: a burst of updates whose details do not compress", function () {
  this.timeout(300_000);
  let dir: string;
  const bots: ChildRun[] = [];
  const agents: RunningAgent[] = [];
  let alice: PersonClient | undefined;
  const sources = Array.from({ length: AGENTS }, (_, i) => `big${i}`);
  const server = withProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql" });

  after(async () => {
    for (const a of agents) await a.stop();
    for (const b of bots) await b.stop();
    await alice?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("tells alice of every alert once, and the standby's file holds every detail", async () => {
    dir = tempDir("mauve-failover-big-");
    const t = server();
    const d = t.prosody.domain;
    for (const s of sources) await t.prosody.register(s, `pw-${s}`);
    alice = await PersonClient.login(t, "alice");
    // No storm digest: each alert its own notice, so every one of them waits on the log.
    const body = `people:\n  - { name: alice, jid: alice@${d} }\nstorm: { per_person_limit: "1000 per 1m", digest_after: 1000 }\n`;
    const a = await startFailoverBot(t, writeFailoverConfig(t, dir, "a", body), "alertbot A");
    bots.push(a);
    await tookOver(a, 30_000 + TEST_FAILOVER.takeoverAfterMs, 0, "jid-free");
    await a.waitForLog("A to run", (l) => l["msg"] === "AlertBot running", 30_000);
    const b = await startFailoverBot(t, writeFailoverConfig(t, dir, "b", body), "alertbot B");
    bots.push(b);
    await b.waitForLog("B to see the active", (l) => l["msg"] === "active seen", 30_000);

    // The takeover at start is said as a warning; from here on, nothing should be.
    const marks = new Map([a, b].map((bot) => [bot, bot.logs.length]));
    const log = new LogLines();
    agents.push(
      ...(await Promise.all(
        sources.map((s) => runRegisteredAgent(t, dir, s, "  - { id: hello, summary: hi, state: cleared }", log.logger)),
      )),
    );
    // Every agent at once: batches of the log grow while one is being published.
    for (const [i, agent] of agents.entries())
      agent.change(
        Array.from({ length: ALERTS }, (_, j) => ({
          id: `dump${j}`,
          state: "raised" as const,
          summary: `dump ${j} of ${sources[i]}`,
          detail: randomBytes(DETAIL_RANDOM_BYTES).toString("hex"),
        })),
      );
    const raised = (): string[] =>
      alice!.received.map((m) => /^RAISED #\d+ (big\d+ dump\d)/.exec(m.body)?.[1]).filter((x) => x !== undefined);
    await waitFor(`alice told of all ${AGENTS * ALERTS} dumps`, () => raised().length >= AGENTS * ALERTS || undefined, {
      timeoutMs: REAL_PROCESS_MS,
    });
    assert.equal(new Set(raised()).size, AGENTS * ALERTS, "each dump told once");

    // A goes on writing after alice is told (who heard, the history of the sends), so the two files
    // are compared once A's batch, read after each look, is one B applied: a loaded machine stored
    // those outcomes after a single look at A's batch, and B was then compared with a newer A.
    const alertsOf = (name: string): unknown[] => dumpTables(join(dir, name, "alertbot.sqlite"))["alerts"] ?? [];
    const appliedByB = (): number => Math.max(0, ...b.withMsg("replica batch applied").map((l) => Number(l["seq"])));
    let held: unknown[] = [];
    await waitFor(
      "B to hold what A holds",
      () => {
        const target = replicaSeq(join(dir, "a", "alertbot.sqlite"));
        held = alertsOf("a");
        return (appliedByB() >= target && isDeepStrictEqual(alertsOf("b"), held)) || undefined;
      },
      { timeoutMs: REAL_PROCESS_MS, everyMs: 500 },
    ).catch(() => undefined);
    assert.equal(held.length, AGENTS * (ALERTS + 1), "A holds every alert");
    assert.deepEqual(alertsOf("b"), held, "B's file holds A's alerts, details and all");

    for (const bot of [a, b]) {
      const said = bot.logs.slice(marks.get(bot)).filter((l) => l["level"] === "warn" || l["level"] === "error");
      assert.deepEqual(said, [], `${bot.label} warned of nothing`);
      assert.equal(bot.hasExited, false, `${bot.label} still runs`);
    }
    const published = a.withMsg("replica batch published").map((l) => Number(l["bytes"]));
    process.stdout.write(
      `      ${published.length} batches, the largest ${Math.round(Math.max(...published) / 1024)} KiB (base64)\n`,
    );
  });
});
