// The private Prosody's process lifecycle: clean stops, stale servers, bad ports.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProsody } from "../../prosody/launcher.js";
import { accepts } from "../../prosody/ports.js";
import { ChildRun } from "../helpers/process-child.js";
import { startTestProsody } from "../helpers/prosody.js";
import type { TestProsody } from "../helpers/prosody.js";
import { plainStreamFeatures } from "../helpers/tls.js";
import { waitFor } from "../helpers/wait-for.js";

describe("private Prosody lifecycle", function () {
  const started: TestProsody[] = [];
  afterEach(async () => Promise.all(started.splice(0).map((t) => t.cleanup())));

  it("stop() leaves no process and frees the ports", async function () {
    const t = await startTestProsody();
    started.push(t);
    const pid = Number(await readFile(`${t.prosody.runDir}/prosody.pid`, "utf8"));
    await t.prosody.stop();
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.equal(await accepts(t.prosody.c2sPort), false);
    assert.equal(await accepts(t.prosody.componentPort), false);
  });

  it("kills a stale Prosody left in the same run directory", async function () {
    const t = await startTestProsody();
    started.push(t);
    const stalePid = Number(await readFile(`${t.prosody.runDir}/prosody.pid`, "utf8"));
    const again = await startProsody({ runDir: t.prosody.runDir });
    const pid = Number(await readFile(`${t.prosody.runDir}/prosody.pid`, "utf8"));
    await again.stop();
    assert.notEqual(pid, stalePid);
    assert.throws(() => process.kill(stalePid, 0), /ESRCH/);
  });

  it("refuses a fixed port that another program holds, naming it", async function () {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(
        startTestProsody({ c2sPort: port }),
        new RegExp(`port ${port} on 127.0.0.1 is already in use`),
      );
    } finally {
      blocker.close();
    }
  });

  it("refuses Prosody's default ports", async function () {
    await assert.rejects(startTestProsody({ c2sPort: 5222 }), /port 5222 is not allowed/);
  });

  // `npm run prosody -- start`, as someone trying the bus by hand runs it.
  describe("npm run prosody", () => {
    let dir = "";
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "mauve-prosody-cli-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("start --tls requires STARTTLS, prints the run's CA, and a SIGTERM stops it cleanly", async () => {
      const cli = ChildRun.start(
        "prosody/cli.ts",
        ["start", "--tls", "--c2s-port", "0", "--dir", dir],
        {},
        "prosody cli",
      );
      try {
        const out = await waitFor("the CLI to say where it runs", () =>
          /log .*Ctrl-C stops it/.test(cli.stdout) ? cli.stdout : undefined,
        );
        const c2sPort = Number(/c2s (\d+)/.exec(out)?.[1]);
        const caFile = /the run's CA: (\S+)/.exec(out)?.[1] ?? "";
        assert.match(await readFile(caFile, "utf8"), /BEGIN CERTIFICATE/);
        const features = await plainStreamFeatures(c2sPort, "mauve.localhost");
        assert.match(features, /<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]><required\/><\/starttls>/);
        cli.signal("SIGTERM");
        assert.deepEqual(await cli.waitForExit("the CLI to stop"), { code: 0, signal: null });
        assert.equal(await accepts(c2sPort), false, "Prosody stopped with it");
      } finally {
        // Stopped as a person would (Ctrl-C), so Prosody goes with it before its directory does.
        if (!cli.hasExited) {
          cli.signal("SIGINT");
          await cli.waitForExit("the CLI to stop", 30_000).catch(() => undefined);
        }
      }
    });

    it("refuses a port that is not a number, saying which option, and starts nothing", async () => {
      const cli = ChildRun.start("prosody/cli.ts", ["start", "--c2s-port", "52x2", "--dir", dir], {}, "prosody cli");
      assert.equal((await cli.waitForExit("the CLI to refuse")).code, 1);
      assert.match(cli.stderr, /--c2s-port must be a port number \(0 for a free one, up to 65535\), not "52x2"/);
    });
  });
});
