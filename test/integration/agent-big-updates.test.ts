// Checks that print a lot, with the installed agent and AlertBot as processes: every update stays
// within Mauve's 64 KiB, so the agent publishes its changes and, after a restart, its full state
// (before, the first such change crashed it, and every start after that exited at once).
import assert from "node:assert/strict";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withProcesses } from "../helpers/process-fixture.js";
import { withProsody } from "../helpers/prosody.js";
import { agentYaml, type PersonClient } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("an agent whose checks print more than fits in one update", function () {
  this.timeout(240_000);
  const server = withProsody();
  const fx = withProcesses(server);
  let alice: PersonClient | undefined;
  // Several alerts of one moment may reach a person as one message (a digest): look for each id.
  const told = (word: string, ids: readonly string[]): Promise<true> =>
    waitFor(
      `${word} for ${ids.join(", ")}`,
      () => ids.every((id) => alice!.received.some((m) => m.body.includes(word) && m.body.includes(id))) || undefined,
      90_000,
    );

  afterEach(function () {
    if (this.currentTest?.state === "failed")
      process.stderr.write(`\n--- chat ---\n${alice?.received.map((m) => m.body).join("\n") ?? ""}\n`);
  });

  it("publishes the checks' changes and, after a restart, its full state", async () => {
    // Every alert its own notice: the four raises may reach AlertBot in one batch, which would
    // otherwise be one digest.
    const started = await fx.botWithAlice(
      "mauve-agent-big-",
      'storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }\n',
    );
    const { t, dir } = started;
    alice = started.alice;
    await t.prosody.register("web1", "pw-web1");
    const flag = (id: string): string => join(dir, `down-${id}`);
    // ~12 KB of HTML-ish text that escaping makes ~20 KB: four of them pass 64 KiB together.
    const plugin = join(dir, "check_big");
    writeFileSync(
      plugin,
      `#!/bin/sh\n[ -e ${dir}/down-$1 ] || { echo "OK"; exit 0; }\necho "CRITICAL - $1 is down"\ni=0\nwhile [ $i -lt 300 ]; do echo '<td class="x">&amp; "row" é</td>'; i=$((i+1)); done\nexit 2\n`,
    );
    chmodSync(plugin, 0o755);
    const ids = ["big1", "big2", "big3", "big4"];
    const config = join(dir, "agent.yaml");
    writeFileSync(
      config,
      agentYaml(
        t,
        dir,
        "web1",
        `checks:\n${ids.map((id) => `  - { id: ${id}, command: [${plugin}, ${id}], interval: 1s }`).join("\n")}\n`,
      ),
    );

    for (const id of ids) writeFileSync(flag(id), "");
    let agent = await fx.startAgent(config);
    await told("RAISED", ids);
    assert.equal(agent.hasExited, false, "the agent exited");
    assert.equal((await agent.stop()).code, 0);

    // Restarted with those four saved: its start-up full state passes 64 KiB too.
    agent = await fx.startAgent(config);
    await agent.waitForLog(
      "the full state sent as texts, then one replace",
      (l) => typeof l["msg"] === "string" && l["msg"].startsWith("the full state passes 64 KiB"),
      60_000,
    );
    // Updates go out in order: the clear arrives only once the full state before it went out.
    rmSync(flag("big1"));
    await alice.expect(/^CLEARED #\d+ web1 big1\b/, 90_000);
    assert.equal(agent.hasExited, false, "the agent exited");
    const refused = agent.logs.filter((l) => String(l["msg"]).startsWith("server refused"));
    assert.deepEqual(refused, []);
    assert.equal((await agent.stop()).code, 0);
  });
});
