import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentAlert } from "../../src/codec/build-update.js";
import { baseCheckEnv, runCheckCommand } from "../../src/checks/run-command.js";
import { CheckScheduler, SLOT_HOLD_MS } from "../../src/checks/scheduler.js";
import type { CheckRun, CheckSpec, CheckStatus } from "../../src/checks/check-config.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";

const log = createLogger({ level: "error" });
const spec = (id: string, extra: Partial<CheckSpec> = {}): CheckSpec => ({
  id,
  command: `check_${id}`,
  intervalMs: 60_000,
  timeoutMs: 30_000,
  env: {},
  subject: null,
  importance: { warning: 40, critical: 80, unknown: 50 },
  damping: { raise: 1, of: 1, clear: 1 },
  ...extra,
});
const verdict = (status: CheckStatus, summary = status.toUpperCase()): CheckRun => ({
  status,
  summary,
  detail: "",
  exitCode: 0,
  timedOut: false,
});
const flush = () => new Promise((r) => setImmediate(r));

/** A run function whose runs the test finishes by hand. */
class ManualRuns {
  readonly started: Array<{ id: string; at: number; finish: (run: CheckRun) => void }> = [];
  constructor(private readonly clock: FakeClock) {}
  readonly run = (s: CheckSpec): Promise<CheckRun> =>
    new Promise((resolve) => this.started.push({ id: s.id, at: this.clock.now(), finish: resolve }));
  running(): string[] {
    return this.started.filter((r) => !(r as { done?: boolean }).done).map((r) => r.id);
  }
  async finish(id: string, run: CheckRun): Promise<void> {
    const r = this.started.find((x) => x.id === id && !(x as { done?: boolean }).done);
    assert.ok(r, `${id} is running`);
    (r as { done?: boolean }).done = true;
    r.finish(run);
    await flush();
  }
}

describe("checks: scheduler", () => {
  let clock: FakeClock;
  let runs: ManualRuns;
  let batches: AgentAlert[][];
  const make = (maxConcurrent = 4) =>
    new CheckScheduler({ clock, log, run: runs.run, maxConcurrent, onChanges: (b) => batches.push(b) });

  beforeEach(() => {
    clock = new FakeClock();
    runs = new ManualRuns(clock);
    batches = [];
  });

  it("runs each check at once, then every interval counted from the start of the last run", async () => {
    const s = make();
    s.setChecks([spec("disk", { intervalMs: 60_000 })], () => false);
    assert.deepEqual(runs.running(), ["disk"]);
    clock.advance(5_000); // the run takes 5 s
    await runs.finish("disk", verdict("ok"));
    clock.advance(54_999);
    assert.deepEqual(runs.running(), []);
    clock.advance(1);
    assert.deepEqual(runs.running(), ["disk"]);
    assert.equal(runs.started[1]?.at, runs.started[0]!.at + 60_000);
    s.stop();
  });

  it("never runs more than max_concurrent checks at once; the others wait their turn", async () => {
    const s = make(2);
    s.setChecks(
      ["a", "b", "c", "d"].map((id) => spec(id)),
      () => false,
    );
    assert.deepEqual(runs.running(), ["a", "b"]);
    await runs.finish("b", verdict("ok"));
    assert.deepEqual(runs.running(), ["a", "c"]);
    await runs.finish("a", verdict("ok"));
    await runs.finish("c", verdict("ok"));
    assert.deepEqual(runs.running(), ["d"]);
    s.stop();
  });

  it("checks that hang (timeout 1h) do not keep the others from running: past SLOT_HOLD_MS they run outside the limit", async () => {
    const s = make(2);
    const hung = { timeoutMs: 3_600_000 };
    s.setChecks([spec("nfs1", hung), spec("nfs2", hung), spec("nginx")], () => false);
    assert.deepEqual(runs.running(), ["nfs1", "nfs2"]);
    clock.advance(SLOT_HOLD_MS);
    await flush();
    assert.deepEqual(runs.running(), ["nfs1", "nfs2", "nginx"], "nginx runs while both hang");
    await runs.finish("nginx", verdict("critical", "nginx is not answering"));
    clock.advance(1_000);
    assert.deepEqual(
      batches.map((b) => b.map((a) => a.id)),
      [["nginx"]],
      "and its failure is told while they still hang",
    );
    clock.advance(60_000);
    await flush();
    assert.deepEqual(runs.running(), ["nfs1", "nfs2", "nginx"], "its next run too, one copy each");
    s.stop();
  });

  it("hands the changes of one moment on as one batch, with the importance of each status", async () => {
    const s = make();
    s.setChecks([spec("disk"), spec("load"), spec("mail")], () => false);
    await runs.finish("disk", verdict("critical", "DISK CRITICAL - / 97%"));
    await runs.finish("load", verdict("warning", "LOAD WARNING"));
    assert.equal(batches.length, 0, "mail is still running: the moment is not over");
    await runs.finish("mail", verdict("ok"));
    assert.deepEqual(batches, [
      [
        { id: "disk", state: "raised", summary: "DISK CRITICAL - / 97%", importance: 80 },
        { id: "load", state: "raised", summary: "LOAD WARNING", importance: 40 },
      ],
    ]);
    s.stop();
  });

  it("does not hold a change back for longer than the batch window", async () => {
    const s = make();
    s.setChecks([spec("fast"), spec("slow")], () => false);
    await runs.finish("fast", verdict("critical"));
    clock.advance(1_000);
    assert.deepEqual(
      batches.map((b) => b.map((a) => a.id)),
      [["fast"]],
    );
    s.stop();
  });

  it("publishes a raised check again only when its status changes, and clears it with the OK output", async () => {
    const s = make();
    s.setChecks([spec("disk", { intervalMs: 10_000 })], () => false);
    const step = async (run: CheckRun) => {
      await runs.finish("disk", run);
      clock.advance(10_000);
    };
    await step(verdict("warning", "DISK WARNING - 91%"));
    await step(verdict("warning", "DISK WARNING - 92%")); // same status: no update
    await step(verdict("critical", "DISK CRITICAL - 97%"));
    await step(verdict("ok", "DISK OK - 50%"));
    await step(verdict("ok", "DISK OK - 49%"));
    assert.deepEqual(
      batches.flat().map((a) => [a.state, a.summary, a.importance]),
      [
        ["raised", "DISK WARNING - 91%", 40],
        ["raised", "DISK CRITICAL - 97%", 80],
        ["cleared", "DISK OK - 50%", undefined],
      ],
    );
    s.stop();
  });

  it("damps flapping: raises on 2 failures of 3, clears after 2 passes", async () => {
    const s = make();
    s.setChecks([spec("ping", { intervalMs: 10_000, damping: { raise: 2, of: 3, clear: 2 } })], () => false);
    const seen: string[] = [];
    for (const st of ["critical", "ok", "critical", "ok", "critical", "ok", "ok"] as const) {
      await runs.finish("ping", verdict(st));
      seen.push(
        batches
          .flat()
          .map((a) => a.state[0])
          .join(""),
      );
      clock.advance(10_000);
    }
    assert.deepEqual(seen, ["", "", "r", "r", "r", "r", "rc"]);
    s.stop();
  });

  it("reloads: a new or changed check runs at once, an unchanged one keeps its schedule and state, a removed one stops", async () => {
    const s = make();
    s.setChecks([spec("keep"), spec("change"), spec("drop")], () => false);
    for (const id of ["keep", "change", "drop"]) await runs.finish(id, verdict("critical"));
    clock.advance(1_000);
    runs.started.length = 0;
    s.setChecks([spec("keep"), spec("change", { timeoutMs: 5_000 }), spec("new")], () => false);
    assert.deepEqual(runs.running().sort(), ["change", "new"]);
    assert.deepEqual(s.ids().sort(), ["change", "keep", "new"]);
    await runs.finish("change", verdict("critical"));
    await runs.finish("new", verdict("ok"));
    assert.equal(batches.length, 1, "the changed check kept its raised state: nothing new to say");
    clock.advance(59_000);
    assert.deepEqual(runs.running(), ["keep"], "keep runs on its old schedule; drop never again");
    s.stop();
  });

  it("a wall clock stepped back while a check runs holds its next run back by no more than the interval", async () => {
    const s = make();
    s.setChecks([spec("disk", { intervalMs: 60_000 })], () => false);
    clock.advance(5_000);
    clock.set(clock.now() - 3_600_000); // NTP steps the clock back an hour during the run
    await runs.finish("disk", verdict("ok"));
    clock.advance(60_000);
    assert.equal(runs.started.length, 2, "the check ran again within one interval");
    s.stop();
  });

  it("reloading a running check kills the old run, and the new copy starts only once the old one ended", async () => {
    const signals: AbortSignal[] = [];
    const s = new CheckScheduler({
      clock,
      log,
      maxConcurrent: 4,
      onChanges: (b) => batches.push(b),
      run: (sp, signal) => {
        signals.push(signal);
        return runs.run(sp);
      },
    });
    s.setChecks([spec("backup")], () => false);
    s.setChecks([spec("backup", { intervalMs: 120_000 })], () => false);
    assert.equal(signals[0]?.aborted, true, "the old run is told to stop");
    assert.deepEqual(runs.running(), ["backup"], "one copy only while the old one has not ended");
    await runs.finish("backup", verdict("critical"));
    assert.equal(batches.length, 0, "the old copy's result is dropped");
    assert.deepEqual(runs.running(), ["backup"], "the new copy runs once the old one ended");
    assert.equal(runs.started.length, 2);
    assert.equal(signals[1]?.aborted, false);
    s.setChecks([], () => false);
    assert.equal(signals[1]?.aborted, true, "a removed check's run is killed");
    s.stop();
  });

  it("hands on the latest output of a raised check whose status stays, for the full state, without a change", async () => {
    const latest: AgentAlert[][] = [];
    const s = make();
    s.onLatest((a) => latest.push(a));
    s.setChecks([spec("disk")], () => false);
    await runs.finish("disk", verdict("critical", "DISK CRITICAL - 91% used"));
    clock.advance(60_000);
    await runs.finish("disk", verdict("critical", "DISK CRITICAL - 99% used"));
    assert.equal(batches.length, 1, "one change: the raise");
    assert.deepEqual(
      latest.flat().map((a) => [a.state, a.summary]),
      [["raised", "DISK CRITICAL - 99% used"]],
    );
    s.stop();
  });

  it("starts a check from its saved state, so a restart does not raise it again", async () => {
    const s = make();
    s.setChecks([spec("disk")], (id) => id === "disk");
    await runs.finish("disk", verdict("critical"));
    assert.deepEqual(
      batches.flat().map((a) => a.state),
      ["raised"],
      "refreshed once with the current output",
    );
    clock.advance(60_000);
    await runs.finish("disk", verdict("critical"));
    assert.equal(batches.length, 1);
    s.stop();
  });

  it("with real plugins: a script failing every other run raises after 2 of 3 and clears after 2 passes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mauve-sched-"));
    try {
      const path = join(dir, "flappy");
      // Exit codes in turn from a list, one per run; the counter lives in a file.
      writeFileSync(
        path,
        `#!/bin/sh\nn=$(cat ${dir}/n 2>/dev/null || echo 0)\necho $((n+1)) > ${dir}/n\nset -- 2 0 2 0 0 0\nshift $n\necho "FLAPPY run $((n+1))"\nexit $1\n`,
      );
      chmodSync(path, 0o755);
      const env = baseCheckEnv(process.env);
      const s = new CheckScheduler({
        clock,
        log,
        maxConcurrent: 1,
        onChanges: (b) => batches.push(b),
        run: (sp, signal) => runCheckCommand(sp, clock, env, signal),
      });
      s.setChecks(
        [spec("flappy", { command: path, intervalMs: 10_000, damping: { raise: 2, of: 3, clear: 2 } })],
        () => false,
      );
      for (let i = 0; i < 6; i++) {
        await s.idle();
        clock.advance(10_000);
      }
      assert.deepEqual(
        batches.map((b) => b.map((a) => [a.state, a.summary])),
        [[["raised", "FLAPPY run 3"]], [["cleared", "FLAPPY run 5"]]],
      );
      s.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
