// How a long-running entry point ends: only a signal ends it with status 0; a loop that runs dry,
// an uncaught error and a failed stop are logged and end it non-zero, so systemd restarts it.
import assert from "node:assert/strict";
import { ChildRun } from "../helpers/process-child.js";
import { EXIT_FATAL } from "../../src/cli/entry.js";
import { waitFor } from "../helpers/wait-for.js";

const FIXTURE = "test/fixtures/process/lifetime-entry.ts";
const run = (mode: string): ChildRun => ChildRun.start(FIXTURE, [mode], {}, `lifetime ${mode}`);

/** The log line with message `msg`, or a failure that shows what the child wrote. */
function line(child: ChildRun, msg: string): Record<string, unknown> {
  const found = child.withMsg(msg)[0];
  assert.ok(found, `"${msg}" logged; stderr:\n${child.stderr}`);
  return found;
}

describe("entry point lifetime (child processes)", function () {
  this.timeout(30_000);
  const children: ChildRun[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) await c.crash();
  });
  const start = (mode: string): ChildRun => {
    const child = run(mode);
    children.push(child);
    return child;
  };

  it("an event loop that runs dry is a fatal error: logged, status 70, never a clean 0", async () => {
    const child = start("drained");
    assert.deepEqual(await child.exited, { code: EXIT_FATAL, signal: null }, child.stderr);
    line(child, "connection lost; will retry");
    assert.equal(child.withMsg("retry due").length, 0, "the retry never came");
    const fatal = line(child, "event loop ended unexpectedly: nothing was left to keep the process working; exiting");
    assert.equal(fatal["level"], "error");
    assert.equal(fatal["status"], EXIT_FATAL);
  });

  it("holdProcessOpen keeps a process that waits only on the clock's timers alive until SIGTERM, then exits 0", async () => {
    const child = start("held");
    await child.waitForLog("its timers to run out", (l) => l["msg"] === "ready");
    assert.equal(child.withMsg("retry due").length, 3, "every retry came");
    assert.equal(child.hasExited, false);
    child.signal("SIGTERM");
    assert.deepEqual(await child.exited, { code: 0, signal: null }, child.stderr);
    assert.deepEqual([line(child, "stopping")["signal"], line(child, "stopping")["startedUp"]], ["SIGTERM", true]);
    line(child, "stop ran");
    assert.deepEqual([line(child, "stopped; exiting")["status"]], [0]);
    assert.ok(!child.stderr.includes("unexpectedly"), child.stderr);
  });

  it("SIGINT before start-up finished: logged, status 0", async () => {
    const child = start("signal-while-starting");
    await child.waitForLog("its timers to run out", (l) => l["msg"] === "ready");
    child.signal("SIGINT");
    assert.deepEqual(await child.exited, { code: 0, signal: null }, child.stderr);
    assert.deepEqual([line(child, "stopping")["signal"], line(child, "stopping")["startedUp"]], ["SIGINT", false]);
  });

  it("SIGHUP before start-up finished is logged and applied once running, once; later ones reload; none ends it", async () => {
    const child = start("hangups");
    await child.waitForLog("its start", (l) => l["msg"] === "ready");
    const said = (msg: string): number => child.withMsg(msg).length;
    child.signal("SIGHUP");
    await waitFor("the first SIGHUP", () => said("SIGHUP while starting: read once running") === 1);
    child.signal("SIGHUP");
    await waitFor("the second SIGHUP", () => said("SIGHUP while starting: read once running") === 2);
    child.signal("SIGUSR2");
    await waitFor("the pending reload", () => said("reload ran") === 1);
    child.signal("SIGHUP");
    await waitFor("a reload", () => said("reload ran") === 2);
    assert.equal(child.hasExited, false);
    child.signal("SIGTERM");
    assert.deepEqual(await child.exited, { code: 0, signal: null }, child.stderr);
    assert.equal(said("reload ran"), 2, "the SIGHUPs before start ran one reload");
  });

  it("a stop that fails is logged with its error, status 1", async () => {
    const child = start("stop-fails");
    await child.waitForLog("its timers to run out", (l) => l["msg"] === "ready");
    child.signal("SIGTERM");
    assert.deepEqual(await child.exited, { code: 1, signal: null }, child.stderr);
    const unclean = line(child, "unclean stop; exiting");
    assert.match(String(unclean["stack"]), /the outbox would not close/);
  });

  for (const [mode, message] of [
    ["throws", "a bug nobody caught"],
    ["rejects", "a promise nobody awaited"],
  ] as const) {
    it(`an uncaught error (${mode}) is logged with its stack, status 70`, async () => {
      const child = start(mode);
      assert.deepEqual(await child.exited, { code: EXIT_FATAL, signal: null }, child.stderr);
      const fatal = line(child, "fatal error; exiting");
      assert.equal(fatal["level"], "error");
      assert.match(String(fatal["stack"]), new RegExp(message));
    });
  }
});
