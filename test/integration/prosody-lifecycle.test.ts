// The private Prosody's process lifecycle: clean stops, stale servers, bad ports.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { startProsody } from "../../prosody/launcher.js";
import { accepts } from "../../prosody/ports.js";
import { startTestProsody } from "../helpers/prosody.js";
import type { TestProsody } from "../helpers/prosody.js";

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
});
