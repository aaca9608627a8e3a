// Real tiny plugins (shell scripts in a temp dir), run the way the agent runs them.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseCheckEnv, runCheckCommand } from "../../src/checks/run-command.js";
import type { CheckSpec } from "../../src/checks/check-config.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { waitFor } from "../helpers/wait-for.js";

/** Processes in process group `pgid` that are still alive (zombies awaiting their reaper count as gone). */
function liveMembers(pgid: number): number[] {
  const live: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // Fields after the command name (which is in parentheses and may hold spaces): state ppid pgrp ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") live.push(Number(name));
  }
  return live;
}

describe("checks: running plugin commands", () => {
  let dir: string;
  let clock: FakeClock;
  const env = baseCheckEnv(process.env);
  const spec = (command: CheckSpec["command"], extra: Partial<CheckSpec> = {}) => ({
    command,
    timeoutMs: 30_000,
    env: {},
    ...extra,
  });
  const script = (name: string, body: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-checks-"));
    clock = new FakeClock();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const [code, status] of [
    [0, "ok"],
    [1, "warning"],
    [2, "critical"],
    [3, "unknown"],
  ] as const) {
    it(`exit ${code} is ${status.toUpperCase()}, with summary and detail from the output`, async () => {
      const path = script(
        "plugin",
        `echo "TEST ${status} - value 42 | v=42;50;90"\necho "second line"\necho "third | more=1"\nexit ${code}`,
      );
      const run = await runCheckCommand(spec(path), clock, env);
      assert.deepEqual(run, {
        status,
        summary: `TEST ${status} - value 42`,
        detail: "second line\nthird",
        exitCode: code,
        timedOut: false,
      });
    });
  }

  it("runs a shell command line and an argument vector", async () => {
    const line = await runCheckCommand(spec("echo 'LOAD OK' ; exit 0"), clock, env);
    assert.equal(line.summary, "LOAD OK");
    const argv = await runCheckCommand(
      spec(["/bin/sh", "-c", 'echo "ARGV $0 $1"; exit 1', "zero", "one; not a shell"]),
      clock,
      env,
    );
    assert.deepEqual([argv.status, argv.summary], ["warning", "ARGV zero one; not a shell"]);
  });

  it("gives the check its env and PATH, but nothing else of the agent's environment", async () => {
    process.env["MAUVE_TEST_SECRET"] = "hunter2";
    try {
      const run = await runCheckCommand(
        spec('echo "[$GREETING] [$MAUVE_TEST_SECRET] [$LANG]"; command -v sh >/dev/null', { env: { GREETING: "hi" } }),
        clock,
        baseCheckEnv(process.env),
      );
      assert.equal(run.summary, "[hi] [] [C]");
      assert.equal(run.status, "ok");
    } finally {
      delete process.env["MAUVE_TEST_SECRET"];
    }
  });

  it("says what is wrong with a missing plugin, an odd exit code or no output", async () => {
    const missing = await runCheckCommand(spec(join(dir, "no-such-plugin")), clock, env);
    assert.equal(missing.status, "unknown");
    assert.match(missing.summary, /Return code of 127 is out of bounds - plugin may be missing/);
    const odd = await runCheckCommand(spec("echo weird; exit 7"), clock, env);
    assert.deepEqual(
      [odd.status, odd.summary, odd.detail],
      ["unknown", "(Return code of 7 is out of bounds)", "weird"],
    );
    const silent = await runCheckCommand(spec("echo oops >&2; exit 2"), clock, env);
    assert.deepEqual([silent.status, silent.summary], ["critical", "(No output on stdout) stderr: oops"]);
    const notExecutable = await runCheckCommand(spec([join(dir, "nope")]), clock, env);
    assert.match(notExecutable.summary, /cannot run the check: .*ENOENT/);
  });

  it("kills the whole process group of a hanging check at its timeout, and calls it CRITICAL", async () => {
    const pgidFile = join(dir, "pgid");
    const path = script(
      "hang",
      `echo "STARTED"\nsleep 1000 &\n(sleep 1000; echo never) &\ncut -d' ' -f5 /proc/$$/stat > ${pgidFile}.tmp && mv ${pgidFile}.tmp ${pgidFile}\nwait`,
    );
    const running = runCheckCommand(spec(path, { timeoutMs: 10_000 }), clock, env);
    await waitFor("the check to start its children", () => existsSync(pgidFile));
    const pgid = Number(readFileSync(pgidFile, "utf8"));
    assert.ok(liveMembers(pgid).length >= 3, "the script and its two sleeps run in one group");
    clock.advance(9_999);
    assert.ok(liveMembers(pgid).length >= 3, "not killed before its timeout");
    clock.advance(1);
    const run = await running;
    assert.deepEqual([run.status, run.timedOut, run.exitCode], ["critical", true, null]);
    assert.equal(run.summary, "check timed out after 10s: STARTED");
    await waitFor("every process of the group to be gone", () => liveMembers(pgid).length === 0);
  });

  it("keeps what a check printed just before its timeout, even when it is still in the pipe", async () => {
    const readyFile = join(dir, "ready");
    const printedFile = join(dir, "printed");
    const path = script(
      "late",
      `touch ${readyFile}\nsleep 0.2\necho "LATE but printed"\ntouch ${printedFile}\nsleep 1000`,
    );
    const running = runCheckCommand(spec(path, { timeoutMs: 5_000 }), clock, env);
    await waitFor("the check to start", () => existsSync(readyFile));
    // Hold the event loop until the line is written: it waits unread in the pipe when the timeout fires.
    const deadline = Date.now() + 15_000;
    while (!existsSync(printedFile) && Date.now() < deadline) {
      // spin: a yield would let Node read the pipe
    }
    assert.ok(existsSync(printedFile), "the check printed its line");
    clock.advance(5_000);
    const run = await running;
    assert.equal(run.summary, "check timed out after 5s: LATE but printed");
  });

  it("leaves no process of a finished check behind, even ones it put in the background", async () => {
    const pgidFile = join(dir, "pgid");
    const path = script(
      "leaky",
      `sleep 1000 >/dev/null 2>&1 &\ncut -d' ' -f5 /proc/$$/stat > ${pgidFile}\necho "LEAKY OK"\nexit 0`,
    );
    const run = await runCheckCommand(spec(path), clock, env);
    assert.deepEqual([run.status, run.summary], ["ok", "LEAKY OK"]);
    const pgid = Number(readFileSync(pgidFile, "utf8"));
    await waitFor("the background sleep to be gone", () => liveMembers(pgid).length === 0);
  });

  it("kills a running check's group when the agent stops (abort)", async () => {
    const pgidFile = join(dir, "pgid");
    const path = script(
      "hang",
      `sleep 1000 &\ncut -d' ' -f5 /proc/$$/stat > ${pgidFile}.tmp && mv ${pgidFile}.tmp ${pgidFile}\nwait`,
    );
    const stop = new AbortController();
    const running = runCheckCommand(spec(path), clock, env, stop.signal);
    await waitFor("the check to start", () => existsSync(pgidFile));
    const pgid = Number(readFileSync(pgidFile, "utf8"));
    stop.abort();
    const run = await running;
    assert.equal(run.status, "unknown");
    assert.match(run.summary, /killed by SIGKILL/);
    await waitFor("every process of the group to be gone", () => liveMembers(pgid).length === 0);
  });
});
