// `npm run demo` turns AlertBot's HTTP listener on and prints its URLs; the metrics URL it prints
// answers in Prometheus' text format while the demo runs. On the server MAUVE_TEST_SERVER names
// (`npm run demo -- --server ejabberd` in the ejabberd pass of `npm test`).
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { ChildRun } from "../helpers/process-child.js";
import { scrape, sum } from "../helpers/metrics.js";
import { defaultTestServer } from "../helpers/prosody.js";
import { tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("demo: the HTTP listener's URLs", function () {
  this.timeout(120_000);
  let dir: string;
  let demo: ChildRun | undefined;

  after(async () => {
    if (demo && !demo.hasExited) {
      demo.signal("SIGINT");
      await demo.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints metrics: and alertmanager webhook: URLs, and the metrics URL serves the bot's counters", async () => {
    dir = tempDir("mauve-demo-");
    const server = defaultTestServer();
    demo = ChildRun.start(
      "scripts/demo.ts",
      ["--server", server, "--dir", dir, "--c2s-port", "0", "--http-port", "0"],
      {},
      "demo",
    );
    // eslint-disable-next-line no-control-regex -- strips the terminal colour codes the demo prints
    const plain = (): string => demo!.stdout.replace(/\x1b\[[0-9;]*m/g, "");
    const metricsUrl = await waitFor(
      "the demo to print the metrics URL",
      () => /^ *metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(plain())?.[1],
      90_000,
    );
    const port = new URL(metricsUrl).port;
    assert.match(
      plain(),
      new RegExp(`^ *alertmanager webhook: http://127\\.0\\.0\\.1:${port}/webhook/alertmanager$`, "m"),
    );
    await waitFor("the spine to work", () => plain().includes("the spine works"), 90_000);
    assert.match(plain(), new RegExp(`starting a private ${server === "ejabberd" ? "ejabberd" : "Prosody"} in `));
    const samples = await scrape(metricsUrl);
    assert.ok(
      sum(samples, "mauve_updates_total", { via: "pubsub", outcome: "applied" }) >= 1,
      "the agent's updates counted",
    );
    assert.ok(sum(samples, "mauve_commands_total", { command: "ack", outcome: "ok" }) >= 1, "alice's ack counted");
    demo.signal("SIGINT");
    assert.equal((await demo.exited).code, 0);
  });

  it("runs again in the same directory: it starts afresh, and the spine works again", async () => {
    const rerun = ChildRun.start(
      "scripts/demo.ts",
      ["--server", defaultTestServer(), "--dir", dir, "--c2s-port", "0", "--http-port", "0", "--once"],
      {},
      "demo again",
    );
    demo = rerun;
    const exit = await rerun.exited;
    // eslint-disable-next-line no-control-regex -- strips the terminal colour codes the demo prints
    const out = rerun.stdout.replace(/\x1b\[[0-9;]*m/g, "");
    assert.match(out, /starting afresh: removing the previous run's .*alertbot\.sqlite/);
    assert.match(out, /the spine works/);
    assert.equal(exit.code, 0);
  });
});
