#!/usr/bin/env node
// `npm test`'s mocha part: the whole suite against Prosody, then the chosen subset against ejabberd
// (docs/development.md says which files and why). Both passes always run, so one failure does not
// hide the other's results, and the last line adds them up: `N passed, N failed`, which CI reads.
import { spawn } from "node:child_process";

/**
 * The ejabberd pass: the spine, access, source identity, catch-up after a bot restart, server
 * restarts, AlertBot cut off from its server (and started while it is down), a person in a client
 * of another make (presence decides the channel), two agents on one account, an agent that dies
 * without closing its stream, agents over TLS, the demo.
 */
export const EJABBERD_SUBSET = [
  "test/integration/spine.test.ts",
  "test/integration/node-access.test.ts",
  "test/integration/source-identity.test.ts",
  "test/integration/fault-access.test.ts",
  "test/integration/fault-bot-crash.test.ts",
  "test/integration/fault-server-restart.test.ts",
  "test/integration/fault-process-restart.test.ts",
  "test/integration/bot-link-down.test.ts",
  "test/integration/agent-link-frozen.test.ts",
  "test/integration/client-slixmpp.test.ts",
  "test/integration/agent-twin.test.ts",
  "test/integration/agent-crash.test.ts",
  "test/integration/agent-tls.test.ts",
  "test/integration/demo-http.test.ts",
];

/** How the summary reporter starts its line for each failed test (test/helpers/summary-reporter.cjs). */
const FAILED = "FAILED: ";
/** How many of a pass's FAILED lines are printed again at the end. */
const FAILED_LINES_AGAIN = 20;

const SUMMARY = /(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/;

const PASSES = {
  prosody: {
    env: { MAUVE_TEST_SERVER: "prosody" },
    files: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
  },
  ejabberd: { env: { MAUVE_TEST_SERVER: "ejabberd" }, files: EJABBERD_SUBSET },
};

const only = process.argv.slice(2);
for (const name of only) {
  if (!(name in PASSES)) {
    process.stderr.write(`run-tests: unknown pass "${name}"; passes are ${Object.keys(PASSES).join(", ")}\n`);
    process.exit(2);
  }
}
const chosen = only.length > 0 ? only : Object.keys(PASSES);

/** How long mocha may take to exit after printing its summary before it is taken for stuck. */
const EXIT_AFTER_SUMMARY_MS = 120_000;
/** How long the pipes may stay open once mocha has exited (a leftover grandchild holding them). */
const DRAIN_MS = 10_000;

/** The process group of the pass that is running, for a Ctrl-C or a SIGTERM to reach all of it. */
let runningGroup = null;
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    if (runningGroup !== null) killGroup(runningGroup, "SIGKILL");
    process.exit(130);
  });

function killGroup(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: the whole group has ended already.
  }
}

/**
 * Runs mocha for one pass in a process group of its own, echoing its output; resolves to its exit
 * code and its closing summary. Nothing the pass started outlives it: when mocha exits, whatever
 * is left in its group (a server or entry point a failed test did not stop) is killed, and a mocha
 * that prints its summary but does not exit (a handle left open) is killed after a while and
 * counted as a failure. Either used to hold the run open until CI's deadline.
 */
function runPass(name) {
  const { env, files } = PASSES[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["node_modules/mocha/bin/mocha.js", ...files], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    runningGroup = child.pid;
    // Read as text: a character split between two reads (a test's title, its reason) stays whole.
    child.stdout.setEncoding("utf8");
    let tail = "";
    let partial = "";
    const failures = [];
    let stuck = null;
    let hung = false;
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk).slice(-4096);
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith(FAILED)) failures.push(line);
      if (stuck === null && SUMMARY.test(tail))
        stuck = setTimeout(() => {
          hung = true;
          process.stderr.write(
            `run-tests: the ${name} pass printed its summary but has not exited in ${EXIT_AFTER_SUMMARY_MS / 1000} s (something left open); killing it\n`,
          );
          killGroup(child.pid, "SIGKILL");
        }, EXIT_AFTER_SUMMARY_MS);
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(stuck);
      killGroup(child.pid, "SIGKILL");
      runningGroup = null;
      const finish = () => {
        const m = SUMMARY.exec(tail);
        resolve({
          name,
          code: code ?? 1,
          signal,
          hung,
          passed: m ? Number(m[1]) : 0,
          failed: m ? Number(m[2]) : 0,
          skipped: m && m[3] ? Number(m[3]) : 0,
          summarised: m !== null,
          failures,
        });
      };
      if (child.stdout.closed) return finish();
      const drained = setTimeout(finish, DRAIN_MS);
      child.stdout.once("close", () => {
        clearTimeout(drained);
        finish();
      });
    });
  });
}

const results = [];
for (const name of chosen) results.push(await runPass(name));

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
process.stdout.write("\n");
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  // A pass that died without its summary (a crash, a signal) counts as a failure, never as 0 of 0.
  // One that printed its summary and then had to be killed counts as one more failure too, as does
  // one that then crashed (a timer left running that threw): its exit status alone failed the run,
  // while the last line, which CI shows, said nothing failed.
  const crashed = r.summarised && !r.hung && (r.signal !== null || (r.code !== 0 && r.failed === 0));
  if (!r.summarised || r.hung || crashed) failed += 1;
  if (r.code !== 0 || !r.summarised || r.hung) ok = false;
  const how = r.summarised
    ? `${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ""}${r.hung ? "; did not exit after its summary, killed" : ""}${crashed ? `; then exited ${r.code}${r.signal ? `, ${r.signal}` : ""} (see its output above)` : ""}`
    : `ended without a summary (exit ${r.code}${r.signal ? `, ${r.signal}` : ""})`;
  process.stdout.write(`${r.name} pass: ${how}\n`);
  // Again here, because CI shows only the tail and mocha's own account is far above by now.
  for (const line of r.failures.slice(0, FAILED_LINES_AGAIN)) process.stdout.write(`  ${r.name} ${line}\n`);
  if (r.failures.length > FAILED_LINES_AGAIN)
    process.stdout.write(`  ${r.name}: ${r.failures.length - FAILED_LINES_AGAIN} more failed; see above\n`);
}
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(ok && failed === 0 ? 0 : 1);
