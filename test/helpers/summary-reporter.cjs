// Mocha's spec reporter plus, at the end, one line per failed test (`FAILED: file: title: why`)
// and one closing line, `N passed, N failed`, that CI reads. CI shows only the tail of the output,
// and the spec reporter's own account of a failure is far above it by then: run-tests.mjs prints
// these FAILED lines again just above the run's last line.
"use strict";
const Mocha = require("mocha");
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

/** How much of a failure's message its line keeps (a whole stack would bury the next one). */
const WHY_CHARS = 300;

function oneLine(text) {
  return String(text).replace(/\s+/g, " ").trim().slice(0, WHY_CHARS);
}

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const failed = [];
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      const file = test.file ? require("node:path").relative(process.cwd(), test.file) : "?";
      failed.push(`FAILED: ${file}: ${oneLine(test.fullTitle())}: ${oneLine(err && err.message)}`);
    });
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      const skipped = pending > 0 ? `, ${pending} skipped` : "";
      const list = failed.length > 0 ? `\n${failed.join("\n")}\n` : "";
      process.stdout.write(`${list}\n${passes} passed, ${failures} failed${skipped}\n`);
    });
  }
}

module.exports = SummaryReporter;
