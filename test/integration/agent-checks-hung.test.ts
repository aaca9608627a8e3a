// A check that hangs (a dead NFS mount: `df` never returns) with a long timeout. It held one of
// max_concurrent places for its whole timeout, up to an hour, and the checks behind it waited:
// nginx down was told an hour late, or never while such checks kept every place. With the
// installed agent and AlertBot as processes and one place: nginx's failure is told while the
// other check still hangs.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { writeFlagAgentConfig } from "../helpers/spine.js";

describe("an agent with a check that hangs", function () {
  this.timeout(150_000);
  const server = withProsody();
  const fx = withProcesses(server);

  it("still runs its other checks, and tells their failures", async () => {
    const { t, dir, alice } = await fx.botWithAlice("mauve-agent-checks-hung-");
    const { config, flag } = await writeFlagAgentConfig(t, dir);
    const hung = `check_runner: { max_concurrent: 1 }
checks:
  - id: nfs
    command: [/bin/sleep, "3600"]
    timeout: 1h
    interval: 1s
`;
    writeFileSync(config, readFileSync(config, "utf8").replace(/^checks:\n/m, hung));
    writeFileSync(flag, "");
    const agent = await fx.startAgent(config);
    await alice.expect(/^RAISED #\d+ web1 nginx: nginx is not answering/, 90_000);
    const long = agent.withMsg("a check runs long: it goes on outside max_concurrent, so the others are not held up");
    assert.deepEqual(
      long.map((l) => l["check"]),
      ["nfs"],
    );
    assert.equal((await agent.stop()).code, 0);
  });
});
