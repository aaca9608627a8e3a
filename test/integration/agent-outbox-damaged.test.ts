// An agent whose outbox file is damaged (not a database: a bad disk, a file overwritten by
// mistake). It exited 1 at every start, and the host went unmonitored. With the installed agent
// and AlertBot as processes: the agent moves the file aside, runs on a fresh outbox, and the
// person on call hears of it from the agent's own alert, and of the check that fails.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { writeFlagAgentConfig } from "../helpers/spine.js";

describe("an agent whose outbox file is damaged", function () {
  this.timeout(120_000);
  const server = withProsody();
  const fx = withProcesses(server);

  it("moves it aside, runs on a fresh one, and says so through the bus", async () => {
    const { t, dir, alice } = await fx.botWithAlice("mauve-agent-outbox-damaged-");
    const state = join(dir, "state");
    mkdirSync(state);
    const garbage = "not a database, just some text the disk gave back\n".repeat(200);
    writeFileSync(join(state, "outbox.sqlite"), garbage);
    const { config, flag } = await writeFlagAgentConfig(t, dir, state);
    writeFileSync(flag, "");
    const agent = await fx.startAgent(config);
    await alice.expect(/^RAISED #\d+ web1 mauve-agent-outbox-damaged: its outbox was damaged/, 30_000);
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 30_000);
    const moved = readdirSync(state).filter((f) => f.startsWith("outbox.sqlite.damaged-") && !/-(wal|shm)$/.test(f));
    assert.equal(moved.length, 1, readdirSync(state).join(", "));
    assert.equal(readFileSync(join(state, moved[0]!), "utf8"), garbage, "the damaged file is kept as it was");
    assert.equal((await agent.stop()).code, 0);
  });
});
