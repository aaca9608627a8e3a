// scripts/run-tests.mjs, `npm test`'s mocha part, run against a stand-in for mocha (a script at
// node_modules/mocha/bin/mocha.js of a scratch directory) that prints what a pass would and exits:
// what its last lines, which CI shows, say of it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const SCRIPT = resolve("scripts/run-tests.mjs");

/** Runs the prosody pass with `mocha` as the stand-in's body; its output's lines and exit status. */
function runWith(mocha: string): { lines: string[]; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "mauve-run-tests-"));
  try {
    mkdirSync(join(dir, "node_modules/mocha/bin"), { recursive: true });
    writeFileSync(join(dir, "node_modules/mocha/bin/mocha.js"), mocha);
    const run = spawnSync(process.execPath, [SCRIPT, "prosody"], { cwd: dir, encoding: "utf8", timeout: 30_000 });
    return { lines: run.stdout.trimEnd().split("\n"), status: run.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("run-tests.mjs: the run's last lines", () => {
  it("counts a pass that crashed after printing its summary as failed, and says so", () => {
    const { lines, status } = runWith(
      `process.stdout.write("  ✔ a test\\n\\n3 passed, 0 failed\\n");
       setTimeout(() => { throw new Error("a timer left running threw after the run"); }, 10);`,
    );
    assert.equal(status, 1);
    assert.match(lines.at(-2)!, /^prosody pass: 3 passed, 0 failed; then exited 1/, lines.join("\n"));
    assert.equal(lines.at(-1), "3 passed, 1 failed", "its last line, which CI reads, does not say all passed");
  });

  it("prints a failed test's title whole when its line reached the runner in two pieces", () => {
    const { lines } = runWith(
      `const line = Buffer.from("FAILED: x.test.ts: web1:9100 → web1: boom\\n");
       const at = line.indexOf(Buffer.from("→")) + 1; // inside the arrow's three bytes
       process.stdout.write(line.subarray(0, at), () =>
         setTimeout(() => {
           process.stdout.write(Buffer.concat([line.subarray(at), Buffer.from("\\n2 passed, 1 failed\\n")]));
           process.exitCode = 1;
         }, 100),
       );`,
    );
    assert.deepEqual(lines.slice(-3), [
      "prosody pass: 2 passed, 1 failed",
      "  prosody FAILED: x.test.ts: web1:9100 → web1: boom",
      "2 passed, 1 failed",
    ]);
  });

  it("prints a pass's totals and each failure above the run's last line", () => {
    const { lines, status } = runWith(
      `process.stdout.write("FAILED: a.test.ts: s t: boom\\n\\n4 passed, 1 failed\\n"); process.exitCode = 1;`,
    );
    assert.equal(status, 1);
    assert.deepEqual(lines.slice(-3), [
      "prosody pass: 4 passed, 1 failed",
      "  prosody FAILED: a.test.ts: s t: boom",
      "4 passed, 1 failed",
    ]);
  });
});
