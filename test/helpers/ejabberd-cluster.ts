// Mocha helper for suites that run on a private 2-node ejabberd cluster (ejabberd/cluster.ts):
// skipped, with the reason, only where ejabberd is missing and cannot be installed; each node's log
// tail printed after a failed test, the run directory kept if anything failed.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEjabberdCluster } from "../../ejabberd/cluster.js";
import type { EjabberdCluster } from "../../ejabberd/cluster.js";
import { ejabberdInstalled } from "../../ejabberd/install.js";
import type { EjabberdHandle } from "../../ejabberd/launcher.js";
import { which } from "../../prosody/install.js";
import { TEST_BOT_NAME } from "./prosody.js";
import type { TestProsody } from "./prosody.js";

/** The running cluster, and each node as a test server (node 1 first) for the usual helpers. */
export interface TestCluster {
  readonly cluster: EjabberdCluster;
  readonly servers: readonly TestProsody[];
  readonly botSecret: string;
}

/** Registers the hooks on the enclosing `describe`; call the returned function inside tests. */
export function withEjabberdCluster(nodes = 2): () => TestCluster {
  let current: TestCluster | undefined;
  let runDir: string | undefined;
  let failed = false;
  before(async function () {
    if (!ejabberdInstalled() && !(process.getuid?.() === 0 && which("apt-get") !== undefined)) {
      process.stderr.write(
        `\n  SKIPPED "${this.test?.parent?.fullTitle() ?? "ejabberd cluster suite"}": ejabberd is not installed and ` +
          "cannot be installed here (not root). Run: sudo apt-get install -y ejabberd\n",
      );
      this.skip();
    }
    this.timeout(420_000); // the first run may install ejabberd with apt-get; each node may take minutes to boot
    runDir = await mkdtemp(join(tmpdir(), "mauve-ejabberd-cluster-"));
    const botSecret = randomBytes(18).toString("base64url");
    const cluster = await startEjabberdCluster({
      runDir,
      nodes,
      botComponent: { name: TEST_BOT_NAME, secret: botSecret },
    });
    current = { cluster, botSecret, servers: cluster.nodes.map((node) => asTestServer(node, botSecret)) };
  });
  afterEach(async function () {
    if (this.currentTest?.state !== "failed" || !current) return;
    failed = true;
    for (const [i, s] of current.servers.entries())
      await s.printLogTail(`ejabberd node ${i + 1} log after failed test "${this.currentTest.fullTitle()}"`);
  });
  after(async () => {
    await current?.cluster.stop();
    current = undefined;
    if (runDir === undefined) return;
    if (failed) process.stderr.write(`ejabberd cluster run directory kept for inspection: ${runDir}\n`);
    else await rm(runDir, { recursive: true, force: true });
  });
  return () => {
    if (!current) throw new Error("withEjabberdCluster(): the cluster is not running (before() failed or suite ended)");
    return current;
  };
}

function asTestServer(node: EjabberdHandle, botSecret: string): TestProsody {
  return {
    prosody: node,
    botSecret,
    async printLogTail(heading, lines = 60) {
      const tail = (await node.readLog()).trimEnd().split("\n").slice(-lines).join("\n");
      process.stderr.write(`\n--- ${heading}: last ${lines} lines of ${node.logFile} ---\n${tail}\n---\n`);
    },
    // The cluster's own after() stops the nodes and removes the run directory.
    async cleanup() {
      await node.stop();
    },
  };
}
